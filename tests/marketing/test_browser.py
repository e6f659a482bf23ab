"""Marketing screens in a real browser: keyboard set-up of a promotion and the explained price check."""

from decimal import Decimal as D
from pathlib import Path

import pytest

from marketing.models import Promotion
from tests.conftest import assert_no_horizontal_overflow
from tests.marketing.factories import PriceListItemFactory, TaxRateFactory, VariantFactory

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_promotion_set_up_by_keyboard_then_price_check(page, login):
    VariantFactory(sku="TEE-M", base_price=D("100"))
    login("manager")
    page.goto("/marketing/promotions/new/")
    assert page.evaluate("document.activeElement.name") == "name"
    page.keyboard.type("Autumn 15%")
    page.select_option("#id_kind", "order_percent")
    page.fill("#id_percent", "15")
    page.locator("#id_percent").press("Enter")
    page.wait_for_url("**/detail/")
    promotion = Promotion.objects.get(name="Autumn 15%")
    page.get_by_role("button", name="Activate").press("Enter")
    page.wait_for_load_state()
    promotion.refresh_from_db()
    assert promotion.is_active is True
    page.goto("/marketing/price-check/?lines=TEE-M+2&channel_code=phone&ship_to_region=SP&currency=BRL")
    assert page.get_by_text("15% off the order").is_visible()
    assert_no_horizontal_overflow(page)


@pytest.mark.parametrize("language", ["en", "pt-br", "ar"])
def test_price_check_screens_in_each_language(page, login, language):
    variant = VariantFactory(sku="TEE-L", base_price=D("120"))
    PriceListItemFactory(variant=variant, min_quantity=2, unit_price=D("99.90"), price_list__channel_code="phone")
    TaxRateFactory()
    login("manager", language)
    page.goto("/marketing/price-check/?lines=TEE-L+3&channel_code=phone&ship_to_region=SP&currency=BRL")
    assert page.locator(".mkt-totals").is_visible()
    assert_no_horizontal_overflow(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"marketing-price-check-{language}.png"), full_page=True)
    page.goto("/marketing/pricelists/")
    assert_no_horizontal_overflow(page)


def test_promotion_form_shows_the_fields_of_the_chosen_kind(page, login):
    login("manager")
    page.goto("/marketing/promotions/new/")
    page.select_option("#id_kind", "buy_x_get_y")
    assert page.locator("#id_buy_quantity").is_visible()
    assert not page.locator("#id_tiers").is_visible()
    page.select_option("#id_kind", "tiered_spend")
    assert page.locator("#id_tiers").is_visible()
    assert not page.locator("#id_buy_quantity").is_visible()

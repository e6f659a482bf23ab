"""An agent sells a gift card from the phone-order screen in a real browser, pays by card and reads the code once."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from orders.models import Order
from orders.services import draft_create
from payments.giftcards import code_hash
from payments.ledger import verify_journal
from payments.models import GiftCard, Payment
from tests.browser.steps import enter_card, settled
from tests.conftest import assert_no_horizontal_overflow
from tests.inventory.factories import VariantFactory
from tests.marketing.factories import TaxRateFactory
from tests.orders.factories import AddressFactory, ChannelFactory

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    from django.apps import apps

    from oms.permissions import sync_roles

    sync_roles(apps)


def order_line_details(order) -> dict:
    return order.lines.get().personalization


def test_agent_sells_a_gift_card_by_phone_and_reads_the_code_once(page, login, make_user):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    channel = ChannelFactory(code="phone")
    VariantFactory(sku="GIFT-CARD", name="Gift card", base_price=Decimal("100.00"), cost=Decimal("0"),
                   is_gift_card=True)
    TaxRateFactory(region="SP", rate=Decimal("18"))
    customer = AddressFactory(customer__name="Mariana Costa").customer
    agent = login("agent")
    draft = draft_create(channel_id=channel.pk, acting_user=agent, customer_id=customer.pk)
    page.goto(f"/phone/{draft.pk}/")

    page.locator("#sku-q").fill("GIFT-CARD")
    page.locator("#sku-results [data-pick]", has_text="GIFT-CARD").wait_for()
    page.locator("#sku-q").press("Enter")
    page.locator("table.lines code", has_text="GIFT-CARD").wait_for()
    settled(page)
    page.locator("input[name=p_amount]").fill("250")
    page.locator("input[name=p_amount]").press("Tab")
    page.locator("#grand-total", has_text="250.00").wait_for()  # no tax, no shipping
    settled(page)
    page.locator("input[name=p_recipient_name]").fill("Ana")
    page.locator("input[name=p_recipient_name]").press("Tab")
    page.wait_for_function("document.querySelector('input[name=p_recipient_name]').defaultValue === 'Ana'")
    settled(page)
    assert_no_horizontal_overflow(page)
    page.select_option("#payment-method", "card")
    page.locator("iframe[data-hosted-field]").wait_for()
    settled(page)
    enter_card(page, "4111 1111 1111 1111")
    page.wait_for_function("document.querySelector('input[name=card_token]').value.startsWith('tok_')")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "giftcard-sale-phone.png"), full_page=True)
    page.click("#place-button")
    try:
        page.locator(".giftcards-issued .giftcard-code").wait_for()
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "giftcard-sale-failed.png"), full_page=True)
        raise
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "giftcard-sale-codes.png"), full_page=True)
    code = page.locator(".giftcards-issued .giftcard-code").inner_text().strip()
    card = GiftCard.objects.get(order_id=draft.pk)
    assert card.code_hash == code_hash(code) and card.initial_amount == Decimal("250.00")
    assert order_line_details(draft) == {"recipient_name": "Ana"}
    order = Order.objects.get(pk=draft.pk)
    assert (order.status, order.total, order.tax_total) == (Order.Status.DELIVERED, Decimal("250.00"), 0)
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.status, payment.captured_amount) == ("card", "captured", Decimal("250.00"))
    assert verify_journal() == []
    assert re.search(rf"/orders/{order.pk}/$", page.url)
    page.reload()  # the address is now the order's: the code is gone for good
    assert code not in page.content()

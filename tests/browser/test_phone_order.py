"""An agent takes a phone order by keyboard in a real browser (Debian Chromium through Playwright)."""

import os
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from inventory.services import StockLine, stock_receive
from orders.models import Order
from tests.browser.steps import (
    add_lines_by_keyboard,
    pay_by_sandbox_card,
    retype_first_quantity,
    settled,
    wait_focus,
    wait_for_order_page,
)
from tests.conftest import assert_no_horizontal_overflow
from tests.inventory.factories import LocationFactory, VariantFactory
from tests.marketing.factories import ShippingRateFactory, TaxRateFactory
from tests.orders.factories import AddressFactory, ChannelFactory

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(db):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ChannelFactory(code="phone")
    dc = LocationFactory(code="DC1", name="DC São Paulo", kind="dc")
    shirt = VariantFactory(sku="TSHIRT-BLUE-M", name="T-shirt Blue M", base_price=Decimal("100.00"))
    mug = VariantFactory(sku="MUG-WHITE", name="Mug White", base_price=Decimal("30.00"))
    for variant in (shirt, mug):
        stock_receive(lines=[StockLine(variant.pk, dc.pk, 20)], reference="seed", acting_user=None)
    TaxRateFactory(region="SP", rate=Decimal("18"))
    ShippingRateFactory(price=Decimal("15.00"), service__name="Sedex", transit_days=2)
    customer = AddressFactory(customer__name="Mariana Costa", customer__phone="+5511987654321").customer
    return {"shirt": shirt, "mug": mug, "customer": customer}


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """Role groups come from a data migration, which an earlier test's flush may have emptied."""
    from django.apps import apps

    from oms.permissions import sync_roles

    sync_roles(apps)


def test_agent_takes_a_phone_order_by_keyboard(page, login, shop):
    login("agent")
    page.goto("/phone/")
    page.keyboard.press("Enter")  # "Start a new phone order" has the focus
    page.wait_for_url(re.compile(r"/phone/\d+/$"))
    assert page.evaluate("document.activeElement.id") == "customer-q"

    page.keyboard.type("98765")
    page.locator("#customer-results [data-pick]").first.wait_for()
    page.keyboard.press("Enter")  # picks the first customer
    page.locator("#customer-name", has_text="Mariana Costa").wait_for()
    wait_focus(page, "sku-q")
    settled(page)

    add_lines_by_keyboard(page, ("TSHIRT-BLUE-M", "MUG-WHITE"))

    mug_row = page.locator("table.lines tbody tr", has=page.locator("code", has_text="MUG-WHITE"))
    try:
        mug_row.locator("input.qty").focus()
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "phone-order-failed.png"), full_page=True)
        raise
    page.keyboard.press("ArrowUp")  # 2 mugs
    page.keyboard.press("Tab")  # change event: repriced
    page.locator("#subtotal", has_text="160.00").wait_for()
    settled(page)

    page.locator("input[name=shipping_service]").first.focus()
    page.keyboard.press("Space")
    try:
        page.locator("dl.totals dd", has_text="15.00").first.wait_for()
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "phone-order-failed.png"), full_page=True)
        raise
    settled(page)
    page.locator("#payment-method").focus()
    page.keyboard.press("i")  # "Invoice on terms (B2B)"
    # 160.00 + 18 % tax + 15.00 shipping
    page.locator("#grand-total", has_text="203.80").wait_for()
    assert_no_horizontal_overflow(page)
    # Lesson from the first screenshot: the totals and the Place button sit right under the items, not a
    # screen further down.
    items, totals = page.locator(".lines-panel").bounding_box(), page.locator(".totals-panel").bounding_box()
    assert 0 <= totals["y"] - (items["y"] + items["height"]) < 40
    assert page.locator("#place-button").bounding_box()["y"] < 860
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-order.png"), full_page=True)

    page.keyboard.press("Alt+p")  # accesskey of "Place order"
    try:
        wait_for_order_page(page)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "phone-order-failed.png"), full_page=True)
        raise
    order = Order.objects.get()
    assert order.status == Order.Status.CONFIRMED
    assert order.total == Decimal("203.80")
    assert page.locator("#order-status").inner_text() == "Confirmed"
    assert order.number in page.locator("h1").inner_text()
    # The payments and fulfilment panels load by htmx; wide tables stay inside their panels.
    page.locator("#order-payments table").first.wait_for()
    page.locator("#order-fulfilment h3, #order-fulfilment h2").first.wait_for()
    settled(page)
    assert "Shipments and returns appear here" not in page.content()
    assert_no_horizontal_overflow(page)
    panel = page.locator("#order-payments").bounding_box()
    table = page.locator("#order-payments table").first.bounding_box()
    assert table["x"] + table["width"] <= panel["x"] + panel["width"] + 1
    page.screenshot(path=str(ARTIFACTS / "order-detail.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    settled(page)
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "order-detail-390.png"), full_page=True)


def test_phone_screen_in_arabic_is_right_to_left_without_overflow(page, login, shop):
    login("agent", "ar")
    page.goto("/phone/")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/phone/\d+/$"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.keyboard.type("98765")
    page.locator("#customer-results [data-pick]").first.wait_for()
    page.keyboard.press("Enter")
    page.locator("#customer-name").wait_for()
    wait_focus(page, "sku-q")
    settled(page)
    page.keyboard.type("MUG-WHITE")
    page.locator("#sku-results [data-pick]").first.wait_for()
    page.keyboard.press("Enter")
    page.locator("table.lines code", has_text="MUG-WHITE").wait_for()
    assert page.get_by_role("button", name=re.compile("تقديم الطلب")).is_visible()
    # The items panel stands left of the customer panel in right-to-left.
    items, customer = page.locator(".lines-panel").bounding_box(), page.locator("#customer-panel").bounding_box()
    assert items["x"] < customer["x"]
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "phone-order-ar.png"), full_page=True)


def start_for_the_customer_by_keyboard(page) -> int:
    """A new phone order for the shop's customer, found by part of her phone; the cursor ends in the SKU box.
    Returns the draft's id."""
    page.goto("/phone/")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/phone/\d+/$"))
    order_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    page.keyboard.type("98765")
    page.locator("#customer-results [data-pick]").first.wait_for()
    page.keyboard.press("Enter")
    page.locator("#customer-name").wait_for()
    wait_focus(page, "sku-q")
    settled(page)
    return order_id


def test_agent_pays_by_card_in_the_hosted_field(page, login, shop):
    from payments.models import Payment

    login("agent")
    start_for_the_customer_by_keyboard(page)
    page.keyboard.type("MUG-WHITE")
    page.locator("#sku-results [data-pick]").first.wait_for()
    page.keyboard.press("Enter")
    page.locator("table.lines code", has_text="MUG-WHITE").wait_for()
    settled(page)
    page.locator("input[name=shipping_service]").first.focus()  # placing needs a shipping option
    page.keyboard.press("Space")
    page.wait_for_function("document.querySelector('input[name=shipping_service]:checked') !== null")
    settled(page)
    pay_by_sandbox_card(page)
    settled(page)
    # The card survives a later change of the screen (hx-preserve), so the agent may still edit notes.
    page.locator("#notes").fill("Leave at the door")
    page.locator("#notes").press("Tab")
    page.wait_for_function("document.querySelector('[data-card=token]').value !== ''")
    page.locator("#place-button").focus()
    page.keyboard.press("Enter")
    try:
        wait_for_order_page(page)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "phone-order-card-failed.png"), full_page=True)
        raise
    payment = Payment.objects.get()
    assert (payment.method, payment.status, payment.card_last4) == ("card", Payment.Status.AUTHORIZED, "4242")
    assert Order.objects.get().notes == "Leave at the door"
    page.locator("#order-payments", has_text="4242").wait_for()


def test_removing_a_line_by_keyboard_leaves_the_cursor_in_the_sku_box(page, login, shop):
    """The removed line's button is gone after the screen is redrawn: the cursor went to the top of the page, 17 Tabs
    away from the SKU box."""
    login("agent")
    start_for_the_customer_by_keyboard(page)
    add_lines_by_keyboard(page, ("TSHIRT-BLUE-M", "MUG-WHITE"))
    mug_row = page.locator("table.lines tbody tr", has=page.locator("code", has_text="MUG-WHITE"))
    mug_row.locator("button.link").focus()
    page.keyboard.press("Enter")
    page.locator("table.lines code", has_text="MUG-WHITE").wait_for(state="detached")
    wait_focus(page, "sku-q")


def test_enter_typed_before_the_results_arrive_still_adds_the_sku(page, login, shop):
    """A scanner types the code and Enter at once: Enter came before the search answered, and nothing happened."""
    login("agent")
    start_for_the_customer_by_keyboard(page)
    page.keyboard.type("MUG-WHITE")
    page.keyboard.press("Enter")  # no wait for the results
    page.locator("table.lines code", has_text="MUG-WHITE").wait_for()
    wait_focus(page, "sku-q")


def test_alt_p_with_a_quantity_just_typed_saves_it_first_and_places_only_when_asked_again(page, login, shop):
    """A quantity typed and Alt+P at once placed the order with the quantity saved before (its change is sent only
    when the cursor leaves the field): the screen showed 3 mugs, the order had 1."""
    login("agent")
    start_for_the_customer_by_keyboard(page)
    add_lines_by_keyboard(page, ("MUG-WHITE",))
    page.locator("input[name=shipping_service]").first.focus()
    page.keyboard.press("Space")
    page.wait_for_function("document.querySelector('input[name=shipping_service]:checked') !== null")
    settled(page)
    page.locator("#payment-method").focus()
    page.keyboard.press("i")  # "Invoice on terms (B2B)"
    page.wait_for_function("document.querySelector('#payment-method option[selected][value=invoice]') !== null")
    settled(page)
    retype_first_quantity(page, "3")
    page.keyboard.press("Alt+p")
    page.locator("#subtotal", has_text="90.00").wait_for()  # saved and repriced: 3 x 30.00
    wait_focus(page, "place-button")  # the new total is on the screen; placing is one more Alt+P
    assert Order.objects.get().status == Order.Status.DRAFT
    page.keyboard.press("Alt+p")
    wait_for_order_page(page)
    assert Order.objects.get().lines.get().quantity == 3


@pytest.fixture
def slow_screen(monkeypatch):
    """Makes the named phone-screen step take long enough for the agent to type on while it is on its way."""
    from orders import services

    def slow(name):
        step = getattr(services, name)

        def slowed(*args, **kwargs):
            time.sleep(0.8)
            return step(*args, **kwargs)

        monkeypatch.setattr(services, name, slowed)

    return slow


def test_a_second_scan_while_the_first_is_being_added_is_not_lost(page, login, shop, slow_screen):
    """A scanner reads two codes in a row: the second was typed while the screen was being redrawn for the first,
    and the redraw wiped it (and its Enter) out."""
    login("agent")
    start_for_the_customer_by_keyboard(page)
    slow_screen("draft_line_add")
    page.keyboard.type("TSHIRT-BLUE-M")
    page.locator("#sku-results [data-pick]", has_text="TSHIRT-BLUE-M").wait_for()
    page.keyboard.press("Enter")
    page.keyboard.type("MUG-WHITE")  # the first line is still on its way
    page.keyboard.press("Enter")
    page.locator("table.lines code", has_text="MUG-WHITE").wait_for()
    assert page.locator("table.lines code", has_text="TSHIRT-BLUE-M").count() == 1
    wait_focus(page, "sku-q")
    expect(page.locator("#sku-q")).to_have_value("")


def test_typing_in_the_next_field_while_the_screen_is_redrawn_is_kept_and_saved(page, login, shop, slow_screen):
    login("agent")
    order_id = start_for_the_customer_by_keyboard(page)
    add_lines_by_keyboard(page, ("MUG-WHITE",))
    slow_screen("draft_update")
    page.locator("#priority").focus()
    page.keyboard.press("ArrowDown")  # a new priority: the header is saved and the screen redrawn
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    wait_focus(page, "notes")
    page.locator("#header-form.htmx-request").wait_for(state="attached")
    page.keyboard.type("Gate code 42")  # while the priority is on its way
    page.locator(".htmx-request").wait_for(state="detached")
    expect(page.locator("#notes")).to_have_value("Gate code 42")
    wait_focus(page, "notes")
    page.keyboard.type(", ring twice")
    page.keyboard.press("Shift+Tab")  # leaving the field saves it
    expect(page.locator("#notes")).to_have_value("Gate code 42, ring twice")
    for _ in range(50):
        order = Order.objects.get(pk=order_id)
        if order.notes:
            break
        time.sleep(0.1)
    assert order.notes == "Gate code 42, ring twice"
    assert order.priority != Order.Priority.STANDARD


def test_a_name_e_mail_and_street_typed_as_one_long_word_wrap_inside_their_panels(page, login, shop):
    """A 200-letter name without a space (a paste gone wrong, a company's code) pushed the phone screen and the
    customer's page 900 to 1,700 pixels sideways, over the items panel."""
    from orders.models import Customer

    long_word = AddressFactory(customer__name="Ñ" * 60 + "Z" * 140, customer__email="x" * 70 + "@example.com",
                               customer__phone="+5511912340000", street="Comprida" * 20).customer
    assert Customer.objects.filter(pk=long_word.pk).exists()
    login("agent", "ar")
    page.goto(f"/customers/{long_word.pk}/")
    assert_no_horizontal_overflow(page)
    page.locator("form[action='/phone/'] button").click()  # "New phone order" for this customer
    page.wait_for_url(re.compile(r"/phone/\d+/$"))
    page.locator("#customer-name").wait_for()
    assert_no_horizontal_overflow(page)


def test_a_refused_quantity_shows_its_reason_on_the_screen(page, login, shop):
    """Quantity 0 is refused (422 with the screen and its message), but the page's htmx settings were shadowed by the
    base template's: htmx treated the answer as a failure, the agent read only "That did not work: the server answered
    with an error" and the field kept the 0 that was never saved."""
    login("agent")
    order_id = start_for_the_customer_by_keyboard(page)
    add_lines_by_keyboard(page, ("MUG-WHITE",))
    retype_first_quantity(page, "0")
    page.keyboard.press("Tab")  # leaving the field saves it
    expect(page.locator("#screen-error")).to_contain_text("Quantity must be a whole number of at least 1.")
    expect(page.locator("table.lines input.qty").first).to_have_value("1")
    wait_focus(page, "screen-error")
    assert Order.objects.get(pk=order_id).lines.get().quantity == 1
    expect(page.locator("#toasts")).not_to_contain_text("That did not work")


def test_a_quantity_change_is_saved_while_a_required_personalization_is_still_empty(page, login, shop):
    """The browser checked the whole line form before sending a change: with a required engraving not typed yet,
    the new quantity was never sent, silently (no message, the old total), and Alt+P then did nothing at all."""
    from inventory.models import PersonalizationField

    PersonalizationField.objects.create(product=shop["mug"].product, code="engraving", label="Engraving",
                                        max_length=20, required=True)
    login("agent")
    order_id = start_for_the_customer_by_keyboard(page)
    add_lines_by_keyboard(page, ("MUG-WHITE",))
    retype_first_quantity(page, "3")
    page.keyboard.press("Tab")  # to the engraving: leaving the quantity saves it
    page.locator("#subtotal", has_text="90.00").wait_for()
    assert Order.objects.get(pk=order_id).lines.get().quantity == 3


def test_a_refused_new_customer_keeps_the_cursor_on_what_to_fix(page, login, shop):
    """A new customer refused (a wrong CPF, the phone of a customer on file) sent the cursor to the SKU box, as a
    customer taken does: the agent, with no customer on the order, had to find the field to fix by tabbing back."""
    login("agent")
    page.goto("/phone/")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/phone/\d+/$"))
    wait_focus(page, "customer-q")
    page.keyboard.press("Tab")  # "New customer"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    wait_focus(page, "id_new-name")
    for value in ("Zé Teste", "+55 11 98765-4321", "", "123.456.789-00", "01310-100", "Av Paulista", "1000", "",
                  "São Paulo", "SP"):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the language, to "Create and use"
    wait_focus(page, "new-customer-save")
    page.keyboard.press("Enter")
    page.locator("#new-customer .errorlist").first.wait_for()
    wait_focus(page, "id_new-tax_id")
    settled(page)
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")  # no CPF: now the phone is Mariana's
    page.locator("#new-customer-save").focus()
    page.keyboard.press("Enter")
    page.locator("#screen-error", has_text="Mariana Costa").wait_for()
    wait_focus(page, "screen-error")
    settled(page)
    page.keyboard.press("Tab")
    wait_focus(page, "use-customer-", prefix=True)  # "Use Mariana Costa"

"""Issue #10, the cross-role journeys: one order's story told through the real screens, each role at its own desk.

The admin sets up a price list, a campaign with a source code and a promotion; the agent takes a phone order with
that code (three SKUs, one engraved), pays in the hosted card field and places it; the order is held for its
value, so the manager sees it on the dashboard, approves it and exports the day's orders in the background (a real
Celery worker on a Redis of the test's own); the warehouse picks, packs by scanning and ships it; the customer
returns a mug, the warehouse receives and restocks it. Then the key pages in Portuguese and in Arabic.
Every step checks what the user sees and what the database holds.
"""

import csv
import io
import re
from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from inventory.models import PersonalizationField, StockLevel
from inventory.services import StockLine, stock_receive
from marketing.models import Campaign, PriceList, Promotion, SourceCode
from orders.fulfilment.models import Return, Shipment
from orders.models import Order, OrderHold, OrderLineAllocation
from payments.models import Payment
from reports.models import ReportJob
from tests.browser.steps import (
    add_lines_by_keyboard,
    enter_card,
    scan,
    settled,
    ship_by_keyboard,
    wait_focus,
    wait_for_order_page,
)
from tests.conftest import assert_no_horizontal_overflow
from tests.inventory.factories import LocationFactory, ProductFactory, VariantFactory
from tests.marketing.factories import ShippingRateFactory, TaxRateFactory
from tests.orders.factories import AddressFactory, ChannelFactory

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def roles_and_fast_logins(transactional_db, settings):
    """Role groups come from a data migration an earlier test's flush may have emptied; the production password
    hasher's cost is not what these journeys measure (the live server runs in this process, so it sees this)."""
    from django.apps import apps

    from oms.permissions import sync_roles

    sync_roles(apps)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ARTIFACTS.mkdir(exist_ok=True)


@pytest.fixture
def desk(request, browser, live_server, make_user):
    """``desk("manager")`` -> a browser page of its own (own cookies) logged in through the login form."""
    contexts = []
    failed_before = request.session.testsfailed

    def open_desk(role: str, language: str = "en"):
        user = make_user(role)
        context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, accept_downloads=True)
        contexts.append(context)
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "correct-horse-battery")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/")
        page.user = user
        return page

    yield open_desk
    if request.session.testsfailed > failed_before:
        for number, context in enumerate(contexts):  # what each desk showed when the journey broke
            for page in context.pages:
                page.screenshot(path=str(ARTIFACTS / f"journey-failed-{number}.png"), full_page=True)
    for context in contexts:
        context.close()


def receive(variant, location, quantity: int) -> None:
    stock_receive(lines=[StockLine(variant.pk, location.pk, quantity)], reference="opening", acting_user=None)


@pytest.fixture
def shop(db):
    """A phone channel sourcing to the nearest location, a DC in Cajamar and a store in Pinheiros, three SKUs (the pen
    takes an engraving at R$ 15), no tax in SP (the arithmetic stays readable), Sedex at R$ 15 and a customer
    living in Pinheiros."""
    channel = ChannelFactory(code="phone", name="Call center", kind="phone", sourcing_strategy="nearest",
                             card_installments_max=6, card_installment_minimum=Decimal("50.00"))
    dc = LocationFactory(code="DC-CJ", name="DC Cajamar", kind="dc", can_ship=True, latitude=Decimal("-23.3560"),
                         longitude=Decimal("-46.8770"), handling_days=1, cutoff_time=time(23, 59))
    store = LocationFactory(code="LJ-PIN", name="Store Pinheiros", kind="store", can_ship=True, can_pickup=True,
                            latitude=Decimal("-23.5663"), longitude=Decimal("-46.6936"), handling_days=0,
                            cutoff_time=time(23, 59))
    tee = VariantFactory(sku="TEE-NAVY-M", name="T-shirt Navy M", barcode="7890000000011",
                         base_price=Decimal("100.00"), weight_grams=300)
    mug = VariantFactory(sku="MUG-CERAMIC", name="Ceramic mug", barcode="7890000000028",
                         base_price=Decimal("50.00"), weight_grams=400)
    pen = VariantFactory(sku="PEN-STEEL", name="Steel pen", barcode="7890000000035", base_price=Decimal("80.00"),
                         weight_grams=50, product=ProductFactory(name="Steel pen"))
    PersonalizationField.objects.create(product=pen.product, code="engraving", label="Engraving", max_length=20,
                                        required=True, extra_price=Decimal("15.00"))
    for variant in (tee, mug, pen):
        receive(variant, dc, 20)
        receive(variant, store, 4)
    TaxRateFactory(region="SP", rate=Decimal("0"))
    rate = ShippingRateFactory(price=Decimal("15.00"), service__name="Sedex", transit_days=2)
    customer = AddressFactory(customer__name="Mariana Costa", customer__phone="+5511987654321",
                              postal_code="05422-030", street="Rua dos Pinheiros", number="500",
                              district="Pinheiros").customer
    return {"channel": channel, "dc": dc, "store": store, "tee": tee, "mug": mug, "pen": pen, "customer": customer,
            "service": rate.service}


def shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar lands mid-page in a full-page screenshot
    page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)


# --- 3. the admin sets up the campaign -----------------------------------------------------------------------------


def admin_sets_up_prices_and_campaign(page, shop) -> None:
    page.goto("/marketing/pricelists/new/")
    wait_focus(page, "id_code")
    page.keyboard.type("phone-autumn")
    page.fill("#id_name", "Phone autumn prices")
    page.fill("#id_channel_code", "phone")
    page.fill("#id_priority", "10")
    page.locator("#id_priority").press("Enter")
    page.wait_for_url("**/marketing/pricelists/*/items/")
    price_list = PriceList.objects.get(code="phone-autumn")
    page.fill("#id_sku", "TEE-NAVY-M")
    page.fill("#id_min_quantity", "1")
    page.fill("#id_unit_price", "89.90")
    page.locator("#id_unit_price").press("Enter")
    page.get_by_text("Price saved.").wait_for()
    assert page.locator("table.data tbody tr", has_text="TEE-NAVY-M").inner_text().count("89.90") == 1
    assert list(price_list.items.values_list("variant__sku", "min_quantity", "unit_price")) == [
        ("TEE-NAVY-M", 1, Decimal("89.90"))]

    page.goto("/marketing/campaigns/new/")
    wait_focus(page, "id_code")
    page.keyboard.type("radio-autumn")
    page.fill("#id_name", "Autumn radio spots")
    page.fill("#id_starts_on", "2026-01-01")
    page.fill("#id_budget", "5000")
    page.locator("#id_budget").press("Enter")
    page.wait_for_url("**/marketing/campaigns/")
    campaign = Campaign.objects.get(code="radio-autumn")
    assert page.locator("table.data tbody tr", has_text="radio-autumn").is_visible()

    page.goto("/marketing/sourcecodes/new/")
    wait_focus(page, "id_code")
    page.keyboard.type("RADIO10")
    page.select_option("#id_campaign", str(campaign.pk))
    page.select_option("#id_kind", "radio")
    page.fill("#id_description", "Rádio Band FM, morning spot")
    page.locator("#id_description").press("Enter")
    page.wait_for_url("**/marketing/sourcecodes/")
    code = SourceCode.objects.get(code="RADIO10")
    assert (code.campaign_id, code.kind, code.is_active) == (campaign.pk, "radio", True)

    page.goto("/marketing/promotions/new/")
    wait_focus(page, "id_name")
    page.keyboard.type("Radio 10%")
    page.select_option("#id_kind", "order_percent")
    page.fill("#id_percent", "10")
    page.select_option("#id_source_codes", str(code.pk))
    page.locator("#id_percent").press("Enter")
    page.wait_for_url("**/detail/")
    page.get_by_role("button", name="Activate").press("Enter")
    page.wait_for_load_state()
    promotion = Promotion.objects.get(name="Radio 10%")
    assert promotion.is_active is True
    assert list(promotion.source_codes.values_list("code", flat=True)) == ["RADIO10"]
    assert_no_horizontal_overflow(page)
    shot(page, "3-admin-promotion")


# --- 1. the agent takes the phone order ----------------------------------------------------------------------------


def agent_takes_the_phone_order(page, shop) -> Order:
    page.goto("/phone/")
    page.keyboard.press("Enter")  # "Start a new phone order" has the focus
    page.wait_for_url(re.compile(r"/phone/\d+/$"))
    wait_focus(page, "customer-q")
    page.keyboard.type("98765-4321")  # the number as the customer says it
    page.locator("#customer-results [data-pick]", has_text="Mariana Costa").wait_for()
    page.keyboard.press("Enter")
    page.locator("#customer-name", has_text="Mariana Costa").wait_for()
    wait_focus(page, "sku-q")
    settled(page)

    add_lines_by_keyboard(page, ("TEE-NAVY-M", "MUG-CERAMIC", "PEN-STEEL"))

    # The price list's price, with the base price struck through.
    tee_row = page.locator("table.lines tbody tr", has=page.locator("code", has_text="TEE-NAVY-M"))
    assert "89.90" in tee_row.locator("td.num").first.inner_text()
    assert "100.00" in tee_row.locator("td.num s").inner_text()

    mug_row = page.locator("table.lines tbody tr", has=page.locator("code", has_text="MUG-CERAMIC"))
    mug_row.locator("input.qty").focus()
    page.keyboard.press("ArrowUp")  # 2 mugs
    page.keyboard.press("Tab")  # change: repriced
    page.locator("#subtotal", has_text="269.90").wait_for()  # 89.90 + 2 x 50.00 + 80.00
    settled(page)

    # Placing too early says what is missing (the engraving the customer has not dictated yet) and places nothing.
    page.keyboard.press("Alt+p")
    page.locator("#screen-error", has_text="fill in “Engraving” for PEN-STEEL").wait_for()
    assert "choose a payment method" in page.locator("#screen-error").inner_text()
    assert Order.objects.get().status == Order.Status.DRAFT
    settled(page)
    pen_row = page.locator("table.lines tbody tr", has=page.locator("code", has_text="PEN-STEEL"))
    pen_row.locator("input[name=p_engraving]").focus()
    page.keyboard.type("Para Mariana")
    page.keyboard.press("Tab")
    page.locator("#subtotal", has_text="284.90").wait_for()  # + R$ 15 engraving
    settled(page)

    page.locator("#source").focus()
    page.keyboard.type("RADIO10")
    page.keyboard.press("Tab")
    page.locator("dl.totals dt", has_text="Radio 10%").wait_for()
    settled(page)

    page.locator("input[name=shipping_service]").first.focus()
    page.keyboard.press("Space")
    page.locator("#grand-total", has_text="271.41").wait_for()  # 284.90 - 28.49 + 15.00
    settled(page)

    # Paid by card in 3 interest-free installments: the list offers what R$ 271.41 allows at R$ 50 a part at least.
    page.locator("#payment-method").focus()
    page.keyboard.press("c")  # "Credit/debit card"
    page.locator("#installments").wait_for()
    settled(page)
    options = page.locator("#installments option").all_inner_texts()
    assert options[0] == "At once: R$\xa0271.41" and options[-1].startswith("5\xa0×") and len(options) == 5
    page.locator("#installments").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.locator("#installments option[value='3'][selected]").wait_for(state="attached")  # saved, drawn again
    settled(page)
    assert Order.objects.get().payment_installments == 3

    enter_card(page, "4242 4242 4242 4242")
    page.locator("[data-card=summary]", has_text="4242").wait_for()
    page.wait_for_function("document.querySelector('[data-card=token]').value !== ''")
    settled(page)
    assert_no_horizontal_overflow(page)
    shot(page, "1-agent-phone-order")

    page.keyboard.press("Alt+p")  # accesskey of "Place order"
    wait_for_order_page(page)
    order = Order.objects.get()
    assert page.locator("h1").inner_text().startswith(f"Order {order.number}")
    page.locator("#sourcing-reason").wait_for()
    assert "Store Pinheiros" in page.locator("#sourcing-reason").inner_text()
    page.locator("#order-payments", has_text="4242").wait_for()
    settled(page)
    assert_no_horizontal_overflow(page)
    shot(page, "1-agent-order")

    assert (order.status, order.source_code, order.total) == (Order.Status.ON_HOLD, "RADIO10", Decimal("271.41"))
    assert (order.subtotal, order.discount_total, order.shipping_total) == (
        Decimal("284.90"), Decimal("28.49"), Decimal("15.00"))
    lines = {line.sku: line for line in order.lines.all()}
    assert {sku: (line.quantity, line.unit_price) for sku, line in lines.items()} == {
        "TEE-NAVY-M": (1, Decimal("89.90")), "MUG-CERAMIC": (2, Decimal("50.00")), "PEN-STEEL": (1, Decimal("95.00"))}
    assert lines["PEN-STEEL"].personalization == {"engraving": "Para Mariana"}
    assert set(OrderLineAllocation.objects.filter(line__order=order).values_list("location_id", flat=True)) == {
        shop["store"].pk}
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.status, payment.amount, payment.card_last4, payment.installments) == (
        "card", Payment.Status.AUTHORIZED, Decimal("271.41"), "4242", 3)
    assert "3\xa0×\xa0R$\xa090.47" in page.locator("#order-payments").inner_text()
    assert page.locator("#order-status").inner_text() == "On hold"
    assert page.locator("#order-total").inner_text().endswith("271.41")
    assert "Para Mariana" in page.locator("section.panel", has_text="Lines").inner_text()
    totals = page.locator("section.panel", has=page.get_by_role("heading", name="Totals")).inner_text()
    assert "Radio 10%" in totals and "−R$\xa028.49" in totals  # which promotion gave the discount
    assert "Placed → On hold" in page.locator("ol.timeline").inner_text()
    return order


# --- 2. the manager -------------------------------------------------------------------------------------------------


def manager_approves_and_exports(page, order) -> None:
    page.goto("/reports/")
    tile = page.locator(".report-tiles .tile", has_text="On hold, awaiting approval")
    assert tile.locator("strong").inner_text() == "1"
    today = page.locator(".report-tiles .tile").first
    assert today.locator("strong").inner_text() == "1"
    shot(page, "2-manager-dashboard")
    tile.click()
    page.wait_for_url("**/orders/approvals/**")
    row = page.locator("table.data tbody tr", has_text=order.number)
    assert "High order value" in row.inner_text() or "value" in row.inner_text().lower()
    wait_focus(page, "reason-", prefix=True)  # the first hold's reason box
    page.keyboard.type("Known customer, confirmed by phone")
    row.get_by_role("button", name="Approve").click()
    page.get_by_text("Hold approved.").wait_for()
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    hold = OrderHold.objects.get(order=order)
    assert (hold.status, hold.decided_by_id, hold.decision_reason) == (
        OrderHold.Status.APPROVED, page.user.pk, "Known customer, confirmed by phone")
    assert page.get_by_text("Nothing waits for approval.").is_visible()

    page.goto("/reports/jobs/")
    page.select_option("select[name=kind]", "orders")
    page.select_option("select[name=format]", "csv")
    page.get_by_role("button", name="Start export").click()
    page.wait_for_url("**/reports/jobs/")
    job = ReportJob.objects.get()
    download_link = page.locator(f"#job-{job.pk} a", has_text="Download")
    download_link.wait_for(timeout=20_000)  # the worker runs it; the row polls every second
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    header, [exported] = rows[0], rows[1:]
    record = dict(zip(header, exported, strict=True))
    assert (record["Number"], record["Status"], record["Source code"], Decimal(record["Total"])) == (
        order.number, "confirmed", "RADIO10", Decimal("271.41"))
    assert (Decimal(record["Discount"]), record["Placed by"]) == (Decimal("28.49"), order.placed_by.username)
    job.refresh_from_db()
    assert (job.status, job.row_count, job.requested_by_id) == ("done", 1, page.user.pk)
    shot(page, "2-manager-export")


# --- 4. the warehouse -----------------------------------------------------------------------------------------------


def warehouse_picks_packs_and_ships(page, order, shop) -> Shipment:
    page.goto("/fulfilment/")
    page.get_by_role("button", name="Release to warehouse").click()
    page.wait_for_url("**/fulfilment/")
    shipment = Shipment.objects.get(order=order)
    assert shipment.location_id == shop["store"].pk
    page.goto(f"/fulfilment/pick-list/?location={shop['store'].pk}")
    picks = {row.locator("code").inner_text(): row.locator("td.num").inner_text()
             for row in page.locator("table.data tbody tr").all()}
    assert picks == {"MUG-CERAMIC": "2", "PEN-STEEL": "1", "TEE-NAVY-M": "1"}
    shot(page, "4-warehouse-pick-list")

    page.goto(f"/fulfilment/shipments/{shipment.pk}/")
    wait_focus(page, "scan-code")
    scan(page, ("TEE-NAVY-M", shop["mug"].barcode, "MUG-CERAMIC", shop["pen"].barcode))
    assert page.locator("#shipment-status").inner_text() == "Packed"
    ship_by_keyboard(page, shipment)
    assert_no_horizontal_overflow(page)
    shot(page, "4-warehouse-shipped")
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert (order.status, shipment.status, shipment.tracking_number) == (
        Order.Status.SHIPPED, Shipment.Status.SHIPPED, "BR123456789")
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.captured_amount) == (Payment.Status.CAPTURED, Decimal("271.41"))
    return shipment


def stock_on_screen(page, variant, location) -> str:
    """The "on hand / reserved" cell of a SKU at a location on the product page."""
    page.goto(f"/inventory/products/{variant.product_id}/")
    headers = [h.split("\n")[0].strip() for h in page.locator("table.data thead th").all_inner_texts()]
    row = page.locator("table.data tbody tr", has_text=variant.sku)
    return row.locator("th, td").nth(headers.index(location.code)).inner_text()  # the SKU is the row's header


def mug_comes_back(agent, manager, warehouse, order, shop) -> None:
    store, mug = shop["store"], shop["mug"]
    assert stock_on_screen(warehouse, mug, store) == "2 / 0"  # 4 received, 2 shipped
    agent.goto(f"/orders/{order.pk}/")
    agent.get_by_role("link", name="Request a return…").click()
    mug_line = order.lines.get(sku="MUG-CERAMIC")
    wait_focus(agent, f"qty-{order.lines.order_by('position', 'pk').first().pk}")
    agent.fill(f"#qty-{mug_line.pk}", "1")
    agent.select_option(f"#reason-{mug_line.pk}", "changed_mind")
    agent.get_by_role("button", name="Request return").click()
    agent.wait_for_url(f"**/orders/{order.pk}/")
    rma = Return.objects.get(order=order)

    manager.goto(f"/fulfilment/returns/{rma.pk}/")
    manager.get_by_role("button", name="Approve").click()
    manager.locator("#return-status", has_text="Approved").wait_for()

    warehouse.goto("/fulfilment/returns/")
    warehouse.get_by_role("link", name=str(rma)).click()
    warehouse.select_option("#rma-location", str(store.pk))
    warehouse.get_by_role("button", name="Receive").click()
    warehouse.locator("#return-status", has_text="Received").wait_for()
    assert warehouse.locator("select[name^=condition_]").input_value() == ""  # no default: the inspector says which
    warehouse.select_option("select[name^=condition_]", "resell")
    warehouse.get_by_role("button", name="Record inspection (restock resellable items)").click()
    warehouse.locator("#return-status", has_text="Restocked").wait_for()
    # The mug was sold at R$ 50 less the campaign's 10 %.
    assert "Value of the returned items: R$\xa045.00" in warehouse.locator("main").inner_text()
    assert_no_horizontal_overflow(warehouse)
    shot(warehouse, "4-warehouse-return")
    rma.refresh_from_db()
    assert rma.status == Return.Status.RESTOCKED
    assert list(rma.lines.values_list("quantity", "restocked_quantity")) == [(1, 1)]

    assert stock_on_screen(warehouse, mug, store) == "3 / 0"
    shot(warehouse, "4-warehouse-stock")
    level = StockLevel.objects.get(variant=mug, location=store)
    assert (level.on_hand, level.reserved) == (3, 0)
    call_command("verify_ledgers")


def test_one_order_from_campaign_set_up_to_return(desk, shop, worker_broker, settings):
    settings.ORDERS_HOLD_ABOVE = 250  # this call center asks a manager above R$ 250
    # The sandbox processor keeps its authorizations in the cache: use the test's own Redis, so that another
    # checkout's test clearing the shared cache meanwhile cannot make the capture fail.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": worker_broker.url}}

    admin = desk("admin")
    admin_sets_up_prices_and_campaign(admin, shop)

    agent = desk("agent")
    order = agent_takes_the_phone_order(agent, shop)

    manager = desk("manager")
    manager_approves_and_exports(manager, order)

    warehouse = desk("warehouse")
    warehouse_picks_packs_and_ships(warehouse, order, shop)
    mug_comes_back(agent, manager, warehouse, order, shop)


# --- 5. the same pages in Portuguese and in Arabic -----------------------------------------------------------------


def seed_orders(shop, make_user, settings) -> dict:
    """Through the services: a shipped order with a return requested, an order held for approval, an open draft."""
    import uuid

    from orders.fulfilment import services as ful
    from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place

    agent, boss = make_user("agent"), make_user("admin")

    def draft(lines):
        order = draft_create(channel_id=shop["channel"].pk, acting_user=agent, customer_id=shop["customer"].pk)
        for variant, quantity in lines:
            draft_line_add(order_id=order.pk, variant_id=variant.pk, quantity=quantity, acting_user=agent,
                           personalization={"engraving": "Para Mariana"} if variant == shop["pen"] else None)
        draft_update(order_id=order.pk, acting_user=agent, payment_method="invoice",
                     shipping_service=shop["service"].code, notes="Entregar após as 18h · التسليم بعد السادسة")
        return order

    def place(order):
        return order_place(order_id=order.pk, idempotency_key=uuid.uuid4().hex, acting_user=agent,
                           payment=PaymentRequest(method="invoice"))

    shipped = place(draft([(shop["tee"], 1), (shop["mug"], 2), (shop["pen"], 1)]))
    [shipment] = ful.order_allocate(order_id=shipped.pk, acting_user=boss)
    for code in ("TEE-NAVY-M", "MUG-CERAMIC", "MUG-CERAMIC", "PEN-STEEL"):
        ful.shipment_scan(shipment_id=shipment.pk, code=code, acting_user=boss)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR123456789", acting_user=boss)
    mug_line = shipped.lines.get(sku="MUG-CERAMIC")
    rma = ful.return_request(order_id=shipped.pk, lines=[(mug_line.pk, 1, "changed_mind")], acting_user=agent)
    settings.ORDERS_HOLD_ABOVE = 250
    held = place(draft([(shop["mug"], 6)]))
    assert held.status == Order.Status.ON_HOLD
    open_draft = draft([(shop["tee"], 1), (shop["pen"], 1)])
    return {"order": shipped, "shipment": shipment, "rma": rma, "held": held, "draft": open_draft}


@pytest.mark.parametrize(("language", "direction"), [("pt-br", "ltr"), ("ar", "rtl")])
def test_key_pages_in_portuguese_and_arabic_without_layout_breakage(desk, shop, make_user, settings, language,
                                                                     direction):
    from django.utils import translation

    seeded = seed_orders(shop, make_user, settings)
    order, held = seeded["order"], seeded["held"]
    pages = [
        ("dashboard", "/reports/", "Dashboard"),
        ("phone", f"/phone/{seeded['draft'].pk}/", "Total and place"),
        ("order", f"/orders/{order.pk}/", "Timeline"),
        ("approvals", "/orders/approvals/", "Orders waiting for approval"),
        ("shipment", f"/fulfilment/shipments/{seeded['shipment'].pk}/", "Packing slip PDF"),
        ("return", f"/fulfilment/returns/{seeded['rma'].pk}/", "Value of the returned items:"),
        ("promotions", "/marketing/promotions/", "Promotions"),
        ("stock", f"/inventory/products/{shop['pen'].product_id}/", "Variants and stock"),
    ]
    page = desk("admin", language)
    for name, url, label in pages:
        with translation.override(language):
            translated = translation.gettext(label)
        assert translated != label, f"{label!r} has no {language} translation"
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.goto(url)
            settled(page)
            assert page.locator("html").get_attribute("dir") == direction
            assert page.locator("html").get_attribute("lang") == language
            assert translated in page.locator("main").inner_text(), (name, translated)
            shot(page, f"5-{language}-{name}-{width}")
            try:
                assert_no_horizontal_overflow(page)
            except AssertionError as error:
                raise AssertionError(f"{name} at {width} width: {error}") from error
    # What the pages say comes from the database, in the reader's language.
    page.goto(f"/orders/{order.pk}/")
    with translation.override(language):
        shipped_label, held_label = str(Order.Status.SHIPPED.label), str(Order.Status.ON_HOLD.label)
        placed_label, confirmed_label = str(Order.Status.PLACED.label), str(Order.Status.CONFIRMED.label)
    assert page.locator("#order-status").inner_text() == shipped_label
    # The timeline names statuses in the reader's language, its arrows pointing the way the text reads.
    arrow = "←" if direction == "rtl" else "→"
    assert f"{placed_label} {arrow} {confirmed_label}" in page.locator("ol.timeline").inner_text()
    page.goto(f"/orders/{held.pk}/")
    assert page.locator("#order-status").inner_text() == held_label
    page.wait_for_load_state("networkidle")  # the payments panel loads by htmx: not cut off by the test's end

"""A warehouse worker picks, packs by scanning and ships an order in a real browser, by keyboard."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from orders.fulfilment.models import Shipment
from orders.models import Order
from tests.browser.steps import scan, settled, ship_by_keyboard, wait_focus
from tests.conftest import assert_no_horizontal_overflow
from tests.fulfilment.conftest import net, place_order, stock  # noqa: F401 - fixtures shared with the service tests

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


def test_pick_pack_by_scanning_and_ship(page, login, make_user, net, place_order):  # noqa: F811
    order = place_order(make_user("agent"), [(net["shirt"], 2), (net["mug"], 1)])
    login("warehouse")
    page.goto("/fulfilment/")
    page.get_by_role("button", name="Release to warehouse").click()
    page.wait_for_url("**/fulfilment/")
    shipment = Shipment.objects.get(order=order)
    page.get_by_role("link", name=str(shipment)).click()
    page.wait_for_url(f"**/fulfilment/shipments/{shipment.pk}/")
    ARTIFACTS.mkdir(exist_ok=True)
    # The scan box has the focus: a scanner types the code and Enter.
    assert page.evaluate("document.activeElement.id") == "scan-code"
    page.keyboard.type("NOT-A-SKU")
    page.keyboard.press("Enter")
    settled(page)
    assert page.get_by_text("NOT-A-SKU is not in shipment").is_visible()
    scan(page, (net["shirt"].sku, net["shirt"].barcode, net["mug"].sku))
    page.screenshot(path=str(ARTIFACTS / "fulfilment-packed.png"), full_page=True)
    assert page.locator("#shipment-status").inner_text() == "Packed"
    # One unit too many in the box: the scanner's next code stays in the scan box (it used to land in Carrier) and
    # is named as extra; Tab then reaches the carrier.
    assert page.evaluate("document.activeElement.id") == "scan-code"
    scan(page, (net["mug"].sku,))
    assert page.get_by_text(f"All 1 × {net['mug'].sku} are already packed.").is_visible()
    assert page.locator("#ship-carrier").input_value() == ""
    assert page.locator("#shipment-status").inner_text() == "Packed"
    # The mug counted earlier went into another box: Shift+Tab from the scan box reaches the last counted line's
    # "Remove one" (named with its SKU), Enter takes the unit back, the counts and the state follow, and the cursor
    # is back in the scan box for the mug scanned again.
    page.locator("#scan-code").focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent") == f"Remove one {net['mug'].sku}"
    page.keyboard.press("Enter")
    expect(page.locator("#shipment-status")).to_have_text("Picking")
    settled(page)
    assert page.locator("[data-packed]").all_inner_texts() == ["2", "0"]
    assert page.get_by_text(f"Took 1 × {net['mug'].sku} back (0 of 1 packed).").is_visible()
    assert page.locator("#ship-carrier").count() == 0  # not shipped short
    wait_focus(page, "scan-code")
    page.keyboard.type(net["mug"].barcode)
    page.keyboard.press("Enter")
    expect(page.locator("#shipment-status")).to_have_text("Packed")
    settled(page)
    assert page.locator("[data-packed]").all_inner_texts() == ["2", "1"]
    page.locator("#scan-code").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "ship-carrier"
    ship_by_keyboard(page, shipment)
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "fulfilment-shipped.png"), full_page=True)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    page.goto(f"/orders/{order.pk}/")
    page.wait_for_selector("#sourcing-reason")
    assert "Store Pinheiros" in page.locator("#sourcing-reason").inner_text()
    page.screenshot(path=str(ARTIFACTS / "fulfilment-order.png"), full_page=True)


def test_delivered_by_carrier_file_then_returned_and_refunded(page, login, make_user, net, place_order,  # noqa: F811
                                                               tmp_path):
    from decimal import Decimal

    from django.core.management import call_command

    from inventory.models import StockLevel
    from orders.fulfilment import services as ful
    from payments.models import Payment

    admin = make_user("admin")
    order = place_order(admin, [(net["mug"], 2)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=admin)
    for _unit in range(2):
        ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=admin)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR777", acting_user=admin)
    login("admin")
    csv = tmp_path / "carrier.csv"
    csv.write_text("tracking_number,status,reason\nBR777,delivered,\n")
    page.goto("/fulfilment/carrier-updates/")
    page.set_input_files("#carrier-file", str(csv))
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("1 shipment updated.")).to_be_visible()
    page.goto(f"/orders/{order.pk}/")
    page.get_by_role("link", name="Request a return…").click()
    line = order.lines.get()
    wait_focus(page, f"qty-{line.pk}")  # the return form opens on the first quantity (autofocus, once loaded)
    page.fill(f"#qty-{line.pk}", "1")
    page.select_option(f"#reason-{line.pk}", "defective")
    page.get_by_role("button", name="Request return").click()
    page.screenshot(path=str(ARTIFACTS / "fulfilment-return-request.png"), full_page=True)
    page.wait_for_url(f"**/orders/{order.pk}/")
    page.locator("#order-fulfilment a", has_text="RMA-").click()
    # The button that keeps Enter in the reason from deciding is hidden (it showed as an empty box before Approve:
    # the buttons' display rule won over the hidden attribute).
    page.locator("#rma-reason").wait_for()
    assert page.locator("#rma-reason ~ button[hidden]").count() == 1
    assert not page.locator("#rma-reason ~ button[hidden]").is_visible()
    page.get_by_role("button", name="Approve").click()
    page.select_option("#rma-location", str(net["dc"].pk))
    page.get_by_role("button", name="Receive").click()
    page.select_option("select[name^=condition_]", "resell")  # the inspector says which: there is no default
    page.get_by_role("button", name="Record inspection (restock resellable items)").click()
    page.get_by_role("button", name="Refund").click()
    assert page.locator("#return-status").inner_text() == "Refunded"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fulfilment-return.png"), full_page=True)
    payment = Payment.objects.get(order=order)
    assert (payment.captured_amount, payment.refunded_amount) == (order.total, Decimal("50.00"))
    level = StockLevel.objects.get(variant=net["mug"], location=net["dc"])
    assert (level.on_hand, level.reserved) == (21, 0)
    call_command("verify_ledgers")


def test_warehouse_screens_in_arabic_are_right_to_left_without_overflow(page, login, make_user, net,  # noqa: F811
                                                                        place_order):  # noqa: F811
    from orders.fulfilment import services as ful

    order = place_order(make_user("agent"), [(net["shirt"], 1), (net["mug"], 1)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=make_user("admin"))
    login("warehouse", "ar")
    page.goto("/fulfilment/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("heading", name="الشحنات قيد العمل").is_visible()
    assert_no_horizontal_overflow(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fulfilment-queue-ar.png"), full_page=True)
    page.goto(f"/fulfilment/shipments/{shipment.pk}/")
    page.keyboard.type(net["mug"].sku)
    page.keyboard.press("Enter")
    settled(page)
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "fulfilment-shipment-ar.png"), full_page=True)


def _held_scans(page) -> list:
    """Holds the scan requests until the test lets them through: the codes that follow are typed while the first
    one is on its way, as a scanner does on a loaded server."""
    held: list = []
    page.route("**/scan/", lambda route: held.append(route))
    return held


def _let_through(page, held: list, count: int) -> None:
    """Lets ``count`` held scans through, one at a time, each once the page sent it."""
    for _ in range(count):
        for _wait in range(100):  # the route handler runs whenever the test talks to the browser
            if held:
                break
            page.wait_for_timeout(50)
        held.pop(0).continue_()
        page.wait_for_timeout(300)
    settled(page)


def test_scans_typed_while_the_first_is_on_its_way_are_each_counted_once(page, login, make_user, net,  # noqa: F811
                                                                           place_order):  # noqa: F811
    """Three codes and Enters typed before the first answer came, and an Enter more on the empty box: three units
    packed (the second and third scans' first characters used to be lost with the redrawn box, and the rest read
    as an unknown code), the cursor still in the box with what was typed since."""
    from orders.fulfilment import services as ful

    order = place_order(make_user("agent"), [(net["shirt"], 2), (net["mug"], 2)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=make_user("admin"))
    login("warehouse")
    page.goto(f"/fulfilment/shipments/{shipment.pk}/")
    wait_focus(page, "scan-code")
    held = _held_scans(page)
    for code in (net["shirt"].barcode, net["mug"].sku, net["shirt"].sku):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # a second Enter on the empty box counts nothing
    page.keyboard.type(net["mug"].barcode[:4])  # the next code, half typed when the answers come
    _let_through(page, held, 3)
    page.wait_for_timeout(300)
    assert held == []
    packed = {sl.order_line.variant_id: sl.packed_quantity
              for sl in shipment.lines.select_related("order_line")}
    assert packed == {net["shirt"].pk: 2, net["mug"].pk: 1}
    assert page.locator("[data-packed]").all_inner_texts() == ["2", "1"]
    assert page.evaluate("document.activeElement.id") == "scan-code"
    assert page.locator("#scan-code").input_value() == net["mug"].barcode[:4]


def test_a_refused_scan_is_marked_on_the_box_and_stops_the_codes_scanned_after_it(page, login, make_user, net,  # noqa: F811
                                                                                   place_order):  # noqa: F811
    """A wrong item among fast scans: the box is marked invalid with the reason under it, the codes scanned after
    it are not sent (they would redraw the screen over the refusal) and the box says to scan them again."""
    from orders.fulfilment import services as ful

    order = place_order(make_user("agent"), [(net["shirt"], 2)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=make_user("admin"))
    login("warehouse", "pt-br")
    page.goto(f"/fulfilment/shipments/{shipment.pk}/")
    wait_focus(page, "scan-code")
    held = _held_scans(page)
    for code in ("OUTRO-PEDIDO", net["shirt"].sku):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    _let_through(page, held, 1)
    page.wait_for_timeout(300)
    assert held == []
    assert shipment.lines.get().packed_quantity == 0
    refusal = page.locator("#scan-refused")
    assert refusal.inner_text() == f"OUTRO-PEDIDO não está na remessa S{shipment.pk}."
    assert page.locator("#scan-code").get_attribute("aria-invalid") == "true"
    assert page.locator("#scan-code").get_attribute("aria-describedby") == "scan-refused"
    assert page.locator("#scan-unsent").is_visible()
    assert page.evaluate("document.activeElement.id") == "scan-code"
    # Scanned again once the refusal was read: counted, and the box is no longer marked.
    page.keyboard.type(net["shirt"].sku)
    page.keyboard.press("Enter")
    _let_through(page, held, 1)
    assert shipment.lines.get().packed_quantity == 1
    assert page.locator("#scan-code").get_attribute("aria-invalid") is None
    assert not page.locator("#scan-unsent").is_visible()


def test_an_enter_pressed_again_after_ready_for_pick_up_does_not_hand_the_parcel_over(page, login, make_user, net,  # noqa: F811
                                                                                       place_order):  # noqa: F811
    """The store packs a pick-up and marks it ready by keyboard. The page came back with the cursor on "Customer
    collected it", so an Enter pressed again handed the parcel over (stock consumed, payment captured) with no
    customer there. The cursor is on "Back to shipments" then; the collection button has it when the customer
    comes and the clerk opens the shipment."""
    from orders.fulfilment import services as ful

    order = place_order(make_user("agent"), [(net["mug"], 1)], delivery_method="pickup",
                        pickup_location_id=net["store"].pk)
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=make_user("admin"))
    login("warehouse")
    page.goto(f"/fulfilment/shipments/{shipment.pk}/")
    wait_focus(page, "scan-code")
    scan(page, (net["mug"].barcode,))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Ready for pick-up (notify the customer)"
    page.keyboard.press("Enter")
    expect(page.locator("#shipment-status")).to_have_text("Ready for pick-up")
    page.wait_for_timeout(300)  # the page's autofocus is applied
    page.keyboard.press("Enter")  # pressed again
    page.wait_for_load_state()
    page.wait_for_timeout(500)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.READY
    expect(page).to_have_url(re.compile(r"/fulfilment/\?location=\d+$"))  # it went back to the shipments
    page.goto(f"/fulfilment/shipments/{shipment.pk}/")  # the customer is at the counter
    wait_focus(page, "pickup-collected")
    page.keyboard.press("Enter")
    expect(page.locator("#shipment-status")).to_have_text("Delivered")
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED


def test_text_typed_during_a_failed_scan_does_not_come_back_after_a_later_one(page, login, make_user, net,  # noqa: F811
                                                                              place_order):  # noqa: F811
    """A scan whose request failed (the server answered 500) leaves the screen as it was. What was typed while it
    was on its way was kept for a redraw that never came, and was put into the box after the next scan, made
    with the Pack button: the box showed an old half code."""
    from orders.fulfilment import services as ful

    order = place_order(make_user("agent"), [(net["mug"], 2)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=make_user("admin"))
    login("warehouse")
    page.goto(f"/fulfilment/shipments/{shipment.pk}/")
    wait_focus(page, "scan-code")
    held = _held_scans(page)
    page.keyboard.type(net["mug"].sku)
    page.keyboard.press("Enter")
    page.keyboard.type("OLD")
    for _wait in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    held.pop(0).fulfill(status=500, body="boom")
    page.wait_for_timeout(500)
    page.unroute("**/scan/")
    assert shipment.lines.get().packed_quantity == 0
    page.fill("#scan-code", net["mug"].sku)
    page.get_by_role("button", name="Pack").click()
    expect(page.locator("[data-packed]")).to_have_text("1")
    settled(page)
    assert page.locator("#scan-code").input_value() == ""

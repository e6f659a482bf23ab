"""A warehouse worker picks, packs by scanning and ships an order in a real browser, by keyboard."""

import os
from pathlib import Path

import pytest

from orders.fulfilment.models import Shipment
from orders.models import Order
from tests.conftest import assert_no_horizontal_overflow
from tests.fulfilment.conftest import net, place_order, stock  # noqa: F401 - fixtures shared with the service tests

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    from django.apps import apps

    from oms.permissions import sync_roles

    sync_roles(apps)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def settled(page) -> None:
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    page.wait_for_timeout(50)


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
    for code in (net["shirt"].sku, net["shirt"].barcode, net["mug"].sku):
        page.locator("#scan-code").focus()
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        settled(page)
    page.screenshot(path=str(ARTIFACTS / "fulfilment-packed.png"), full_page=True)
    assert page.locator("#shipment-status").inner_text() == "Packed"
    page.reload()
    assert page.evaluate("document.activeElement.id") == "ship-carrier"
    page.keyboard.type("Correios")
    page.keyboard.press("Tab")
    page.keyboard.type("SEDEX")
    page.keyboard.press("Tab")
    page.keyboard.type("BR123456789")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/fulfilment/shipments/{shipment.pk}/")
    assert page.locator("#shipment-status").inner_text() == "Shipped"
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "fulfilment-shipped.png"), full_page=True)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    page.goto(f"/orders/{order.pk}/")
    page.wait_for_selector("#sourcing-reason")
    assert "Store Pinheiros" in page.locator("#sourcing-reason").inner_text()
    page.screenshot(path=str(ARTIFACTS / "fulfilment-order.png"), full_page=True)

"""Inventory screens in a real browser: a keyboard-only stock adjustment, and the product list in Arabic."""

from pathlib import Path

import pytest

from inventory.models import StockLevel, StockMovement
from tests.browser.steps import wait_focus
from tests.conftest import assert_no_horizontal_overflow
from tests.inventory.factories import LocationFactory, ProductFactory, VariantFactory

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_warehouse_adjusts_stock_by_keyboard_and_sees_the_movement(page, login):
    from inventory.services import StockLine, stock_receive

    LocationFactory(code="DC1", name="Centro de distribuição")
    store = LocationFactory(code="SP2", name="Loja Paulista")
    product = ProductFactory(name="Camiseta básica")
    variant = VariantFactory(product=product, sku="TEE-BLU-M", name="Camiseta básica azul M")
    stock_receive(lines=[StockLine(variant.pk, store.pk, 10)], reference="po:1", acting_user=None)
    user = login("warehouse")

    page.goto("/inventory/stock/adjust/")
    wait_focus(page, "id_sku")  # the agent starts typing at once
    page.keyboard.type("TEE-BLU-M")
    page.keyboard.press("Tab")
    page.keyboard.type("SP2")  # typing picks the location in the focused select
    page.keyboard.press("Tab")
    page.keyboard.type("-3")
    page.keyboard.press("Tab")
    page.keyboard.type("Damaged in the stock room")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("TEE-BLU-M at SP2: 7 on hand.").is_visible()
    assert StockLevel.objects.get(variant=variant, location=store).on_hand == 7
    movement = StockMovement.objects.get(reason="adjustment")
    assert (movement.on_hand_delta, movement.user_id) == (-3, user.pk)

    # The link to the SKU's history is reachable by keyboard as well.
    link = page.get_by_role("link", name="See its stock movements")
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/inventory/products/{product.pk}/?location={store.pk}#movements")
    row = page.locator("#movements tbody tr").first
    assert row.locator("td").nth(1).inner_text() == "TEE-BLU-M"
    assert row.locator("td").nth(2).inner_text() == "SP2"
    assert "Adjustment" in row.locator("td").nth(3).inner_text()
    assert "Damaged in the stock room" in row.locator("td").nth(3).inner_text()
    assert row.locator("td").nth(4).inner_text() == "-3"
    assert row.locator("td").nth(7).inner_text() == (user.get_full_name() or user.username)
    assert_no_horizontal_overflow(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inventory-adjust-history.png"), full_page=True)


def test_product_list_in_arabic_has_no_horizontal_overflow(page, login):
    location = LocationFactory(code="DC1")
    for n in range(8):
        product = ProductFactory(name=f"منتج تجريبي طويل الاسم رقم {n}")
        VariantFactory(product=product)
    login("admin", "ar")
    page.goto("/inventory/products/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("table.data tbody tr").count() == 8
    assert_no_horizontal_overflow(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inventory-products-ar.png"), full_page=True)
    page.goto(f"/inventory/locations/{location.pk}/")
    assert_no_horizontal_overflow(page)
    page.goto("/inventory/skus/new/?product=" + str(product.pk))
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "inventory-sku-form-ar.png"), full_page=True)


def test_cancelling_a_transfer_asks_first_and_a_no_keeps_it(page, login):
    """Destructive buttons outside marketing (cancel a transfer or a purchase order, delete a record, remove a
    holiday or a price) submitted at once: a Tab from the focused "Ship" and Enter cancelled the transfer."""
    from inventory.models import Transfer
    from inventory.services import StockLine, stock_receive, transfer_create

    source, target = LocationFactory(code="DC1"), LocationFactory(code="SP2")
    variant = VariantFactory(sku="TEE-BLU-M")
    stock_receive(lines=[StockLine(variant.pk, source.pk, 5)], reference="po:1", acting_user=None)
    transfer = transfer_create(from_location_id=source.pk, to_location_id=target.pk, lines=[(variant.pk, 2)],
                               acting_user=None)
    login("warehouse", "pt-br")
    page.goto(f"/inventory/transfers/{transfer.pk}/")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.wait_for_function("document.activeElement.textContent.trim() === 'Enviar'")  # "Ship" has the focus
    page.keyboard.press("Tab")  # from "Ship" to "Cancel"
    page.wait_for_function("document.activeElement.dataset.confirm === 'Cancelar esta transferência?'")
    page.keyboard.press("Enter")
    page.wait_for_function("document.readyState === 'complete'")
    for _wait in range(50):  # the question is asked at once; a loaded machine may take a moment to show it
        if asked:
            break
        page.wait_for_timeout(100)
    assert asked == ["Cancelar esta transferência?"]
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.REQUESTED
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CANCELLED


def test_a_filtered_list_keeps_its_filter_in_the_address_across_a_reload_and_back(page, login):
    """List filters redrew the table in place without changing the address, so a reload, a shared link, the back
    button or a change of language lost what the manager had filtered (the order list already pushed its filters,
    and the language switch still went back to the address the page was first loaded at)."""
    for name in ("Camiseta básica", "Caneca azul", "Camiseta listrada"):
        VariantFactory(product=ProductFactory(name=name))
    login("manager")
    page.goto("/inventory/products/")
    assert page.locator("#product-table tbody tr").count() == 3
    page.locator("form.filters input[name=q]").press_sequentially("Camiseta")  # typed, as the filter listens to keys
    page.wait_for_url("**/inventory/products/?*q=Camiseta*")
    page.wait_for_function("document.querySelectorAll('#product-table tbody tr').length === 2")

    page.reload()
    assert page.locator("#product-table tbody tr").count() == 2
    assert page.locator("form.filters input[name=q]").input_value() == "Camiseta"

    page.goto("/inventory/locations/")
    page.go_back()
    page.wait_for_url("**/inventory/products/?*q=Camiseta*")
    assert page.locator("header.topbar").count() == 1  # the whole page, not the table alone
    assert page.locator("#product-table tbody tr").count() == 2

    page.locator("form.filters input[name=q]").press("End")
    page.keyboard.type(" básica")
    page.wait_for_url("**/inventory/products/?*q=Camiseta%20b*")
    with page.expect_navigation():
        page.select_option("#lang-select", "pt-br")  # the language switch comes back to the filtered list
    assert page.locator("html").get_attribute("lang") == "pt-br"
    assert page.locator("form.filters input[name=q]").input_value() == "Camiseta básica"
    assert page.locator("#product-table tbody tr").count() == 1


def test_a_refused_stock_form_puts_the_cursor_in_the_field_to_correct(page, login):
    """After a refused form the cursor stayed in the SKU box (the page's autofocus) when the change was the field in
    error, and on a transfer it was nowhere (the page body): a keyboard user had to find the field again."""
    location = LocationFactory(code="DC1")
    LocationFactory(code="SP2")
    variant = VariantFactory(sku="TEE-BLU-M")
    from inventory.services import StockLine, stock_receive

    stock_receive(lines=[StockLine(variant.pk, location.pk, 10)], reference="po:1", acting_user=None)
    login("warehouse")
    page.goto("/inventory/stock/adjust/")
    wait_focus(page, "id_sku")  # as a person waits for the cursor: a letter typed before it is lost
    page.keyboard.type("TEE-BLU-M")
    page.keyboard.press("Tab")
    page.keyboard.type("DC1")
    page.keyboard.press("Tab")
    page.keyboard.type("0")
    page.keyboard.press("Tab")
    page.keyboard.type("Recount")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("#id_delta_error").wait_for()
    wait_focus(page, "id_delta")

    page.goto("/inventory/transfers/new/")
    page.locator("#id_from_location").select_option(index=1)
    page.locator("#id_to_location").select_option(index=2)
    page.fill("#id_lines", "NOPE 1")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.locator("#id_lines_error").wait_for()
    wait_focus(page, "id_lines")

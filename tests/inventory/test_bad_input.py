"""Input no column can hold, and ids that name nothing, are answered with a message or a 404, never a 500:
superscript digits in filters, integers past the database range, NaN/Infinity/1e30 costs, absurd dates,
and actions on transfers, purchase orders and alerts that do not exist."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory import services
from inventory.errors import InvalidQuantity
from inventory.models import PurchaseOrder, PurchaseOrderLine, StockLevel, StockMovement, Transfer
from inventory.services import StockLine, po_create, stock_receive
from tests.inventory.factories import LocationFactory, ProductFactory, SupplierFactory, VariantFactory

pytestmark = pytest.mark.django_db

INT_MAX = 2147483647
TOO_BIG = "2147483648"


@pytest.fixture
def world(db):
    product = ProductFactory()
    variant = VariantFactory(product=product, sku="VST001-AZL-G")
    source, target = LocationFactory(code="DC-SP"), LocationFactory(code="LJ-RJ")
    stock_receive(lines=[StockLine(variant.pk, source.pk, 10)], reference="test", acting_user=None)
    return product, variant, source, target


@pytest.mark.parametrize("params", [{"brand": "²"}, {"category": "²"}, {"brand": "99999999999999999999"},
                                    {"category": "٣"}])
def test_product_list_filters_with_odd_digits_are_ignored(role_client, world, params):
    response = role_client("agent").get(reverse("inventory:product_list"), params)
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["²", "99999999999999999999", "1²"])
def test_product_movements_with_an_odd_location_are_not_filtered(role_client, world, value):
    product = world[0]
    response = role_client("agent").get(reverse("inventory:product_detail", args=[product.pk]), {"location": value})
    assert response.status_code == 200


@pytest.mark.parametrize("name, params", [
    ("inventory:transfer_list", {"location": "99999999999999999999"}),
    ("inventory:po_list", {"supplier": "²"}),
    ("inventory:reorder_rules", {"location": "99999999999999999999"}),
    ("inventory:stock_adjust", {"location": "²", "done": "99999999999999999999"}),
    ("inventory:overstock", {"window": "99999999999999999999", "cover": "²"}),
])
def test_list_filters_with_odd_ids_answer_200(role_client, world, name, params):
    assert role_client("admin").get(reverse(name), params).status_code == 200


def test_adjust_beyond_the_integer_range_is_refused_on_the_form(role_client, world):
    _product, variant, source, _target = world
    client = role_client("warehouse")
    response = client.post(reverse("inventory:stock_adjust"), {"sku": variant.sku, "location": source.pk,
                                                                "delta": TOO_BIG, "reason": "found"})
    assert response.status_code == 422
    assert f"less than or equal to {INT_MAX}" in response.content.decode()
    # Within the field but past what the stock row can hold: refused by the service, naming SKU and location.
    response = client.post(reverse("inventory:stock_adjust"), {"sku": variant.sku, "location": source.pk,
                                                                "delta": str(INT_MAX), "reason": "found"})
    assert response.status_code == 422
    assert f"VST001-AZL-G at DC-SP cannot hold more than {INT_MAX} units." in response.content.decode()
    assert StockLevel.objects.get(location=source).on_hand == 10
    assert StockMovement.objects.count() == 1


def test_count_and_safety_stock_beyond_the_integer_range_are_refused(role_client, world):
    _product, variant, source, _target = world
    client = role_client("warehouse")
    response = client.post(reverse("inventory:stock_count"), {"sku": variant.sku, "location": source.pk,
                                                               "counted": TOO_BIG})
    assert response.status_code == 422
    response = client.post(reverse("inventory:safety_stock"), {"sku": variant.sku, "location": source.pk,
                                                                "safety_stock": "99999999999999"})
    assert response.status_code == 422
    assert f"less than or equal to {INT_MAX}" in response.content.decode()
    level = StockLevel.objects.get(location=source)
    assert (level.on_hand, level.safety_stock) == (10, 0)


def test_services_refuse_values_past_the_columns(world):
    _product, variant, source, _target = world
    with pytest.raises(InvalidQuantity):
        services.stock_count(variant_id=variant.pk, location_id=source.pk, counted=INT_MAX + 1, acting_user=None)
    with pytest.raises(InvalidQuantity):
        services.stock_set_safety(variant_id=variant.pk, location_id=source.pk, safety_stock=INT_MAX + 1,
                                  acting_user=None)
    with pytest.raises(InvalidQuantity, match="cannot hold more than"):
        stock_receive(lines=[StockLine(variant.pk, source.pk, INT_MAX)], reference="test", acting_user=None)
    assert StockLevel.objects.get(location=source).on_hand == 10


def test_transfer_lines_beyond_the_integer_range_are_refused(role_client, world):
    _product, variant, source, target = world
    response = role_client("warehouse").post(reverse("inventory:transfer_create"), {
        "from_location": source.pk, "to_location": target.pk, "lines": f"{variant.sku} {TOO_BIG}"})
    assert response.status_code == 422
    assert f"Line 1: The quantity must be at most {INT_MAX}." in response.content.decode()
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("line, message", [
    ("VST001-AZL-G 99999999999999", f"Line 1: The quantity must be at most {INT_MAX}."),
    ("VST001-AZL-G 1 NaN", "Line 1: The unit cost “NaN” is not a number."),
    ("VST001-AZL-G 1 Infinity", "Line 1: The unit cost “Infinity” is not a number."),
    ("VST001-AZL-G 1 1e30", "Line 1: The unit cost “1e30” is not a plain number: write it with digits"),
    ("VST001-AZL-G 1 999999999999999", "Line 1: The unit cost “999999999999999” is too large"),
    ("VST001-AZL-G 1 -2", "Line 1: The unit cost must be at least 0."),
    ("VST001-AZL-G 1 18,50 extra", "Line 1: write the SKU, the quantity and the unit cost, nothing more."),
])
def test_purchase_order_lines_past_the_columns_are_refused(role_client, world, line, message):
    _product, _variant, source, _target = world
    response = role_client("manager").post(reverse("inventory:po_create"), {
        "supplier": SupplierFactory().pk, "location": source.pk, "lines": line})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_purchase_order_lines_take_costs_with_a_decimal_comma_and_skus_in_any_case(role_client, world):
    _product, variant, source, _target = world
    response = role_client("manager").post(reverse("inventory:po_create"), {
        "supplier": SupplierFactory().pk, "location": source.pk, "lines": "vst001-azl-g 3 18,50"})
    assert response.status_code == 302
    line = PurchaseOrderLine.objects.get()
    assert (line.variant_id, line.quantity_ordered, line.unit_cost) == (variant.pk, 3, 18.5)


@pytest.mark.parametrize("days, message", [
    (None, "The expected date cannot be before today."),
    (-1, "The expected date cannot be before today."),
    (731, "The expected date can be at most two years ahead."),
])
def test_purchase_order_expected_dates_in_the_past_or_far_ahead_are_refused(role_client, world, days, message):
    _product, variant, source, _target = world
    expected = "0001-01-01" if days is None else (timezone.localdate() + timedelta(days=days)).isoformat()
    response = role_client("manager").post(reverse("inventory:po_create"), {
        "supplier": SupplierFactory().pk, "location": source.pk, "lines": f"{variant.sku} 1",
        "expected_on": expected})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_purchase_order_expected_today_or_within_two_years_is_accepted(role_client, world):
    _product, variant, source, _target = world
    client = role_client("manager")
    for days in (0, 730):
        response = client.post(reverse("inventory:po_create"), {
            "supplier": SupplierFactory().pk, "location": source.pk, "lines": f"{variant.sku} 1",
            "expected_on": (timezone.localdate() + timedelta(days=days)).isoformat()})
        assert response.status_code == 302
    assert PurchaseOrder.objects.count() == 2


def test_adding_to_a_purchase_order_line_past_the_column_is_refused(world):
    _product, variant, source, _target = world
    po = po_create(supplier_id=SupplierFactory().pk, location_id=source.pk, lines=[(variant.pk, INT_MAX, None)],
                   acting_user=None)
    with pytest.raises(InvalidQuantity, match="at most"):
        services.po_add_lines(po_id=po.pk, lines=[(variant.pk, 1, None)], acting_user=None)
    assert po.lines.get().quantity_ordered == INT_MAX


@pytest.mark.parametrize("name, args", [
    ("inventory:reorder_alert_action", [999999, "dismiss"]),
    ("inventory:reorder_alert_action", [999999, "draft"]),
    ("inventory:transfer_action", [999999, "ship"]),
    ("inventory:transfer_action", [999999, "cancel"]),
    ("inventory:po_action", [999999, "send"]),
    ("inventory:po_action", [999999, "cancel"]),
    ("inventory:po_action", [99999999999999999999, "send"]),
    ("inventory:po_receive", [999999]),
])
def test_actions_on_records_that_do_not_exist_are_404(role_client, world, name, args):
    assert role_client("admin").post(reverse(name, args=args)).status_code == 404


def test_po_receive_with_a_huge_quantity_names_the_open_quantity(role_client, world):
    _product, variant, source, _target = world
    po = po_create(supplier_id=SupplierFactory().pk, location_id=source.pk, lines=[(variant.pk, 5, None)],
                   acting_user=None)
    services.po_send(po_id=po.pk, acting_user=None)
    line = po.lines.get()
    response = role_client("warehouse").post(reverse("inventory:po_receive", args=[po.pk]),
                                             {f"line-{line.pk}": "99999999999999999999"})
    assert response.status_code == 422
    assert "VST001-AZL-G: 99999999999999999999 received but only 5 still expected." in response.content.decode()


def _damaged_xlsx(replace: tuple[bytes, bytes]) -> bytes:
    """A workbook that opens, whose sheet fails while its rows are read."""
    import io
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["sku", "location", "on_hand"])
    book.active.append(["X-1", "DC", 5])
    raw = io.BytesIO()
    book.save(raw)
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data.replace(*replace) if item.filename.endswith("sheet1.xml") else data)
    return damaged.getvalue()


@pytest.mark.parametrize("replace", [(b'r="A2"', b'r="ZZZZZ2"'), (b'r="A2"', b'r="A"')])
def test_a_workbook_that_fails_while_its_rows_are_read_is_refused_as_a_file(replace):
    from inventory.imports import ImportFailed, read_rows

    with pytest.raises(ImportFailed, match="not a readable XLSX"):
        read_rows(_damaged_xlsx(replace), "stock.xlsx")


def test_a_refused_stock_form_carries_its_autofocus_on_the_field_in_error(role_client, location, stock):
    """Refused for its change (zero), the adjustment page's cursor belongs in the change box, not in the SKU box the
    page usually starts with: the browser applies autofocus at its own moment, which could undo the page script's."""
    from tests.inventory.factories import VariantFactory

    variant = VariantFactory(sku="TEE-AF-1")
    stock(variant, location, 5)
    response = role_client("warehouse").post("/inventory/stock/adjust/", {
        "sku": variant.sku, "location": location.pk, "delta": "0", "reason": "recount"})
    html = response.content.decode()
    assert response.status_code == 422
    assert html.count("autofocus") == 1 and 'name="delta"' in html.split("autofocus")[0].rsplit("<input", 1)[1]

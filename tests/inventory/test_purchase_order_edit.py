"""A draft purchase order is changed before it is sent: quantities and unit costs, lines taken off, SKUs added, all
or nothing, from its page. A reorder alert whose line the buyer took off is dismissed, not drafted again."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.errors import InventoryError
from inventory.models import PurchaseOrder, ReorderAlert
from inventory.services import po_change_lines, po_send, reorder_scan
from oms.models import AuditEntry
from tests.inventory.factories import ReorderRuleFactory, SupplierItemFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(location, stock):
    """The reorder scan drafted a purchase order of two SKUs of one supplier (18 and 17 units at 8.00)."""
    first = SupplierItemFactory()
    second = SupplierItemFactory(supplier=first.supplier)
    for item, on_hand in ((first, 2), (second, 3)):
        ReorderRuleFactory(variant=item.variant, location=location, reorder_point=5, order_up_to=20)
        stock(item.variant, location, on_hand)
    reorder_scan(acting_user=None)
    po = PurchaseOrder.objects.get()
    lines = {line.variant_id: line for line in po.lines.all()}
    return {"po": po, "first": lines[first.variant_id], "second": lines[second.variant_id], "supplier": first.supplier}


def test_quantities_costs_removals_and_additions_are_applied_together(draft, make_user):
    po, first, second = draft["po"], draft["first"], draft["second"]
    extra = VariantFactory(cost=Decimal("3.50"))
    po_change_lines(po_id=po.pk, lines={first.pk: (25, Decimal("7.1234"))}, remove=[second.pk],
                    add=[(extra.pk, 4, None)], acting_user=make_user("manager"))
    rows = {line.variant_id: (line.quantity_ordered, line.unit_cost) for line in po.lines.all()}
    assert rows == {first.variant_id: (25, Decimal("7.1234")), extra.pk: (4, Decimal("3.50"))}
    alerts = dict(ReorderAlert.objects.values_list("variant_id", "status"))
    assert alerts == {first.variant_id: "drafted", second.variant_id: "dismissed"}
    assert reorder_scan(acting_user=None).raised == 0  # the buyer's removal is not drafted again
    entry = AuditEntry.objects.get(verb="po_edit")
    assert entry.changes[first.variant.sku] == {"quantity": [18, 25], "unit_cost": ["8.0000", "7.1234"]}
    assert entry.changes[second.variant.sku] == {"removed": 17} and entry.changes["added"] == {extra.sku: 4}


@pytest.mark.parametrize(("lines", "message"), [
    ({"first": (0, Decimal("8"))}, "the quantity must be a whole number from 1 to"),
    ({"first": (5, Decimal("-1"))}, "a unit cost must be a number from 0 to less than"),
])
def test_a_bad_line_changes_nothing(draft, make_user, lines, message):
    po = draft["po"]
    with pytest.raises(InventoryError, match=message):
        po_change_lines(po_id=po.pk, lines={draft[k].pk: v for k, v in lines.items()}, remove=[draft["second"].pk],
                        acting_user=make_user("manager"))
    assert po.lines.count() == 2 and ReorderAlert.objects.filter(status="drafted").count() == 2


def test_only_a_draft_changes_and_only_its_own_lines(draft, make_user):
    user = make_user("manager")
    with pytest.raises(InventoryError, match="no line 999999"):
        po_change_lines(po_id=draft["po"].pk, lines={999999: (1, Decimal("1"))}, acting_user=user)
    po_send(po_id=draft["po"].pk, acting_user=user)
    with pytest.raises(InventoryError, match="Only draft purchase orders can be changed."):
        po_change_lines(po_id=draft["po"].pk, lines={draft["first"].pk: (30, Decimal("8"))}, acting_user=user)


def test_the_buyer_edits_the_draft_on_its_page(draft, role_client):
    po, first, second = draft["po"], draft["first"], draft["second"]
    client = role_client("manager")
    page = client.get(reverse("inventory:po_detail", args=[po.pk])).content.decode()
    assert f'name="quantity-{first.pk}" value="18"' in page and f'name="cost-{first.pk}" value="8.00"' in page
    extra = VariantFactory(sku="EXTRA-1")
    refused = client.post(reverse("inventory:po_lines", args=[po.pk]), {
        f"quantity-{first.pk}": "2o", f"cost-{first.pk}": "8,00", f"quantity-{second.pk}": "17",
        f"cost-{second.pk}": "8.00", "add": "EXTRA-1 3\nNOPE 1"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert f"Quantity of {first.variant.sku} “2o” is not a whole number." in html
    assert "Line 2: unknown SKU NOPE." in html and "Nothing was changed." in html
    assert f'name="quantity-{first.pk}" value="2o"' in html and "EXTRA-1 3\nNOPE 1</textarea>" in html
    assert po.lines.count() == 2

    done = client.post(reverse("inventory:po_lines", args=[po.pk]), {
        f"quantity-{first.pk}": "20", f"cost-{first.pk}": "7,50", f"quantity-{second.pk}": "17",
        f"cost-{second.pk}": "8.00", f"remove-{second.pk}": "1", "add": "extra-1 3"}, follow=True)
    assert [str(m) for m in done.context["messages"]] == [f"Purchase order {po.number} changed."]
    rows = {line.variant.sku: (line.quantity_ordered, line.unit_cost) for line in po.lines.select_related("variant")}
    assert rows == {first.variant.sku: (20, Decimal("7.5")), extra.sku: (3, extra.cost)}


def test_a_sent_order_and_a_warehouse_user_see_no_boxes(draft, role_client, make_user):
    po = draft["po"]
    warehouse = role_client("warehouse").get(reverse("inventory:po_detail", args=[po.pk])).content.decode()
    assert "quantity-" not in warehouse
    assert role_client("warehouse").post(reverse("inventory:po_lines", args=[po.pk]), {}).status_code == 403
    po_send(po_id=po.pk, acting_user=make_user("manager"))
    sent = role_client("manager").get(reverse("inventory:po_detail", args=[po.pk])).content.decode()
    assert "quantity-" not in sent

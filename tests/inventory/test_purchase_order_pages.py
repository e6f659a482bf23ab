"""Purchase orders through their pages, as a buyer and the warehouse use them."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from inventory.models import PurchaseOrder, ReorderAlert, StockLevel, StockMovement
from inventory.selectors import on_order
from inventory.services import reorder_scan
from tests.inventory.factories import ReorderRuleFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db


def test_a_purchase_order_the_supplier_delivers_short_can_be_closed_for_the_rest(role_client, location, stock):
    """Received twice, short of what was ordered: the rest can be cancelled. It could not (a partly received order
    only went on to received), so its missing units counted as on order for good: the reorder alert stayed
    drafted on it and the SKU was never reordered, and promises counted on units that would never come."""
    item = SupplierItemFactory()
    variant, supplier = item.variant, item.supplier
    ReorderRuleFactory(variant=variant, location=location, reorder_point=5, order_up_to=20)
    stock(variant, location, 2)
    reorder_scan(acting_user=None)
    po = PurchaseOrder.objects.get()
    line = po.lines.get()
    assert (line.quantity_ordered, ReorderAlert.objects.get().status) == (18, "drafted")
    client = role_client("admin")
    client.post(reverse("inventory:po_action", args=[po.pk, "send"]))
    for quantity in ("6", "5"):
        response = client.post(reverse("inventory:po_receive", args=[po.pk]), {f"line-{line.pk}": quantity})
        assert response.status_code == 302
    over = client.post(reverse("inventory:po_receive", args=[po.pk]), {f"line-{line.pk}": "8"})
    assert over.context["errors"] == [f"{variant.sku}: 8 received but only 7 still expected."]
    po.refresh_from_db()
    assert po.status == "partially_received"
    assert on_order(keys=[(variant.pk, location.pk)]) == {(variant.pk, location.pk): 7}

    page = client.get(reverse("inventory:po_detail", args=[po.pk])).content.decode()
    assert reverse("inventory:po_action", args=[po.pk, "cancel"]) in page
    assert "Cancel what is still expected" in page
    response = client.post(reverse("inventory:po_action", args=[po.pk, "cancel"]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [f"Purchase order {po.number}: Cancelled."]
    po.refresh_from_db()
    line.refresh_from_db()
    assert (po.status, line.quantity_received) == ("cancelled", 11)
    level = StockLevel.objects.get(variant=variant, location=location)
    assert (level.on_hand, level.reserved) == (13, 0)  # what came stays on hand
    assert sorted(StockMovement.objects.filter(reference=f"po:{po.pk}").values_list("on_hand_delta", flat=True)) == [
        5, 6]
    assert on_order(keys=[(variant.pk, location.pk)]) == {}
    call_command("verify_ledgers")
    # The need is no longer held by the closed order: the drafted alert is resolved; with 13 on hand, above the
    # point, no new one is raised.
    result = reorder_scan(acting_user=None)
    assert (result.resolved, result.raised) == (1, 0)
    assert not ReorderAlert.objects.filter(status__in=["open", "drafted"]).exists()
    assert supplier.purchase_orders.count() == 1


def test_cancelling_a_purchase_order_and_deleting_a_record_ask_first(role_client):
    """Cancel sat next to the focused "Mark as sent", and Delete on a record form, and both submitted at once."""
    from decimal import Decimal

    from inventory.services import po_create as create_po
    from tests.inventory.factories import LocationFactory, SupplierFactory, VariantFactory

    client = role_client("admin")
    variant = VariantFactory()
    po = create_po(supplier_id=SupplierFactory().pk, location_id=LocationFactory().pk,
                   lines=[(variant.pk, 3, Decimal("4.00"))], acting_user=None)
    page = client.get(reverse("inventory:po_detail", args=[po.pk])).content.decode()
    assert 'data-confirm="Cancel this purchase order?">Cancel</button>' in page
    rule = ReorderRuleFactory(variant=variant)
    page = client.get(reverse("inventory:reorder_rules_edit", args=[rule.pk])).content.decode()
    assert 'data-confirm="Delete this record?">Delete</button>' in page


def test_a_receipt_sent_twice_is_recorded_once_and_a_refused_one_keeps_what_was_typed(role_client, location):
    """A double click on "Record receipt" sent the form twice and both receipts were booked: 5 units delivered,
    10 on hand. And any refusal gave back an empty form, every typed quantity lost."""
    from decimal import Decimal

    from inventory.services import po_create, po_send
    from tests.inventory.factories import SupplierFactory, VariantFactory

    shirt, cap = VariantFactory(sku="TEE-1"), VariantFactory(sku="CAP-1")
    po = po_create(supplier_id=SupplierFactory().pk, location_id=location.pk,
                   lines=[(shirt.pk, 10, Decimal("4")), (cap.pk, 3, Decimal("2"))], acting_user=None)
    po_send(po_id=po.pk, acting_user=None)
    tee, cap_line = po.lines.get(variant=shirt), po.lines.get(variant=cap)
    client = role_client("warehouse")
    url = reverse("inventory:po_receive", args=[po.pk])
    page = client.get(url).content.decode()
    assert f'name="received-{tee.pk}" value="0"' in page
    form = {f"received-{tee.pk}": "0", f"line-{tee.pk}": "5", f"received-{cap_line.pk}": "0", f"line-{cap_line.pk}": ""}
    assert client.post(url, form).status_code == 302
    second = client.post(url, form)
    assert second.status_code == 422
    assert second.context["errors"] == ["TEE-1: 5 received now, 0 when this page was opened (sent twice, or someone "
                                        "else recorded a receipt). Nothing was recorded: check the quantities and "
                                        "record again."]
    assert StockLevel.objects.get(variant=shirt, location=location).on_hand == 5
    assert f'name="received-{tee.pk}" value="5"' in second.content.decode()  # the page now shows the receipt
    assert f'name="line-{tee.pk}" aria-label' in second.content.decode()
    assert 'value="5"' not in second.content.decode().split(f'name="line-{tee.pk}"')[1].split(">")[0]

    refused = client.post(url, {f"received-{tee.pk}": "5", f"line-{tee.pk}": "3",
                                f"received-{cap_line.pk}": "0", f"line-{cap_line.pk}": "9"})
    assert refused.context["errors"] == ["CAP-1: 9 received but only 3 still expected."]
    body = refused.content.decode()
    assert 'value="3"' in body.split(f'name="line-{tee.pk}"')[1].split(">")[0]
    assert 'value="9"' in body.split(f'name="line-{cap_line.pk}"')[1].split(">")[0]


def test_the_last_receipt_sent_twice_says_it_was_recorded_not_that_the_order_was_never_sent(role_client, location):
    """A double click on "Record receipt" for the last delivery: the first copy received everything, and the second
    (the answer the browser shows) said "Only sent purchase orders can be received." beside the typed quantities,
    as if nothing had been recorded, where a partial receipt sent twice says what happened."""
    from decimal import Decimal

    from inventory.services import po_create, po_send
    from tests.inventory.factories import SupplierFactory, VariantFactory

    shirt = VariantFactory(sku="TEE-1")
    po = po_create(supplier_id=SupplierFactory().pk, location_id=location.pk,
                   lines=[(shirt.pk, 4, Decimal("4"))], acting_user=None)
    po_send(po_id=po.pk, acting_user=None)
    tee = po.lines.get()
    client = role_client("warehouse")
    url = reverse("inventory:po_receive", args=[po.pk])
    form = {f"received-{tee.pk}": "0", f"line-{tee.pk}": "4"}
    assert client.post(url, form).status_code == 302
    second = client.post(url, form)
    assert second.status_code == 422
    assert second.context["errors"] == ["TEE-1: 4 received now, 0 when this page was opened (sent twice, or someone "
                                        "else recorded a receipt). Nothing was recorded: check the quantities and "
                                        "record again."]
    assert StockLevel.objects.get(variant=shirt, location=location).on_hand == 4
    # Without the page's counts (another client), a received order says so by name.
    from inventory.errors import InvalidTransition
    from inventory.services import po_receive

    with pytest.raises(InvalidTransition) as refused:
        po_receive(po_id=po.pk, quantities={tee.pk: 1}, acting_user=None)
    assert refused.value.message == f"{po.number} is already received in full; nothing more is expected."


@pytest.mark.parametrize("status", ["draft", "cancelled", "received"])
def test_the_receiving_page_of_an_order_that_takes_no_receipt_says_so_instead_of_offering_the_form(
        role_client, location, status):
    """Opened from a bookmark, the back button or a tab left open, the receiving page of a cancelled (or draft, or
    fully received) order offered its quantity boxes and "Record receipt", which then answered a refusal."""
    from decimal import Decimal

    from inventory.services import po_create
    from tests.inventory.factories import SupplierFactory, VariantFactory

    po = po_create(supplier_id=SupplierFactory().pk, location_id=location.pk,
                   lines=[(VariantFactory(sku="TEE-1").pk, 4, Decimal("4"))], acting_user=None)
    PurchaseOrder.objects.filter(pk=po.pk).update(status=status)
    po.refresh_from_db()
    page = role_client("warehouse").get(reverse("inventory:po_receive", args=[po.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert f"{po.number}: {po.get_status_display()}. There is nothing to receive." in body
    assert 'name="line-' not in body and "Record receipt" not in body

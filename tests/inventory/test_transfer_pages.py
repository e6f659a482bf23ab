"""Transfers through their pages: stock and ledger at both locations, refusals a person can act on."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from inventory.models import StockLevel, StockMovement, Transfer
from oms.models import AuditEntry
from tests.inventory.factories import LocationFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _levels(variant) -> dict[str, tuple[int, int]]:
    return {code: (on_hand, reserved) for code, on_hand, reserved in StockLevel.objects.filter(variant=variant)
            .values_list("location__code", "on_hand", "reserved")}


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_transfer_moves_exact_stock_and_refusals_name_the_sku_and_location(role_client, stock):
    """A shortage named the rows' ids ("SKU #2 at location #2"), which nobody on the floor can look up."""
    client = role_client("warehouse")
    dc, store = LocationFactory(code="DC1"), LocationFactory(code="ST1")
    shirt = VariantFactory(sku="TEE-BLU-M")
    stock(shirt, dc, 10)
    create = reverse("inventory:transfer_create")
    response = client.post(create, {"from_location": dc.pk, "to_location": store.pk, "lines": "tee-blu-m 40"})
    assert response.status_code == 422
    assert "Not enough stock. TEE-BLU-M at DC1: requested 40, available 10" in response.content.decode()
    assert not Transfer.objects.exists()

    response = client.post(create, {"from_location": dc.pk, "to_location": store.pk, "lines": "TEE-BLU-M 4"})
    first = Transfer.objects.get()
    assert response["Location"] == reverse("inventory:transfer_detail", args=[first.pk])
    assert _levels(shirt) == {"DC1": (10, 4)}
    client.post(create, {"from_location": dc.pk, "to_location": store.pk, "lines": "TEE-BLU-M 3"})
    second = Transfer.objects.exclude(pk=first.pk).get()
    assert _levels(shirt) == {"DC1": (10, 7)}

    def act(transfer, action):
        return client.post(reverse("inventory:transfer_action", args=[transfer.pk, action]), follow=True)

    act(first, "ship")
    assert _levels(shirt) == {"DC1": (6, 3)}
    # "Transfer TR-… cannot go from In transit to In transit." told the second person nothing they could act on.
    assert _messages(act(first, "ship")) == [
        f"Nothing was changed: transfer {first.number} is already in transit (someone did it meanwhile, or the "
        "button was pressed twice)."]
    assert _levels(shirt) == {"DC1": (6, 3)}
    assert _messages(act(first, "cancel")) == [f"Transfer {first.number} cannot go from In transit to Cancelled."]
    act(first, "receive")
    assert _levels(shirt) == {"DC1": (6, 3), "ST1": (4, 0)}
    assert _messages(act(first, "receive")) == [
        f"Nothing was changed: transfer {first.number} is already received (someone did it meanwhile, or the button "
        "was pressed twice)."]
    act(second, "cancel")
    assert _levels(shirt) == {"DC1": (6, 0), "ST1": (4, 0)}
    assert sorted(StockMovement.objects.filter(reference=f"transfer:{first.pk}").values_list(
        "location__code", "reason", "on_hand_delta", "reserved_delta")) == [
        ("DC1", "reservation", 0, 4), ("DC1", "transfer_out", -4, -4), ("ST1", "transfer_in", 4, 0)]
    call_command("verify_ledgers")


def test_a_transfer_or_purchase_order_form_sent_twice_creates_one(role_client, stock):
    """A double click on "Request transfer" made two transfers, reserving the stock twice; "Save draft" made two
    purchase orders. The second copy of a form now lands on the document the first one created."""
    from inventory.models import PurchaseOrder
    from tests.inventory.factories import SupplierFactory

    client = role_client("admin")
    dc, store = LocationFactory(code="DC1"), LocationFactory(code="ST1")
    shirt = VariantFactory(sku="TEE-BLU-M")
    stock(shirt, dc, 10)
    url = reverse("inventory:transfer_create")
    once = client.get(url).context["form"]["once"].value()
    form = {"from_location": dc.pk, "to_location": store.pk, "lines": "TEE-BLU-M 4", "once": once}
    first, second = client.post(url, form), client.post(url, form)
    transfer = Transfer.objects.get()
    assert first["Location"] == second["Location"] == reverse("inventory:transfer_detail", args=[transfer.pk])
    assert _levels(shirt) == {"DC1": (10, 4)}
    assert client.post(url, dict(form, once=client.get(url).context["form"]["once"].value())).status_code == 302
    assert Transfer.objects.count() == 2 and _levels(shirt) == {"DC1": (10, 8)}  # a new form is a new transfer

    url = reverse("inventory:po_create")
    form = {"supplier": SupplierFactory().pk, "location": dc.pk, "lines": "TEE-BLU-M 5 3.50",
            "once": client.get(url).context["form"]["once"].value()}
    first, second = client.post(url, form), client.post(url, form)
    po = PurchaseOrder.objects.get()
    assert first["Location"] == second["Location"] == reverse("inventory:po_detail", args=[po.pk])
    assert po.lines.get().quantity_ordered == 5


def test_a_transfer_received_short_or_over_puts_on_hand_what_arrived(role_client, stock):
    """Receiving a transfer put on hand what was shipped, whatever arrived: a carton short (or lost) became stock
    on sale at the store until someone noticed and wrote it off, and a lost parcel could not be closed at all."""
    client = role_client("warehouse")
    dc, store = LocationFactory(code="DC1"), LocationFactory(code="ST1")
    shirt, mug, cap = VariantFactory(sku="TEE-BLU-M"), VariantFactory(sku="MUG-RED"), VariantFactory(sku="CAP-1")
    for variant in (shirt, mug, cap):
        stock(variant, dc, 20)
    client.post(reverse("inventory:transfer_create"), {"from_location": dc.pk, "to_location": store.pk,
                                                       "lines": "TEE-BLU-M 10\nMUG-RED 5\nCAP-1 2"})
    transfer = Transfer.objects.get()
    client.post(reverse("inventory:transfer_action", args=[transfer.pk, "ship"]))
    lines = {line.variant.sku: line.pk for line in transfer.lines.select_related("variant")}
    receive = reverse("inventory:transfer_action", args=[transfer.pk, "receive"])
    page = client.get(reverse("inventory:transfer_detail", args=[transfer.pk])).content.decode()
    assert f'name="received-{lines["TEE-BLU-M"]}" value="10"' in page

    # Bad counts are refused by name, nothing is received and the page keeps what was typed.
    response = client.post(receive, {f"received-{lines['TEE-BLU-M']}": "9.5", f"received-{lines['MUG-RED']}": "-1",
                                     f"received-{lines['CAP-1']}": "2"})
    assert response.status_code == 422
    text = response.content.decode()
    assert "The quantity received of TEE-BLU-M “9.5” is not a whole number." in text
    assert "The quantity received of MUG-RED must be at least 0." in text
    assert 'value="9.5"' in text
    assert Transfer.objects.get().status == Transfer.Status.IN_TRANSIT

    client.post(receive, {f"received-{lines['TEE-BLU-M']}": "9", f"received-{lines['MUG-RED']}": "0",
                          f"received-{lines['CAP-1']}": "3"})
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.RECEIVED
    assert _levels(shirt) == {"DC1": (10, 0), "ST1": (9, 0)}
    assert _levels(mug) == {"DC1": (15, 0)}
    assert _levels(cap) == {"DC1": (18, 0), "ST1": (3, 0)}
    assert dict(transfer.lines.values_list("variant__sku", "quantity_received")) == {
        "TEE-BLU-M": 9, "MUG-RED": 0, "CAP-1": 3}
    entry = AuditEntry.objects.get(verb="transfer_received", object_id=str(transfer.pk))
    assert entry.changes["differences"] == {"TEE-BLU-M": {"shipped": 10, "received": 9},
                                            "MUG-RED": {"shipped": 5, "received": 0},
                                            "CAP-1": {"shipped": 2, "received": 3}}
    page = client.get(reverse("inventory:transfer_detail", args=[transfer.pk])).content.decode()
    assert "short" in page and "over" in page
    # Sent twice: the second finds it received and changes nothing.
    response = client.post(receive, {f"received-{lines['TEE-BLU-M']}": "9"}, follow=True)
    assert _levels(shirt) == {"DC1": (10, 0), "ST1": (9, 0)}
    call_command("verify_ledgers")


def test_a_transfers_stock_movements_keep_their_sign_in_arabic(role_client, stock):
    """The movements of a transfer's page showed "-4" as "4-" in Arabic (the sign moved to the number's far side),
    as the product page's ledger does not."""
    client = role_client("warehouse")
    dc, store = LocationFactory(code="DC1"), LocationFactory(code="ST1")
    shirt = VariantFactory(sku="TEE-BLU-M")
    stock(shirt, dc, 10)
    client.post(reverse("inventory:transfer_create"), {"from_location": dc.pk, "to_location": store.pk,
                                                       "lines": "TEE-BLU-M 4"})
    transfer = Transfer.objects.get()
    client.post(reverse("inventory:transfer_action", args=[transfer.pk, "ship"]))
    client.cookies["django_language"] = "ar"
    page = client.get(reverse("inventory:transfer_detail", args=[transfer.pk])).content.decode()
    assert 'dir="rtl"' in page
    assert page.count('<bdi dir="ltr">-4</bdi>') == 2  # on hand and reserved of the shipment
    assert '<bdi dir="ltr">+4</bdi>' in page  # the reservation

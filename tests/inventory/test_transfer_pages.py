"""Transfers through their pages: stock and ledger at both locations, refusals a person can act on."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from inventory.models import StockLevel, StockMovement, Transfer
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
    assert _messages(act(first, "cancel")) == [f"Transfer {first.number} cannot go from In transit to Cancelled."]
    act(first, "receive")
    assert _levels(shirt) == {"DC1": (6, 3), "ST1": (4, 0)}
    assert _messages(act(first, "receive")) == [f"Transfer {first.number} cannot go from Received to Received."]
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

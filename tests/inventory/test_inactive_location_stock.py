"""A location closed (made inactive) with stock still on its shelves: that stock can still be counted, written off
and moved out, while nothing is sent to the closed location."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from inventory.models import Location, StockLevel, Transfer
from tests.inventory.factories import LocationFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _levels(variant) -> dict[str, tuple[int, int]]:
    return {code: (on_hand, reserved) for code, on_hand, reserved in StockLevel.objects.filter(variant=variant)
            .values_list("location__code", "on_hand", "reserved")}


def test_stock_left_at_a_closed_location_can_be_counted_written_off_and_moved_out(role_client, stock):
    """The location lists of the adjust, count and transfer pages held active locations only: the units left in a
    store once it was closed could no longer be counted, written off or sent back to the warehouse."""
    client = role_client("warehouse")
    dc, closed = LocationFactory(code="DC1"), LocationFactory(code="ST-OLD")
    shirt = VariantFactory(sku="TEE-BLU-M")
    stock(shirt, closed, 10)
    Location.objects.filter(pk=closed.pk).update(is_active=False)

    page = client.get(reverse("inventory:stock_count")).content.decode()
    assert "ST-OLD" in page and "(inactive)" in page
    response = client.post(reverse("inventory:stock_count"), {"sku": "TEE-BLU-M", "location": closed.pk,
                                                             "counted": 9, "note": "closing count"})
    assert response.status_code == 302, response.content.decode()
    response = client.post(reverse("inventory:stock_adjust"), {"sku": "TEE-BLU-M", "location": closed.pk,
                                                              "delta": -1, "reason": "damaged"})
    assert response.status_code == 302, response.content.decode()
    assert _levels(shirt) == {"ST-OLD": (8, 0)}

    create = reverse("inventory:transfer_create")
    response = client.post(create, {"from_location": closed.pk, "to_location": dc.pk, "lines": "TEE-BLU-M 8"})
    assert response.status_code == 302, response.content.decode()
    transfer = Transfer.objects.get()
    for action in ("ship", "receive"):
        client.post(reverse("inventory:transfer_action", args=[transfer.pk, action]))
    assert _levels(shirt) == {"ST-OLD": (0, 0), "DC1": (8, 0)}

    # Nothing is sent to a closed location.
    response = client.post(create, {"from_location": dc.pk, "to_location": closed.pk, "lines": "TEE-BLU-M 1"})
    assert response.status_code == 422
    assert Transfer.objects.count() == 1
    call_command("verify_ledgers")

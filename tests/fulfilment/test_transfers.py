"""Store pick-up fed by a real inventory transfer: the reservation moves through the ledger with the goods."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from inventory.errors import InvalidTransition
from inventory.models import StockLevel, StockMovement, Transfer
from inventory.services import transfer_cancel, transfer_receive, transfer_ship
from orders.fulfilment import services as ful
from orders.fulfilment.errors import InvalidShipmentTransition
from orders.fulfilment.models import InboundTransfer, Shipment
from orders.models import Order
from orders.services import order_cancel
from payments.models import Payment
from tests.fulfilment.allocations import held_at, held_by_variant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def level(variant, location):
    lv = StockLevel.objects.get(variant=variant, location=location)
    return lv.on_hand, lv.reserved


def _pickup(user, net, place_order):
    """5 shirts (the store has 3: the DC sends all 5) and a mug the store has, collected at the store."""
    order = place_order(user, [(net["shirt"], 5), (net["mug"], 1)], delivery_method="pickup",
                        pickup_location_id=net["store"].pk)
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    return order, shipment, Transfer.objects.get()


def test_pickup_transfer_moves_the_reservation_through_the_ledger_to_the_collection(make_user, net, place_order):
    user = make_user("admin")
    order, shipment, transfer = _pickup(user, net, place_order)
    shirt = order.lines.get(variant=net["shirt"])
    assert (transfer.from_location_id, transfer.to_location_id, transfer.status) == (
        net["dc"].pk, net["store"].pk, "requested")
    assert list(transfer.lines.values_list("variant_id", "quantity")) == [(net["shirt"].pk, 5)]
    assert (shipment.status, shipment.kind, held_at(shirt)) == ("waiting", "pickup", None)
    assert level(net["shirt"], net["dc"]) == (20, 5)  # now held by the transfer
    dc_moves = list(StockMovement.objects.filter(variant=net["shirt"], location=net["dc"]).exclude(reference="test")
                    .order_by("pk").values_list("reason", "reserved_delta", "reference"))
    assert dc_moves == [("reservation", 5, f"order:{order.pk}"), ("release", -5, f"order:{order.pk}"),
                        ("reservation", 5, f"transfer:{transfer.pk}")]
    call_command("verify_ledgers")
    # ATP shows the shirts coming to the store
    promise = ful.available_to_promise(variant_ids=[net["shirt"].pk])[net["shirt"].pk]
    assert [(loc, qty, ref) for _d, loc, qty, ref in promise.incoming] == [(net["store"].pk, 5, f"T {transfer.pk}")]
    assert promise.date_for(promise.total + 1) is None  # those 5 are the order's: nobody else is promised them
    # The store cannot pick before the shirts arrive
    with pytest.raises(InvalidShipmentTransition, match=f"waits for {transfer.number}"):
        ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
    with pytest.raises(InvalidShipmentTransition):
        ful.pickup_ready(shipment_id=shipment.pk, acting_user=user)
    assert shipment.lines.filter(packed_quantity__gt=0).count() == 0

    transfer_ship(transfer_id=transfer.pk, acting_user=user)
    assert level(net["shirt"], net["dc"]) == (15, 0)
    shipment.refresh_from_db()
    assert shipment.status == "waiting"
    call_command("verify_ledgers")

    transfer_receive(transfer_id=transfer.pk, acting_user=user)
    shipment.refresh_from_db()
    shirt.refresh_from_db()
    assert (shipment.status, held_at(shirt), shirt.status) == ("pending", net["store"].pk, "reserved")
    assert level(net["shirt"], net["store"]) == (8, 5)  # received and reserved for the order there
    assert InboundTransfer.objects.filter(settled_at__isnull=True).count() == 0
    call_command("verify_ledgers")

    for code in [net["shirt"].sku] * 5 + [net["mug"].sku]:
        ful.shipment_scan(shipment_id=shipment.pk, code=code, acting_user=user)
    ful.pickup_ready(shipment_id=shipment.pk, acting_user=user)
    ful.pickup_confirm(shipment_id=shipment.pk, acting_user=user)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert (level(net["shirt"], net["store"]), level(net["mug"], net["store"])) == ((3, 0), (2, 0))
    assert level(net["shirt"], net["dc"]) == (15, 0)
    assert Payment.objects.get(order=order).captured_amount == order.total
    call_command("verify_ledgers")


def test_the_order_page_and_the_shipment_screen_show_the_transfer(make_user, role_client, net, place_order):
    order, shipment, transfer = _pickup(make_user("admin"), net, place_order)
    client = role_client("admin")
    panel = client.get(reverse("orders:fulfilment_order_panel", args=[order.pk])).content.decode()
    assert transfer.number in panel and "Requested" in panel and "Waiting for a transfer" in panel
    screen = client.get(reverse("orders:fulfilment_shipment", args=[shipment.pk])).content.decode()
    assert "Waiting for a transfer: do not pick or pack until the items arrive." in screen
    assert 'id="scan-code"' not in screen
    transfer_ship(transfer_id=transfer.pk, acting_user=None)
    panel = client.get(reverse("orders:fulfilment_order_panel", args=[order.pk])).content.decode()
    assert "In transit" in panel
    picks = client.get(reverse("orders:fulfilment_pick_list"), {"location": net["store"].pk}).content.decode()
    assert net["mug"].sku not in picks  # nothing to pick while it waits
    queue = client.get(reverse("orders:fulfilment_queue")).content.decode()
    assert f">{shipment}<" in queue and "ship-waiting" in queue


def test_a_transfer_an_order_waits_for_cannot_be_cancelled_from_inventory(make_user, role_client, net,
                                                                          place_order):
    order, shipment, transfer = _pickup(make_user("admin"), net, place_order)
    with pytest.raises(InvalidTransition, match=f"carries items of order {order.number}"):
        transfer_cancel(transfer_id=transfer.pk, acting_user=None)
    transfer.refresh_from_db()
    assert transfer.status == "requested" and level(net["shirt"], net["dc"]) == (20, 5)
    response = role_client("admin").post(reverse("inventory:transfer_action", args=[transfer.pk, "cancel"]))
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "requested"


def test_cancelling_the_order_cancels_the_requested_transfer(make_user, net, place_order):
    user = make_user("admin")
    order, shipment, transfer = _pickup(user, net, place_order)
    order_cancel(order_id=order.pk, reason="changed mind", acting_user=user)
    transfer.refresh_from_db()
    shipment.refresh_from_db()
    assert (transfer.status, shipment.status) == ("cancelled", "cancelled")
    assert level(net["shirt"], net["dc"]) == (20, 0)
    assert level(net["mug"], net["store"]) == (3, 0)
    call_command("verify_ledgers")


def test_cancelling_one_line_reserves_the_other_at_its_source_again(make_user, net, place_order):
    user = make_user("admin")
    order, shipment, transfer = _pickup(user, net, place_order)
    mug = order.lines.get(variant=net["mug"])
    order_cancel(order_id=order.pk, reason="no mug", line_ids=[mug.pk], acting_user=user)
    transfer.refresh_from_db()
    order.refresh_from_db()
    shirt = order.lines.get(variant=net["shirt"])
    assert (transfer.status, order.status, held_at(shirt)) == ("cancelled", "confirmed", net["dc"].pk)
    assert level(net["shirt"], net["dc"]) == (20, 5)
    [again] = ful.order_allocate(order_id=order.pk, acting_user=user)
    assert again.status == "waiting"
    assert Transfer.objects.filter(status="requested").count() == 1
    call_command("verify_ledgers")


def test_an_order_cancelled_while_its_transfer_travels_leaves_the_goods_on_sale_at_the_store(
        make_user, net, place_order):
    user = make_user("admin")
    order, shipment, transfer = _pickup(user, net, place_order)
    transfer_ship(transfer_id=transfer.pk, acting_user=user)
    order_cancel(order_id=order.pk, reason="changed mind", acting_user=user)
    transfer_receive(transfer_id=transfer.pk, acting_user=user)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.CANCELLED
    assert level(net["shirt"], net["store"]) == (8, 0)
    assert any("stay on sale" in event.reason_text for event in order.events.all())
    call_command("verify_ledgers")


def test_a_kit_travels_as_its_components_and_is_reserved_as_a_kit_at_the_store(make_user, net, place_order):
    from inventory.models import KitComponent
    from tests.inventory.factories import VariantFactory

    box = VariantFactory(base_price="120.00", is_kit=True)
    KitComponent.objects.create(kit=box, component=net["shirt"], quantity=1)
    KitComponent.objects.create(kit=box, component=net["mug"], quantity=2)
    user = make_user("admin")
    order = place_order(user, [(box, 2)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    assert held_at(order.lines.get()) == net["dc"].pk  # the store has 3 mugs, the boxes need 4
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    transfer = Transfer.objects.get()
    assert sorted(transfer.lines.values_list("variant_id", "quantity")) == sorted(
        [(net["shirt"].pk, 2), (net["mug"].pk, 4)])
    transfer_ship(transfer_id=transfer.pk, acting_user=user)
    transfer_receive(transfer_id=transfer.pk, acting_user=user)
    assert (level(net["shirt"], net["store"]), level(net["mug"], net["store"])) == ((5, 2), (7, 4))
    for _unit in range(2):
        ful.shipment_scan(shipment_id=shipment.pk, code=box.sku, acting_user=user)
    ful.pickup_ready(shipment_id=shipment.pk, acting_user=user)
    ful.pickup_confirm(shipment_id=shipment.pk, acting_user=user)
    assert (level(net["shirt"], net["store"]), level(net["mug"], net["store"])) == ((3, 0), (3, 0))
    assert (level(net["shirt"], net["dc"]), level(net["mug"], net["dc"])) == ((18, 0), (16, 0))
    call_command("verify_ledgers")


def test_editing_an_order_whose_shipment_waits_cancels_the_transfer_and_sources_again(make_user, net, place_order):
    from orders.services import order_edit

    user = make_user("admin")
    order, shipment, transfer = _pickup(user, net, place_order)
    mug = order.lines.get(variant=net["mug"])
    order_edit(order_id=order.pk, acting_user=user, quantities={mug.pk: 2}, reason="two mugs")
    transfer.refresh_from_db()
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (transfer.status, shipment.status, order.status) == ("cancelled", "cancelled", "confirmed")
    assert held_by_variant(order) == {
        net["shirt"].pk: net["dc"].pk, net["mug"].pk: net["store"].pk}
    assert (level(net["shirt"], net["dc"]), level(net["mug"], net["store"])) == ((20, 5), (3, 2))
    call_command("verify_ledgers")
    [again] = ful.order_allocate(order_id=order.pk, acting_user=user)
    assert again.status == "waiting" and Transfer.objects.filter(status="requested").count() == 1


def test_a_split_pickup_line_travels_in_two_transfers_and_is_held_whole_at_the_store(make_user, net, stock,
                                                                                      place_order):
    """23 shirts to collect at the store (it has 3, kept on its shelf): DC Cajamar (20) and DC Sul (4) each send
    their part on a transfer of its own; the line holds nothing while they travel and all 23 at the store once
    both arrived."""
    from tests.inventory.factories import LocationFactory

    second = LocationFactory(code="DC-SUL", name="DC Sul", kind="dc", can_ship=True, latitude="-23.70",
                             longitude="-46.55", handling_days=1)
    stock(net["shirt"], second, 4)
    user = make_user("admin")
    order = place_order(user, [(net["shirt"], 23)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    shirt = order.lines.get()
    parts = dict(shirt.allocations.values_list("location_id", "quantity"))
    assert set(parts) == {net["dc"].pk, second.pk} and sum(parts.values()) == 23

    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    transfers = list(Transfer.objects.order_by("from_location__code"))
    assert [(t.from_location_id, list(t.lines.values_list("quantity", flat=True))) for t in transfers] == [
        (net["dc"].pk, [parts[net["dc"].pk]]), (second.pk, [parts[second.pk]])]
    assert (shipment.status, held_at(shirt)) == ("waiting", None)
    assert list(shipment.lines.values_list("quantity", flat=True)) == [23]

    for transfer in transfers:
        transfer_ship(transfer_id=transfer.pk, acting_user=user)
    transfer_receive(transfer_id=transfers[0].pk, acting_user=user)
    shipment.refresh_from_db()
    assert (shipment.status, held_at(shirt)) == ("waiting", net["store"].pk)  # one part here, one on the road
    assert level(net["shirt"], net["store"]) == (3 + parts[net["dc"].pk], parts[net["dc"].pk])
    transfer_receive(transfer_id=transfers[1].pk, acting_user=user)
    shipment.refresh_from_db()
    assert shipment.status == "pending"
    assert list(shirt.allocations.values_list("location_id", "quantity")) == [(net["store"].pk, 23)]
    assert level(net["shirt"], net["store"]) == (26, 23)
    assert (level(net["shirt"], net["dc"]), level(net["shirt"], second)) == (
        (20 - parts[net["dc"].pk], 0), (4 - parts[second.pk], 0))
    call_command("verify_ledgers")


def test_editing_counts_the_units_its_requested_transfer_holds_as_the_orders_own(make_user, net, stock, place_order):
    """The DC's last 5 lamps travel to the store on a requested transfer; editing the order (another mug) sources
    the lamps again and must find those 5 (they are the order's), not refuse the edit for a shortage."""
    from decimal import Decimal

    from orders.services import order_edit
    from tests.inventory.factories import VariantFactory

    lamp = VariantFactory(base_price=Decimal("80.00"), weight_grams=900)
    stock(lamp, net["dc"], 5)
    user = make_user("admin")
    order = place_order(user, [(lamp, 5), (net["mug"], 1)], delivery_method="pickup",
                        pickup_location_id=net["store"].pk)
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    transfer = Transfer.objects.get()
    assert (transfer.status, level(lamp, net["dc"])) == ("requested", (5, 5))
    mug = order.lines.get(variant=net["mug"])
    order_edit(order_id=order.pk, acting_user=user, quantities={mug.pk: 2}, reason="two mugs")
    transfer.refresh_from_db()
    order.refresh_from_db()
    assert (transfer.status, order.status) == ("cancelled", "confirmed")
    assert held_by_variant(order) == {lamp.pk: net["dc"].pk, net["mug"].pk: net["store"].pk}
    assert (level(lamp, net["dc"]), level(net["mug"], net["store"])) == ((5, 5), (3, 2))
    call_command("verify_ledgers")

"""One order line sourced from several locations: 6 units at the store and 4 at the DC for a line of 10."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from inventory.models import StockLevel, StockMovement
from orders.errors import StockUnavailable
from orders.fulfilment import services as ful
from orders.fulfilment.models import Shipment
from orders.fulfilment.selectors import fill_rate
from orders.models import Order, OrderLine, OrderLineAllocation
from orders.services import order_cancel, order_edit
from payments.models import Payment
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def tee(net, stock):
    """R$ 100 a unit, 6 at the store (nearest the customer) and 4 at the DC: no single location holds 10."""
    variant = VariantFactory(base_price=Decimal("100.00"), weight_grams=200)
    stock(variant, net["store"], 6)
    stock(variant, net["dc"], 4)
    return variant


def level(variant, location):
    lv = StockLevel.objects.get(variant=variant, location=location)
    return lv.on_hand, lv.reserved


def parts(line):
    return list(line.allocations.values_list("location_id", "quantity"))


def pack_and_ship(shipment, user, tracking):
    for sl in shipment.lines.select_related("order_line"):
        for _unit in range(sl.quantity):
            ful.shipment_scan(shipment_id=shipment.pk, code=sl.order_line.sku, acting_user=user)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number=tracking, acting_user=user)
    shipment.refresh_from_db()
    return shipment


def test_line_split_across_two_locations_is_reserved_shipped_captured_and_returned(make_user, net, tee,
                                                                                     place_order):
    agent, picker, manager = make_user("agent"), make_user("warehouse"), make_user("manager")
    store, dc = net["store"], net["dc"]
    order = place_order(agent, [(tee, 10)])
    line = order.lines.get()
    assert (order.status, line.status) == (Order.Status.CONFIRMED, OrderLine.Status.RESERVED)
    assert parts(line) == [(store.pk, 6), (dc.pk, 4)]
    assert (level(tee, store), level(tee, dc)) == ((6, 6), (4, 4))
    reason = order.sourcing_decisions.first().reason_text
    assert reason.startswith("2 shipments (Store Pinheiros, DC Cajamar)")
    assert reason.endswith(f"({tee.sku}: 6 from Store Pinheiros + 4 from DC Cajamar)")
    assert order.total == Decimal("1015.00")  # 10 x 100 + 15 shipping, no tax

    shipments = ful.order_allocate(order_id=order.pk, acting_user=picker)
    by_location = {s.location_id: s for s in shipments}
    assert sorted(by_location) == sorted([store.pk, dc.pk])
    assert list(by_location[store.pk].lines.values_list("order_line_id", "quantity")) == [(line.pk, 6)]
    assert list(by_location[dc.pk].lines.values_list("order_line_id", "quantity")) == [(line.pk, 4)]

    from_store = pack_and_ship(by_location[store.pk], picker, "BR-ST")
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.status, line.status) == (Order.Status.PARTIALLY_SHIPPED, OrderLine.Status.ALLOCATED)
    assert (level(tee, store), level(tee, dc)) == ((0, 0), (4, 4))
    assert from_store.captured_amount == Decimal("609.00")  # 6/10 of the line's share of 1,015.00
    assert list(StockMovement.objects.filter(reference=f"shipment:{from_store.pk}").values_list(
        "location_id", "on_hand_delta", "reserved_delta")) == [(store.pk, -6, -6)]
    assert fill_rate() == {"lines": 1, "complete": 0, "rate": 0.0}  # 4 units not shipped yet
    ful.shipment_deliver(shipment_id=from_store.pk, acting_user=picker)
    line.refresh_from_db()
    assert line.status == OrderLine.Status.ALLOCATED  # 4 units still at the DC

    from_dc = pack_and_ship(by_location[dc.pk], picker, "BR-DC")
    order.refresh_from_db()
    line.refresh_from_db()
    payment = Payment.objects.get(order=order)
    assert (order.status, line.status) == (Order.Status.SHIPPED, OrderLine.Status.SHIPPED)
    assert (level(tee, store), level(tee, dc)) == ((0, 0), (0, 0))
    assert from_dc.captured_amount == Decimal("406.00")  # the remainder
    assert payment.captured_amount == order.total == from_store.captured_amount + from_dc.captured_amount
    assert parts(line) == [(store.pk, 6), (dc.pk, 4)]  # where the units came from stays on the line
    # Shipped complete as sourced: one parcel from each location the line was reserved at.
    assert fill_rate() == {"lines": 1, "complete": 1, "rate": 100.0}
    ful.shipment_deliver(shipment_id=from_dc.pk, acting_user=picker)
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.status, line.status) == (Order.Status.DELIVERED, OrderLine.Status.DELIVERED)

    # Returns restock at the receiving location, whichever location shipped the units.
    rma = ful.return_request(order_id=order.pk, lines=[(line.pk, 3, "size")], acting_user=agent)
    ful.return_approve(return_id=rma.pk, acting_user=manager)
    ful.return_receive(return_id=rma.pk, location_id=dc.pk, acting_user=picker)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "resell"}, acting_user=picker)
    ful.return_refund(return_id=rma.pk, acting_user=manager)
    payment.refresh_from_db()
    assert (level(tee, store), level(tee, dc)) == ((0, 0), (3, 0))
    assert payment.refunded_amount == Decimal("300.00")
    call_command("verify_ledgers")


def test_cancelling_a_split_line_releases_both_parts(make_user, net, tee, place_order):
    user = make_user("admin")
    order = place_order(user, [(tee, 10)])
    line = order.lines.get()
    ful.order_allocate(order_id=order.pk, acting_user=user)
    order_cancel(order_id=order.pk, reason="customer changed mind", acting_user=user)
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.status, line.status) == (Order.Status.CANCELLED, OrderLine.Status.CANCELLED)
    assert (level(tee, net["store"]), level(tee, net["dc"])) == ((6, 0), (4, 0))
    assert not OrderLineAllocation.objects.filter(line=line).exists()
    assert set(Shipment.objects.filter(order=order).values_list("status", flat=True)) == {"cancelled"}
    assert sorted(StockMovement.objects.filter(reference=f"order:{order.pk}", reason="release").values_list(
        "location_id", "reserved_delta")) == sorted([(net["store"].pk, -6), (net["dc"].pk, -4)])
    call_command("verify_ledgers")


def test_editing_a_split_line_releases_both_parts_and_sources_it_again(make_user, net, tee, place_order):
    user = make_user("admin")
    order = place_order(user, [(tee, 10)])
    [first, second] = ful.order_allocate(order_id=order.pk, acting_user=user)
    line = order.lines.get()
    order_edit(order_id=order.pk, acting_user=user, quantities={line.pk: 5}, reason="only 5")
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert parts(line) == [(net["store"].pk, 5)]  # now the nearest location holds all of it
    assert (level(tee, net["store"]), level(tee, net["dc"])) == ((6, 5), (4, 0))
    assert set(Shipment.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
        "cancelled"}
    [again] = ful.order_allocate(order_id=order.pk, acting_user=user)
    assert list(again.lines.values_list("quantity", flat=True)) == [5]
    call_command("verify_ledgers")


def test_a_split_line_more_than_the_network_holds_changes_nothing(make_user, net, tee, place_order):
    with pytest.raises(StockUnavailable) as refused:
        place_order(make_user("agent"), [(tee, 11)])
    assert [(s["sku"], s["requested"], s["available"]) for s in refused.value.shortages] == [(tee.sku, 11, 10)]
    assert (level(tee, net["store"]), level(tee, net["dc"])) == ((6, 0), (4, 0))
    assert not OrderLineAllocation.objects.exists()


def test_order_page_and_packing_slip_show_each_part(make_user, role_client, net, tee, place_order):
    client = role_client("agent")
    order = place_order(client.user, [(tee, 10), (net["mug"], 1)])
    body = client.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    assert '<span title="Store Pinheiros">LJ-PIN</span> × 6<br><span title="DC Cajamar">DC-CJ</span> × 4' in body
    assert '<span title="Store Pinheiros">LJ-PIN</span></td>' in body  # the mug: one location, no quantity
    pdf = client.get(reverse("orders:order_packing_slip_pdf", args=[order.pk]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")


def test_first_available_channel_splits_a_line_no_single_location_holds(make_user, net, tee, place_order):
    net["channel"].sourcing_strategy = "first_available"
    net["channel"].save(update_fields=["sourcing_strategy"])
    order = place_order(make_user("agent"), [(tee, 8)])
    # Locations in code order: DC-CJ (4) first, then LJ-PIN (6) for the rest.
    assert parts(order.lines.get()) == [(net["dc"].pk, 4), (net["store"].pk, 4)]
    assert (level(tee, net["dc"]), level(tee, net["store"])) == ((4, 4), (6, 4))

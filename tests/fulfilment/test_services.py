"""Sourcing at placement, the ship flow and the return flow with stock, ledgers and money checked."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from inventory.models import StockLevel, StockMovement
from orders.fulfilment import services as ful
from orders.fulfilment.errors import (
    AlreadyPacked,
    CarrierFileError,
    InvalidReturn,
    InvalidShipmentTransition,
    WrongItemScanned,
)
from orders.fulfilment.models import AllocationRule, AtRiskFlag, Return, Shipment, SourcingDecision
from orders.models import Order, OrderLine
from orders.services import order_edit
from payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def level(variant, location):
    lv = StockLevel.objects.get(variant=variant, location=location)
    return lv.on_hand, lv.reserved


def parts(line):
    """Where a line's units are held: [(location_id, quantity)], largest part first."""
    return list(line.allocations.values_list("location_id", "quantity"))


def ship_all(order, user):
    for shipment in Shipment.objects.filter(order=order).exclude(status="cancelled").order_by("pk"):
        for sl in shipment.lines.select_related("order_line"):
            for _unit in range(sl.quantity):
                ful.shipment_scan(shipment_id=shipment.pk, code=sl.order_line.sku, acting_user=user)
        ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number=f"BR{shipment.pk}X",
                          cost=Decimal("12.50"), acting_user=user)


def test_placement_sources_to_the_nearest_store_and_records_why(make_user, net, place_order):
    agent = make_user("agent")
    order = place_order(agent, [(net["shirt"], 2), (net["mug"], 1)])
    assert order.status == Order.Status.CONFIRMED
    assert set(order.lines.values_list("allocations__location_id", flat=True)) == {net["store"].pk}
    assert level(net["shirt"], net["store"]) == (3, 2)
    assert level(net["shirt"], net["dc"]) == (20, 0)
    decision = SourcingDecision.objects.filter(order=order).first()
    assert decision.strategy == "nearest"
    assert decision.reason_text.startswith("Store Pinheiros: 0.")
    assert "km closer than DC Cajamar" in decision.reason_text
    assert decision.alternatives[0]["shipments"][0]["location"] == "DC Cajamar"


def test_split_when_no_location_has_everything_each_line_from_one_location(make_user, net, place_order, stock):
    from tests.inventory.factories import VariantFactory

    cap = VariantFactory(base_price=Decimal("30.00"))
    stock(cap, net["store"], 2)  # only the store has caps; only the DC has 5 shirts
    order = place_order(make_user("agent"), [(net["shirt"], 5), (cap, 1)])
    locations = list(order.lines.values_list("variant_id", "allocations__location_id", "allocations__quantity"))
    assert sorted(locations) == sorted([(net["shirt"].pk, net["dc"].pk, 5), (cap.pk, net["store"].pk, 1)])
    assert order.sourcing_decisions.first().reason_text.startswith("2 shipments (")
    shipments = ful.order_allocate(order_id=order.pk, acting_user=make_user("warehouse"))
    assert sorted(s.location_id for s in shipments) == sorted([net["dc"].pk, net["store"].pk])


def test_allocation_rule_keeps_the_last_units_for_b2b(make_user, net, place_order):
    AllocationRule.objects.create(name="Keep 3 shirts for B2B", variant=net["shirt"], location=net["store"],
                                  reserve_units=3, for_customer_group="b2b")
    order = place_order(make_user("agent"), [(net["shirt"], 1)])
    assert parts(order.lines.get()) == [(net["dc"].pk, 1)]


def test_full_ship_and_return_flow_with_stock_ledger_and_money(make_user, net, place_order):
    agent, picker, manager = make_user("agent"), make_user("warehouse"), make_user("manager")
    order = place_order(agent, [(net["shirt"], 2), (net["mug"], 1)])
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.status) == ("invoice", Payment.Status.AUTHORIZED)
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=picker)
    order.refresh_from_db()
    assert order.status == Order.Status.ALLOCATED
    with pytest.raises(WrongItemScanned):
        ful.shipment_scan(shipment_id=shipment.pk, code="NOPE", acting_user=picker)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].barcode, acting_user=picker)
    with pytest.raises(AlreadyPacked):
        ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=picker)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["shirt"].sku, acting_user=picker)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["shirt"].sku, acting_user=picker)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED
    # A scan after the last unit packs nothing: one too many, or not in the shipment at all.
    with pytest.raises(AlreadyPacked, match=r"All 2 × .* are already packed"):
        ful.shipment_scan(shipment_id=shipment.pk, code=net["shirt"].sku, acting_user=picker)
    with pytest.raises(WrongItemScanned):
        ful.shipment_scan(shipment_id=shipment.pk, code="NOPE", acting_user=picker)
    assert sorted(shipment.lines.values_list("packed_quantity", flat=True)) == [1, 2]
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", service="sedex", tracking_number="BR123",
                      cost=Decimal("12.50"), acting_user=picker)
    order.refresh_from_db()
    shipment.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    with pytest.raises(InvalidShipmentTransition):
        ful.shipment_scan(shipment_id=shipment.pk, code=net["shirt"].sku, acting_user=picker)
    assert level(net["shirt"], net["store"]) == (1, 0)
    assert level(net["mug"], net["store"]) == (2, 0)
    assert StockMovement.objects.filter(reference=f"shipment:{shipment.pk}").count() == 2
    assert payment.captured_amount == order.total == shipment.captured_amount
    assert order.total == Decimal("265.00")  # 2 x 100 + 50 + 15 shipping
    assert set(order.lines.values_list("status", flat=True)) == {OrderLine.Status.SHIPPED}

    ful.carrier_update_csv(content="tracking_number,status,reason\nBR123,delivered,\n", acting_user=picker)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert order.milestones.delivered_at is not None

    shirt_line = order.lines.get(variant=net["shirt"])
    with pytest.raises(InvalidReturn):
        ful.return_request(order_id=order.pk, lines=[(shirt_line.pk, 3, "size")], acting_user=agent)
    rma = ful.return_request(order_id=order.pk, lines=[(shirt_line.pk, 2, "size")], acting_user=agent)
    ful.return_approve(return_id=rma.pk, acting_user=manager)
    ful.return_receive(return_id=rma.pk, location_id=net["dc"].pk, acting_user=picker)
    [rl] = rma.lines.all()
    ful.return_inspect(return_id=rma.pk, conditions={rl.pk: "resell"}, acting_user=picker)
    assert level(net["shirt"], net["dc"]) == (22, 0)
    ful.return_refund(return_id=rma.pk, acting_user=manager)
    rma.refresh_from_db()
    payment.refresh_from_db()
    order.refresh_from_db()
    assert rma.status == Return.Status.REFUNDED
    assert rma.refund_amount == payment.refunded_amount == Decimal("200.00")
    assert order.status == Order.Status.PARTIALLY_RETURNED
    # A second refund call does nothing more.
    with pytest.raises(InvalidReturn):
        ful.return_refund(return_id=rma.pk, acting_user=manager)
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("200.00")
    call_command("verify_ledgers")  # exits on any stock or journal drift


def test_damaged_return_is_written_off_and_refunded_as_store_credit(make_user, net, place_order):
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=user)
    ship_all(order, user)
    line = order.lines.get()
    rma = ful.return_request(order_id=order.pk, lines=[(line.pk, 1, "damaged")], acting_user=user)
    ful.return_approve(return_id=rma.pk, acting_user=user)
    ful.return_receive(return_id=rma.pk, location_id=net["store"].pk, acting_user=user)
    before = level(net["mug"], net["store"])
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "damaged"}, acting_user=user)
    assert level(net["mug"], net["store"]) == before
    ful.return_refund(return_id=rma.pk, method="store_credit", acting_user=user)
    rma.refresh_from_db()
    assert (rma.status, rma.refund_method, rma.refund_amount) == ("refunded", "store_credit", Decimal("50.00"))
    call_command("verify_ledgers")


def test_a_closed_return_sent_again_says_it_is_closed_not_to_inspect_it(make_user, net, place_order):
    """The refund form sent a second time (a second tab, the page before) answered "RMA is Refunded: inspect it
    before refunding", and a rejected return asked to be inspected: each says it is already closed, nothing
    changes."""
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 2)])
    ful.order_allocate(order_id=order.pk, acting_user=user)
    ship_all(order, user)
    line = order.lines.get()
    rma = ful.return_request(order_id=order.pk, lines=[(line.pk, 1, "damaged")], acting_user=user)
    ful.return_approve(return_id=rma.pk, acting_user=user)
    ful.return_receive(return_id=rma.pk, location_id=net["store"].pk, acting_user=user)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "damaged"}, acting_user=user)
    ful.return_refund(return_id=rma.pk, method="store_credit", acting_user=user)
    rejected = ful.return_request(order_id=order.pk, lines=[(line.pk, 1, "size")], acting_user=user)
    ful.return_approve(return_id=rejected.pk, approve=False, reason="worn", acting_user=user)
    with translation.override("en"):
        for closed, status in ((rma, "Refunded"), (rejected, "Rejected")):
            for again in (lambda: ful.return_refund(return_id=closed.pk, method="original", acting_user=user),
                          lambda: ful.return_exchange(return_id=closed.pk, acting_user=user)):
                with pytest.raises(InvalidReturn) as refused:
                    again()
                assert refused.value.message == f"{closed} is already closed ({status}): nothing more to do."
    rma.refresh_from_db()
    assert (rma.status, rma.refund_amount, rma.exchange_order_id) == ("refunded", Decimal("50.00"), None)
    assert Order.objects.count() == 1  # no exchange draft opened


def test_a_shipment_shipped_twice_says_it_already_left_and_takes_its_stock_once(make_user, net, place_order):
    """The ship form sent again (the page before, a second tab) answered "Shipment S1 is Shipped: pack it first":
    it says the shipment already left, with the carrier and tracking number it left with."""
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR1", acting_user=user)
    with translation.override("en"), pytest.raises(InvalidShipmentTransition) as refused:
        ful.shipment_ship(shipment_id=shipment.pk, carrier="Jadlog", tracking_number="JD2", acting_user=user)
    assert refused.value.message == f"Shipment {shipment} was already shipped (Correios BR1)."
    shipment.refresh_from_db()
    assert (shipment.carrier, shipment.tracking_number) == ("Correios", "BR1")
    assert level(net["mug"], net["store"]) == (2, 0)
    call_command("verify_ledgers")


def test_edit_during_fulfilment_cancels_open_shipments_and_sources_again(make_user, net, place_order):
    user = make_user("admin")
    order = place_order(user, [(net["shirt"], 1)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    line = order.lines.get()
    order_edit(order_id=order.pk, acting_user=user, quantities={line.pk: 5}, reason="customer wants more")
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == Shipment.Status.CANCELLED
    assert order.status == Order.Status.CONFIRMED
    assert parts(order.lines.get()) == [(net["dc"].pk, 5)]
    assert level(net["shirt"], net["store"]) == (3, 0)
    assert level(net["shirt"], net["dc"]) == (20, 5)
    assert SourcingDecision.objects.filter(order=order, trigger="edit").count() == 1


def test_failed_delivery_then_retry_and_bad_carrier_file_changes_nothing(make_user, net, place_order):
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=user)
    ship_all(order, user)
    shipment = order.shipments.get()
    bad = f"tracking_number,status,reason\n{shipment.tracking_number},failed,\nNOPE,delivered,\n"
    with pytest.raises(CarrierFileError) as exc:
        ful.carrier_update_csv(content=bad, acting_user=user)
    assert [row for row, _msg in exc.value.rows] == [2, 3]
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.SHIPPED
    ful.carrier_update_csv(content=f"tracking_number,status,reason\n{shipment.tracking_number},failed,nobody home\n",
                           acting_user=user)
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert (order.status, shipment.status, shipment.attempts) == ("delivery_failed", "failed_delivery", 1)
    ful.shipment_retry(shipment_id=shipment.pk, acting_user=user)
    ful.shipment_deliver(shipment_id=shipment.pk, acting_user=user)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED


def test_blank_lines_of_a_carrier_file_are_skipped_and_rows_keep_their_line_numbers(make_user, net, place_order):
    """A spreadsheet saves an empty row as ",," and people leave blank lines between blocks: neither is a row."""
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=user)
    ship_all(order, user)
    tracking = order.shipments.get().tracking_number
    with pytest.raises(CarrierFileError) as exc:
        ful.carrier_update_csv(content=f"tracking_number,status,reason\n\n,,\n  \n{tracking},delivered,\nNOPE,lost,\n",
                               acting_user=user)
    assert [row for row, _msg in exc.value.rows] == [6]
    with pytest.raises(CarrierFileError, match="The file has no rows."):
        ful.carrier_update_csv(content="tracking_number,status,reason\n,,\n\n", acting_user=user)
    assert order.shipments.get().status == Shipment.Status.SHIPPED
    crlf = f"tracking_number,status,reason\r\n,,\r\n{tracking},delivered,\r\n ,, \r\n"
    applied = ful.carrier_update_csv(content=crlf, acting_user=user)
    assert (applied, order.shipments.get().status) == (1, Shipment.Status.DELIVERED)


def _split_order(user, net, place_order, stock):
    """An order shipped from two places: 5 shirts from the DC, a cap from the store."""
    from tests.inventory.factories import VariantFactory

    cap = VariantFactory(base_price=Decimal("30.00"))
    stock(cap, net["store"], 2)
    order = place_order(user, [(net["shirt"], 5), (cap, 1)])
    first, second = ful.order_allocate(order_id=order.pk, acting_user=user)
    return order, first, second


def ship_one(shipment, user, tracking):
    for sl in shipment.lines.select_related("order_line"):
        for _unit in range(sl.quantity):
            ful.shipment_scan(shipment_id=shipment.pk, code=sl.order_line.sku, acting_user=user)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number=tracking, acting_user=user)


def test_a_carrier_delivers_a_failed_parcel_of_a_partially_shipped_order(make_user, net, place_order, stock):
    """The order never entered "delivery failed" (another parcel was still in the warehouse), so its failed
    parcel reported delivered later must still move to delivered, and the order on once everything arrived."""
    user = make_user("admin")
    order, first, second = _split_order(user, net, place_order, stock)
    ship_one(first, user, "TA")
    ful.carrier_update_csv(content="tracking_number,status,reason\nTA,failed,nobody home\n", acting_user=user)
    order.refresh_from_db()
    assert (order.status, Shipment.objects.get(pk=first.pk).status) == ("partially_shipped", "failed_delivery")
    assert ful.carrier_update_csv(content="tracking_number,status,reason\nTA,delivered,\n", acting_user=user) == 1
    first.refresh_from_db()
    order.refresh_from_db()
    assert (order.status, first.status) == ("partially_shipped", "delivered")
    ship_one(second, user, "TB")
    ful.carrier_update_csv(content="tracking_number,status,reason\nTB,delivered,\n", acting_user=user)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert set(order.lines.values_list("status", flat=True)) == {"delivered"}


def test_two_failed_parcels_delivered_in_one_carrier_file(make_user, net, place_order, stock):
    user = make_user("admin")
    order, first, second = _split_order(user, net, place_order, stock)
    ship_one(first, user, "TA")
    ship_one(second, user, "TB")
    ful.carrier_update_csv(content="tracking_number,status,reason\nTA,failed,closed\nTB,failed,closed\n",
                           acting_user=user)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERY_FAILED
    ful.shipment_retry(shipment_id=first.pk, acting_user=user)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERY_FAILED  # the other parcel is still failed
    assert ful.carrier_update_csv(content="tracking_number,status,reason\nTA,delivered,\nTB,delivered,\n",
                                  acting_user=user) == 2
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert set(order.shipments.values_list("status", flat=True)) == {"delivered"}


def test_the_same_carrier_file_twice_changes_nothing_the_second_time(make_user, net, place_order):
    """Carriers send cumulative files: rows already applied are skipped, not a reason to refuse the new ones."""
    from orders.fulfilment.models import ShipmentEvent
    from orders.models import OrderEvent

    user = make_user("admin")
    first, second, third = (place_order(user, [(net["mug"], 1)]) for _n in range(3))
    for order, tracking in ((first, "T1"), (second, "T2"), (third, "T3")):
        [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
        ship_one(shipment, user, tracking)
    content = "tracking_number,status,reason\nT1,delivered,\nT2,failed,nobody home\n"
    assert ful.carrier_update_csv(content=content, acting_user=user) == 2
    history = (ShipmentEvent.objects.count(), OrderEvent.objects.count())
    assert ful.carrier_update_csv(content=content, acting_user=user) == 0
    assert (ShipmentEvent.objects.count(), OrderEvent.objects.count()) == history
    t2 = Shipment.objects.get(tracking_number="T2")
    assert (t2.status, t2.attempts) == ("failed_delivery", 1)
    assert ful.carrier_update_csv(content=content + "T3,delivered,\n", acting_user=user) == 1
    third.refresh_from_db()
    assert third.status == Order.Status.DELIVERED


def test_a_tracking_number_on_two_parcels_is_refused_not_guessed(make_user, net, place_order):
    user = make_user("admin")
    first, second = (place_order(user, [(net["mug"], 1)]) for _n in range(2))
    for order in (first, second):
        [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
        ship_one(shipment, user, "BR-SAME")  # typed twice by mistake
    with pytest.raises(CarrierFileError) as refused:
        ful.carrier_update_csv(content="tracking_number,status,reason\nBR-SAME,delivered,\n", acting_user=user)
    [(row, message)] = refused.value.rows
    ids = [str(s) for s in Shipment.objects.filter(tracking_number="BR-SAME").order_by("pk")]
    assert row == 2 and f"shipments {ids[0]}, {ids[1]}" in message
    assert set(Shipment.objects.values_list("status", flat=True)) == {"shipped"}
    [old] = ful.order_allocate(order_id=place_order(user, [(net["mug"], 1)]).pk, acting_user=user)
    ship_one(old, user, "BR-OLD")
    ful.shipment_deliver(shipment_id=old.pk, acting_user=user)
    [new] = ful.order_allocate(order_id=place_order(user, [(net["shirt"], 1)]).pk, acting_user=user)
    ship_one(new, user, "BR-OLD")  # a carrier reusing a number: the parcel on the road is the one meant
    assert ful.carrier_update_csv(content="tracking_number,status,reason\nBR-OLD,failed,closed\n",
                                  acting_user=user) == 1
    new.refresh_from_db()
    assert new.status == Shipment.Status.FAILED_DELIVERY


def test_retry_only_sends_out_a_failed_delivery(make_user, net, place_order):
    """A packed parcel "retried" would be shipped without its stock consumed or its payment captured."""
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
    with pytest.raises(InvalidShipmentTransition):
        ful.shipment_retry(shipment_id=shipment.pk, acting_user=user)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED
    assert level(net["mug"], net["store"]) == (3, 1)


def test_store_pickup_ready_collected_and_expiry_back_to_stock(make_user, net, place_order):
    from datetime import timedelta

    from django.utils import timezone

    from oms.models import OutboxMessage

    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    assert shipment.kind == Shipment.Kind.PICKUP
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
    ful.pickup_ready(shipment_id=shipment.pk, acting_user=user)
    assert OutboxMessage.objects.filter(topic="oms.email", payload__subject__icontains="ready for pick-up").exists()
    ful.pickup_confirm(shipment_id=shipment.pk, acting_user=user)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert level(net["mug"], net["store"]) == (2, 0)

    second = place_order(user, [(net["shirt"], 1)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    [shipment] = ful.order_allocate(order_id=second.pk, acting_user=user)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["shirt"].sku, acting_user=user)
    ful.pickup_ready(shipment_id=shipment.pk, acting_user=user)
    assert level(net["shirt"], net["store"]) == (3, 1)
    assert ful.expire_pickups(now=timezone.now() + timedelta(days=10)) == 1
    second.refresh_from_db()
    assert second.status == Order.Status.CANCELLED
    assert level(net["shirt"], net["store"]) == (3, 0)


def test_a_pickup_waiting_at_the_store_is_not_marked_delivered_past_its_collection(make_user, net, place_order):
    """"Mark delivered" sent for a pick-up waiting at the store (its address posted by hand, a page of another
    shipment) turned it delivered without the collection: the store's stock stayed reserved and on hand for good
    and the payment was never captured. It is refused; the collection then does all of it."""
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
    ful.pickup_ready(shipment_id=shipment.pk, acting_user=user)
    with translation.override("en"), pytest.raises(InvalidShipmentTransition) as refused:
        ful.shipment_deliver(shipment_id=shipment.pk, acting_user=user)
    assert "waits at Store Pinheiros for the customer" in refused.value.message
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.READY
    assert level(net["mug"], net["store"]) == (3, 1)
    ful.pickup_confirm(shipment_id=shipment.pk, acting_user=user)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert level(net["mug"], net["store"]) == (2, 0)
    call_command("verify_ledgers")


def test_at_risk_scan_flags_and_clears(make_user, net, place_order):
    from datetime import timedelta

    from django.utils import timezone

    from oms.models import OutboxMessage

    user = make_user("admin")
    manager = make_user("manager", email="boss@example.com")
    order = place_order(user, [(net["mug"], 1)])
    later = timezone.now() + timedelta(days=4)  # a working day has gone by whatever today is
    assert ful.at_risk_scan(now=later) == {"raised": 1, "cleared": 0}
    alert = OutboxMessage.objects.get(topic="oms.email", payload__subject__icontains="at risk")
    assert manager.email in alert.payload["to"]
    flag = AtRiskFlag.objects.get(order=order)
    assert flag.reason == AtRiskFlag.Reason.NOT_ALLOCATED
    assert ful.at_risk_scan(now=later) == {"raised": 0, "cleared": 0}
    ful.order_allocate(order_id=order.pk, acting_user=user)
    flag.refresh_from_db()
    assert flag.cleared_at is not None


def test_an_at_risk_flag_reads_in_the_readers_language_with_its_values(make_user, net, place_order):
    """The beat job has no reader: it stores the English message and its values, and each manager reads them in
    their own language (in the at-risk queue and on the order)."""
    from datetime import timedelta

    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone, translation

    from payments.models import Payment

    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    Payment.objects.create(order=order, method="card", status=Payment.Status.AUTHORIZED, amount=order.total,
                           currency="BRL", idempotency_key="risk-lang", created_at=timezone.now())
    Payment.objects.filter(idempotency_key="risk-lang").update(created_at=timezone.now() - timedelta(days=6))
    with translation.override("pt-br"):
        ful.at_risk_scan(now=timezone.now() + timedelta(days=4))
    flags = {f.reason: f for f in AtRiskFlag.objects.filter(order=order)}
    expiring = flags[AtRiskFlag.Reason.AUTH_EXPIRING]
    assert expiring.detail == "Authorization from %(day)s expires %(exp)s"  # stored in English, not pt-BR
    day = timezone.localdate(timezone.now() - timedelta(days=6))
    with translation.override("en"):
        assert expiring.detail_text == f"Authorization from {day:%m/%d/%Y} expires {day + timedelta(days=7):%m/%d/%Y}"
    with translation.override("pt-br"):
        assert flags[AtRiskFlag.Reason.NOT_ALLOCATED].detail_text == "Feito há mais de um dia, ainda não alocado"
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    client.force_login(make_user("manager"))
    page = client.get(reverse("orders:fulfilment_at_risk")).content.decode()
    assert "Placed more than a day ago" not in page
    with translation.override("ar"):
        assert flags[AtRiskFlag.Reason.NOT_ALLOCATED].detail_text in page
        assert flags[AtRiskFlag.Reason.NOT_ALLOCATED].detail_text != "Placed more than a day ago, not yet allocated"


def test_available_to_promise_counts_incoming_purchase_orders(make_user, net):
    from datetime import date

    from inventory.services import po_create, po_send
    from tests.inventory.factories import SupplierFactory

    user = make_user("admin")
    po = po_create(supplier_id=SupplierFactory().pk, location_id=net["dc"].pk,
                   lines=[(net["mug"].pk, 30, Decimal("5.00"))], acting_user=user)
    po.expected_on = date(2030, 1, 15)
    po.save(update_fields=["expected_on"])
    po_send(po_id=po.pk, acting_user=user)
    promise = ful.available_to_promise(variant_ids=[net["mug"].pk])[net["mug"].pk]
    assert promise.total == 23
    assert promise.by_location == {net["dc"].pk: 20, net["store"].pk: 3}
    assert promise.date_for(40) == date(2030, 1, 15)
    assert promise.date_for(60) is None


def test_simulation_writes_nothing(make_user, net, place_order):
    user = make_user("admin")
    place_order(user, [(net["shirt"], 1)])
    before = (SourcingDecision.objects.count(), StockMovement.objects.count())
    result = ful.simulate(days=7, strategy="lowest_cost", switched_off=[net["store"].pk])
    assert result["count"] == 1
    assert result["rows"][0].simulated.shipments[0].location_name == "DC Cajamar"
    assert (SourcingDecision.objects.count(), StockMovement.objects.count()) == before


def test_simulation_reruns_an_order_with_the_stock_it_holds(make_user, net, place_order):
    """The order took the store's last 3 mugs: re-run with the same strategy it must come out the same, not
    "DC Cajamar: the only location that can ship everything" because its own reservation hid the store's."""
    order = place_order(make_user("admin"), [(net["mug"], 3)])
    decided = order.sourcing_decisions.first().plan
    assert decided["shipments"][0]["location_id"] == net["store"].pk
    result = ful.simulate(days=7, strategy="nearest")
    [row] = result["rows"]
    assert [s.location_id for s in row.simulated.shipments] == [net["store"].pk]
    assert row.simulated.cost == row.decided_cost == Decimal(decided["cost"])
    assert result["totals"]["simulated_cost"] == result["totals"]["decided_cost"]
    assert level(net["mug"], net["store"]) == (3, 3)  # still the order's


def test_simulation_applies_allocation_rules_as_the_orders_channel_sees_them(make_user, net, place_order):
    AllocationRule.objects.create(name="Store shirts for the web", variant=net["shirt"], location=net["store"],
                                  reserve_units=3, for_channel_code="web")
    order = place_order(make_user("admin"), [(net["shirt"], 1)])
    assert parts(order.lines.get()) == [(net["store"].pk, 1)]  # the web order may use them
    [row] = ful.simulate(days=7, strategy="nearest")["rows"]
    assert [s.location_id for s in row.simulated.shipments] == [net["store"].pk]


def test_return_reasons_and_rates_for_reports(make_user, net, place_order):
    from orders.fulfilment import selectors

    user = make_user("admin")
    order = place_order(user, [(net["mug"], 2)])
    ful.order_allocate(order_id=order.pk, acting_user=user)
    ship_all(order, user)
    ful.return_request(order_id=order.pk, lines=[(order.lines.get().pk, 1, "defective")], acting_user=user)
    assert selectors.return_reasons() == [{"reason": "defective", "units": 1, "returns": 1}]
    assert selectors.return_rates() == [{"sku": net["mug"].sku, "shipped": 2, "returned": 1, "rate": 0.5}]
    assert selectors.at_risk_count() == 0


def test_backordered_order_is_freed_when_stock_arrives_and_dated_by_the_purchase_order(make_user, net, stock):
    import uuid
    from datetime import date

    from inventory.services import po_create, po_send
    from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place
    from tests.inventory.factories import SupplierFactory

    user = make_user("admin")
    po = po_create(supplier_id=SupplierFactory().pk, location_id=net["dc"].pk,
                   lines=[(net["mug"].pk, 50, Decimal("5.00"))], acting_user=user)
    po.expected_on = date(2030, 2, 1)
    po.save(update_fields=["expected_on"])
    po_send(po_id=po.pk, acting_user=user)
    draft = draft_create(channel_id=net["channel"].pk, acting_user=user, customer_id=net["customer"].pk)
    draft_line_add(order_id=draft.pk, variant_id=net["mug"].pk, quantity=30, acting_user=user)
    draft_update(order_id=draft.pk, acting_user=user, payment_method="invoice", shipping_service=net["service"])
    order = order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=user,
                        payment=PaymentRequest("invoice"), accept_backorder=True)
    line = order.lines.get()
    assert (order.status, line.status, line.backorder_date) == ("backordered", "backordered", date(2030, 2, 1))
    assert ful.backorders_retry() == 0
    stock(net["mug"], net["dc"], 15)
    assert ful.backorders_retry() == 1
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.status, line.status, parts(line)) == ("confirmed", "reserved", [(net["dc"].pk, 30)])
    assert level(net["mug"], net["dc"]) == (35, 30)


def test_pickup_with_part_of_a_line_in_store_transfers_the_whole_line(make_user, net, place_order):
    user = make_user("admin")
    order = place_order(user, [(net["shirt"], 5), (net["mug"], 1)], delivery_method="pickup",
                        pickup_location_id=net["store"].pk)
    locations = list(order.lines.values_list("variant_id", "allocations__location_id", "allocations__quantity"))
    assert sorted(locations) == sorted([(net["shirt"].pk, net["dc"].pk, 5), (net["mug"].pk, net["store"].pk, 1)])
    decision = order.sourcing_decisions.first()
    assert decision.plan["kind"] == "transfer"
    assert decision.reason_text.startswith("Pick-up at Store Pinheiros after a transfer from DC Cajamar")
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    assert (shipment.kind, shipment.status, shipment.location_id) == ("pickup", "waiting", net["store"].pk)


def test_cancelling_lines_of_an_allocated_order_cancels_its_shipments_and_releases_the_rest_again(
        make_user, net, place_order):
    from orders.services import order_cancel

    user = make_user("admin")
    order = place_order(user, [(net["shirt"], 1), (net["mug"], 1)])
    [first] = ful.order_allocate(order_id=order.pk, acting_user=user)
    mug = order.lines.get(variant=net["mug"])
    order_cancel(order_id=order.pk, reason="customer changed mind", line_ids=[mug.pk], acting_user=user)
    first.refresh_from_db()
    order.refresh_from_db()
    assert (first.status, order.status) == (Shipment.Status.CANCELLED, Order.Status.CONFIRMED)
    [second] = ful.order_allocate(order_id=order.pk, acting_user=user)
    assert list(second.lines.values_list("order_line__variant_id", flat=True)) == [net["shirt"].pk]
    order_cancel(order_id=order.pk, reason="all of it", acting_user=user)
    second.refresh_from_db()
    order.refresh_from_db()
    assert (second.status, order.status) == (Shipment.Status.CANCELLED, Order.Status.CANCELLED)
    assert level(net["shirt"], net["store"]) == (3, 0)


def test_step_durations_for_kpis(make_user, net, place_order):
    from datetime import timedelta

    from orders.fulfilment import selectors
    from orders.fulfilment.models import OrderMilestones

    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=user)
    ship_all(order, user)
    order.refresh_from_db()
    OrderMilestones.objects.filter(order=order).update(
        allocated_at=order.placed_at + timedelta(hours=2), shipped_at=order.placed_at + timedelta(hours=5),
        delivered_at=order.placed_at + timedelta(hours=29))
    assert selectors.step_durations() == {"to_allocate": 2.0, "to_ship": 3.0, "to_deliver": 24.0}


def test_exchange_opens_a_linked_draft_with_the_same_items(make_user, net, place_order):
    user = make_user("admin")
    order = place_order(user, [(net["shirt"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=user)
    ship_all(order, user)
    rma = ful.return_request(order_id=order.pk, lines=[(order.lines.get().pk, 1, "size")], acting_user=user)
    with pytest.raises(InvalidReturn):
        ful.return_exchange(return_id=rma.pk, acting_user=user)  # not inspected yet
    assert not Order.objects.filter(status=Order.Status.DRAFT).exists()
    ful.return_approve(return_id=rma.pk, acting_user=user)
    ful.return_receive(return_id=rma.pk, location_id=net["store"].pk, acting_user=user)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "resell"}, acting_user=user)
    draft = ful.return_exchange(return_id=rma.pk, acting_user=user)
    rma.refresh_from_db()
    order.refresh_from_db()
    assert (rma.status, rma.exchange_order_id) == (Return.Status.EXCHANGED, draft.pk)
    assert (draft.status, draft.customer_id) == (Order.Status.DRAFT, order.customer_id)
    assert list(draft.lines.values_list("variant_id", "quantity")) == [(net["shirt"].pk, 1)]
    assert order.status == Order.Status.RETURNED


def test_allocation_rule_by_category_does_not_restrict_its_own_channel(make_user, net, place_order):
    AllocationRule.objects.create(name="Web keeps the last mugs", category=net["mug"].product.category,
                                  reserve_units=3, for_channel_code="web")
    order = place_order(make_user("agent"), [(net["mug"], 1)])
    assert parts(order.lines.get()) == [(net["store"].pk, 1)]  # web is the demand class the units are kept for
    held = ful.allocation_holdback(variant_ids=[net["mug"].pk], channel_code="marketplace", customer_group="")
    assert held == {(net["mug"].pk, None): 3}


def test_a_shipments_history_written_in_portuguese_reads_in_arabic(make_user, net, place_order):
    """Every row of a shipment's history (the release too, which is written apart from the status changes)."""
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    with translation.override("pt-br"):
        [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
        ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
    with translation.override("ar"):
        history = [event.reason_text for event in shipment.events.order_by("pk")]
    # "Released to the warehouse", picking started (no reason), "Every unit scanned"
    assert history == ["أُرسل إلى المستودع", "", "تم مسح كل الوحدات"]
    assert [(e.reason, e.reason_params) for e in shipment.events.order_by("pk")][0] == (
        "Released to the warehouse", {})
    with translation.override("ar"):  # and the order's own history of the release, with the Arabic singular
        allocated = order.events.get(to_status=Order.Status.ALLOCATED).reason_text
    assert allocated == "أُرسلت شحنة واحدة إلى المستودع"


def test_customer_and_manager_emails_are_written_in_each_readers_language(make_user, net, place_order):
    """The customer reads the pick-up notice in their language (else the channel's); each manager reads the
    at-risk alert in the language they last used, whoever or whatever triggered it."""
    from datetime import timedelta

    from django.utils import timezone

    from oms.models import OutboxMessage
    from oms.preferences import language_remember

    user = make_user("admin")
    net["channel"].language = "pt-br"
    net["channel"].save()
    boss_pt, boss_ar = make_user("manager", email="chefe@example.com"), make_user("manager", email="raees@example.com")
    language_remember(boss_pt, "pt-br")
    language_remember(boss_ar, "ar")

    def ready_notice(order):
        [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
        ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)
        ful.pickup_ready(shipment_id=shipment.pk, acting_user=user)
        return OutboxMessage.objects.filter(topic="oms.email", payload__to=[order.email]).latest("pk").payload

    order = place_order(user, [(net["mug"], 1)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    notice = ready_notice(order)
    assert (notice["language"], notice["subject"]) == ("pt-br", f"O pedido {order.number} está pronto para retirada")
    net["customer"].language = "ar"
    net["customer"].save()
    second = place_order(user, [(net["mug"], 1)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    assert ready_notice(second)["subject"] == f"\u200fالطلب {second.number} جاهز للاستلام"

    late = place_order(user, [(net["shirt"], 1)])
    ful.at_risk_scan(now=timezone.now() + timedelta(days=4))
    alerts = {tuple(m.payload["to"]): m.payload for m in OutboxMessage.objects.filter(topic="oms.email")
              if "chefe@example.com" in m.payload["to"] or "raees@example.com" in m.payload["to"]}
    assert set(alerts) == {("chefe@example.com",), ("raees@example.com",)}
    assert alerts[("chefe@example.com",)]["subject"].endswith("em risco de perder a data prometida")
    assert "معرض لتفويت الموعد الموعود" in alerts[("raees@example.com",)]["subject"]
    late.refresh_from_db()
    assert f"\u200f{late.number}: " in alerts[("raees@example.com",)]["body"]
    assert "/fulfilment/at-risk/" in alerts[("raees@example.com",)]["body"]


def test_stock_arriving_for_backorders_goes_to_the_urgent_order_first(make_user, net, stock):
    """The phone screen's priority decides who gets scarce stock: an urgent order placed later is freed before a
    standard one placed earlier (it used to be first come, first served whatever the priority)."""
    import uuid

    from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place

    user = make_user("admin")

    def backordered(priority):
        draft = draft_create(channel_id=net["channel"].pk, acting_user=user, customer_id=net["customer"].pk)
        draft_line_add(order_id=draft.pk, variant_id=net["mug"].pk, quantity=30, acting_user=user)
        draft_update(order_id=draft.pk, acting_user=user, payment_method="invoice", shipping_service=net["service"],
                     priority=priority)
        return order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=user,
                           payment=PaymentRequest("invoice"), accept_backorder=True)

    standard = backordered(Order.Priority.STANDARD)
    urgent = backordered(Order.Priority.URGENT)
    assert (standard.status, urgent.status, standard.placed_at < urgent.placed_at) == (
        "backordered", "backordered", True)
    stock(net["mug"], net["dc"], 15)  # enough for one of them
    assert ful.backorders_retry() == 1
    standard.refresh_from_db()
    urgent.refresh_from_db()
    assert (urgent.status, urgent.priority, standard.status) == ("confirmed", Order.Priority.URGENT, "backordered")
    assert list(urgent.lines.get().allocations.values_list("location_id", "quantity")) == [(net["dc"].pk, 30)]
    assert standard.lines.get().status == "backordered"


@pytest.mark.parametrize("strategy", ["first_available", "nearest"])
def test_a_pickup_is_placed_only_at_an_active_store_offering_pickup(make_user, net, place_order, strategy):
    """The DC never offered pick-up (it was accepted, with its stock reserved); a store closed after the agent chose
    it had its stock reserved by the first-available rule, and "out of stock" was the reason given by the others."""
    from inventory.models import Location
    from orders.errors import IncompleteOrder

    user = make_user("admin")
    net["channel"].sourcing_strategy = strategy
    net["channel"].save(update_fields=["sourcing_strategy"])
    with pytest.raises(IncompleteOrder, match="choose another pick-up store \\(DC Cajamar does not offer pick-up\\)"):
        place_order(user, [(net["mug"], 1)], delivery_method="pickup", pickup_location_id=net["dc"].pk)
    Location.objects.filter(pk=net["store"].pk).update(is_active=False)
    with pytest.raises(IncompleteOrder, match="Store Pinheiros does not offer pick-up"):
        place_order(user, [(net["mug"], 1)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    assert (level(net["mug"], net["dc"]), level(net["mug"], net["store"])) == ((20, 0), (3, 0))
    assert not Order.objects.exclude(status__in=[Order.Status.DRAFT, Order.Status.CANCELLED]).exists()


def test_an_order_with_a_line_waiting_for_stock_is_neither_listed_nor_released(make_user, role_client, net,
                                                                                place_order):
    """The beat job skipped it, but the queue listed it under "a background job releases them" and its button
    released the reserved lines alone: the order went on to shipped with the backordered line left behind."""
    from django.urls import reverse

    from marketing.models import ShippingRate
    from orders.fulfilment.errors import FulfilmentError

    user = make_user("admin")
    net["channel"].allow_oversell = True
    net["channel"].save(update_fields=["allow_oversell"])
    order = place_order(user, [(net["mug"], 1)])
    ShippingRate.objects.update(max_weight_grams=20000)  # 31 shirts and a mug still ship as one parcel
    order_edit(order_id=order.pk, acting_user=user, add=[(net["shirt"].pk, 30)])  # 23 shirts in stock
    shirt = order.lines.get(variant=net["shirt"])
    assert shirt.status == OrderLine.Status.BACKORDERED
    assert Order.objects.get(pk=order.pk).status == Order.Status.BACKORDERED  # an edit's status follows its lines
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CONFIRMED)  # as edits left it before that rule
    ready = place_order(user, [(net["mug"], 1)])
    waiting = list(role_client("warehouse").get(reverse("orders:fulfilment_queue")).context["waiting"])
    assert waiting == [ready]
    with pytest.raises(FulfilmentError, match=f"waits for stock of {net['shirt'].sku}"):
        ful.order_allocate(order_id=order.pk, acting_user=user)
    assert not order.shipments.exists()
    assert ful.allocate_confirmed() == 1
    assert not order.shipments.exists() and ready.shipments.count() == 1


def test_an_expiring_authorization_is_dated_in_the_store_time_zone(make_user, net, place_order):
    """Authorized at 22:30 in São Paulo (01:30 the next day in UTC): the flag says the day it was in the store."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    order = place_order(make_user("admin"), [(net["mug"], 1)])
    authorized = datetime(2026, 11, 20, 22, 30, tzinfo=ZoneInfo("America/Sao_Paulo"))
    Payment.objects.create(order=order, method="card", status=Payment.Status.AUTHORIZED, amount=order.total,
                           currency="BRL", idempotency_key="late-night")
    Payment.objects.filter(idempotency_key="late-night").update(created_at=authorized)
    ful.at_risk_scan(now=authorized + timedelta(days=6))
    flag = AtRiskFlag.objects.get(order=order, reason=AtRiskFlag.Reason.AUTH_EXPIRING)
    assert [flag.detail_params[k]["date"] for k in ("day", "exp")] == ["2026-11-20", "2026-11-27"]
    assert timezone.get_current_timezone_name() == "America/Sao_Paulo"


def test_not_allocated_counts_a_working_day_not_24_hours(make_user, net, place_order):
    """An order placed on Friday evening was flagged "not allocated" on Saturday evening, before the warehouse had a
    working day for it; a holiday on Monday moves the flag to Tuesday."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from orders.fulfilment.models import Holiday

    order = place_order(make_user("admin"), [(net["mug"], 1)])
    local = ZoneInfo("America/Sao_Paulo")
    Order.objects.filter(pk=order.pk).update(placed_at=datetime(2026, 11, 20, 18, 0, tzinfo=local))  # a Friday

    def flagged(day: int) -> bool:
        ful.at_risk_scan(now=datetime(2026, 11, day, 19, 0, tzinfo=local))
        return AtRiskFlag.objects.filter(order=order, reason=AtRiskFlag.Reason.NOT_ALLOCATED,
                                         cleared_at__isnull=True).exists()

    Holiday.objects.create(date=datetime(2026, 11, 23).date(), name="Local feast")
    assert (flagged(21), flagged(23), flagged(24)) == (False, False, True)  # Saturday, the holiday, Tuesday


def test_an_authorization_with_a_rest_to_capture_after_a_refund_is_flagged_as_expiring(make_user, net, place_order):
    """Captured in part, that part refunded: the rest of the authorization can still be captured (and lapses with
    it), but the payment reads "partially refunded" and the scan looked at authorized and partially captured ones
    only. A payment captured whole and then refunded in part has nothing left to lapse."""
    from datetime import timedelta

    from django.utils import timezone

    user = make_user("admin")
    rest, whole = (place_order(user, [(net["mug"], 1)]) for _ in range(2))
    week_ago = timezone.now() - timedelta(days=6)
    for order, captured in ((rest, Decimal("10.00")), (whole, None)):
        Payment.objects.create(order=order, method="card", status=Payment.Status.PARTIALLY_REFUNDED,
                               amount=order.total, captured_amount=captured or order.total,
                               refunded_amount=Decimal("5.00"), currency="BRL", idempotency_key=f"r{order.pk}")
    Payment.objects.filter(order__in=[rest, whole]).update(created_at=week_ago)
    ful.at_risk_scan()
    flagged = set(AtRiskFlag.objects.filter(reason=AtRiskFlag.Reason.AUTH_EXPIRING).values_list("order", flat=True))
    assert flagged == {rest.pk}


def test_stock_at_a_location_that_does_not_ship_does_not_make_the_whole_order_short(make_user, net, place_order,
                                                                                    stock):
    """A pick-up kiosk (it ships nothing) holds the only caps: the cap is short, the shirt is still sourced; its
    units were counted as coverable, no plan could use them, and every line, the shirt too, was reported short."""
    from orders.errors import StockUnavailable
    from tests.inventory.factories import LocationFactory, VariantFactory

    kiosk = LocationFactory(code="KIOSK", name="Kiosk", can_ship=False, can_pickup=True,
                            latitude=Decimal("-23.5600"), longitude=Decimal("-46.6900"))
    cap = VariantFactory(base_price=Decimal("30.00"))
    stock(cap, kiosk, 5)
    user = make_user("admin")
    with pytest.raises(StockUnavailable) as refused:
        place_order(user, [(net["shirt"], 1), (cap, 1)])
    assert [(s["sku"], s["available"]) for s in refused.value.shortages] == [(cap.sku, 0)]
    net["channel"].allow_oversell = True
    net["channel"].save(update_fields=["allow_oversell"])
    order = place_order(user, [(net["shirt"], 1), (cap, 1)])
    assert order.status == Order.Status.BACKORDERED
    shirt_line, cap_line = order.lines.order_by("position")
    assert (shirt_line.status, parts(shirt_line)) == (OrderLine.Status.RESERVED, [(net["store"].pk, 1)])
    assert cap_line.status == OrderLine.Status.BACKORDERED
    assert level(cap, kiosk) == (5, 0)


def test_a_refund_partly_to_the_payment_and_the_rest_as_store_credit_gives_back_the_returns_value_once(
        make_user, net, place_order):
    """When the order's payments held less than the return's value (part of it already refunded as a goodwill
    gesture), the refund to the original payment gave back what it could and asked for "the rest as store credit";
    the store credit then issued the return's whole value again, so the customer got the refunded part twice."""
    from payments.models import GiftCard
    from payments.services import payment_refund

    agent, manager = make_user("agent"), make_user("manager")
    order = place_order(agent, [(net["shirt"], 2), (net["mug"], 1)])
    ful.order_allocate(order_id=order.pk, acting_user=manager)
    ship_all(order, manager)
    payment = Payment.objects.get(order=order)
    assert payment.captured_amount == Decimal("265.00")
    payment_refund(payment_id=payment.pk, amount=Decimal("100.00"), reason="late delivery", acting_user=manager,
                   reference="goodwill:1")
    shirt = order.lines.get(variant=net["shirt"])
    rma = ful.return_request(order_id=order.pk, lines=[(shirt.pk, 2, "size")], acting_user=agent)
    ful.return_approve(return_id=rma.pk, acting_user=manager)
    ful.return_receive(return_id=rma.pk, location_id=net["dc"].pk, acting_user=manager)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "resell"}, acting_user=manager)
    with pytest.raises(InvalidReturn, match=r"Only R\$\xa0165\.00 was paid on this order; refund the rest as store"):
        ful.return_refund(return_id=rma.pk, acting_user=manager)
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("265.00")  # 100 goodwill + 165 of the return
    ful.return_refund(return_id=rma.pk, method="store_credit", acting_user=manager)
    rma.refresh_from_db()
    credit = GiftCard.objects.get(reference=f"return:{rma.pk}")
    assert credit.initial_amount == Decimal("35.00")  # 200 returned - 165 already back on the payment
    assert (rma.status, rma.refund_amount) == (Return.Status.REFUNDED, Decimal("200.00"))
    call_command("verify_ledgers")


def _packed(shipment):
    return {sl.order_line.variant.sku: sl.packed_quantity
            for sl in shipment.lines.select_related("order_line__variant")}


def test_a_unit_scanned_by_mistake_is_taken_back_before_the_parcel_ships(make_user, net, place_order):
    """A shirt counted into the box that went into another parcel: the packer takes the unit back; a packed parcel
    is packing again (it cannot ship short), the history and the audit trail say who took what back."""
    from oms.models import AuditEntry
    from orders.fulfilment.models import ShipmentEvent

    agent, picker = make_user("agent"), make_user("warehouse")
    order = place_order(agent, [(net["shirt"], 2), (net["mug"], 1)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=picker)
    for code in (net["shirt"].sku, net["mug"].sku, net["shirt"].sku):
        ful.shipment_scan(shipment_id=shipment.pk, code=code, acting_user=picker)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED
    shirt_line = shipment.lines.get(order_line__variant=net["shirt"])
    line = ful.shipment_unscan(shipment_id=shipment.pk, line_id=shirt_line.pk, acting_user=picker)
    assert (line.pk, line.packed_quantity) == (shirt_line.pk, 1)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PICKING
    assert _packed(shipment) == {net["shirt"].sku: 1, net["mug"].sku: 1}
    event = ShipmentEvent.objects.filter(shipment=shipment).latest("pk")
    assert (event.from_status, event.to_status, event.actor) == ("packed", "picking", picker)
    assert event.reason_text == f"1 × {net['shirt'].sku} taken back (1 of 2 packed)"
    entry = AuditEntry.objects.get(verb="shipment_unscan")
    assert (entry.actor, entry.object_id) == (picker, str(shipment.pk))
    assert entry.changes == {"sku": net["shirt"].sku, "packed_quantity": [2, 1]}
    with pytest.raises(InvalidShipmentTransition, match="pack it first"):
        ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR1", acting_user=picker)
    # Still picking: another unit back writes the history without a status change.
    ful.shipment_unscan(shipment_id=shipment.pk, line_id=shirt_line.pk, acting_user=picker)
    assert _packed(shipment) == {net["shirt"].sku: 0, net["mug"].sku: 1}
    event = ShipmentEvent.objects.filter(shipment=shipment).latest("pk")
    assert (event.from_status, event.to_status) == ("", "")
    assert event.reason_text == f"1 × {net['shirt'].sku} taken back (0 of 2 packed)"
    for _unit in range(2):
        ful.shipment_scan(shipment_id=shipment.pk, code=net["shirt"].barcode, acting_user=picker)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR1", acting_user=picker)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.SHIPPED
    assert AuditEntry.objects.filter(verb="shipment_unscan").count() == 2


def test_taking_a_scan_back_is_refused_when_nothing_is_packed_or_the_parcel_left(make_user, net, place_order):
    from oms.models import AuditEntry
    from orders.fulfilment.errors import FulfilmentError

    admin = make_user("admin")
    order = place_order(admin, [(net["mug"], 1), (net["shirt"], 1)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=admin)
    mug_line = shipment.lines.get(order_line__variant=net["mug"])
    shirt_line = shipment.lines.get(order_line__variant=net["shirt"])
    with pytest.raises(FulfilmentError, match=f"No unit of {net['mug'].sku} is packed in shipment {shipment}"):
        ful.shipment_unscan(shipment_id=shipment.pk, line_id=mug_line.pk, acting_user=admin)
    other = place_order(admin, [(net["mug"], 1)])
    [elsewhere] = ful.order_allocate(order_id=other.pk, acting_user=admin)
    ful.shipment_scan(shipment_id=elsewhere.pk, code=net["mug"].sku, acting_user=admin)
    with pytest.raises(FulfilmentError, match=f"That line is not in shipment {shipment}"):
        ful.shipment_unscan(shipment_id=shipment.pk, line_id=elsewhere.lines.get().pk, acting_user=admin)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=admin)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["shirt"].sku, acting_user=admin)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR9", acting_user=admin)
    with pytest.raises(InvalidShipmentTransition,
                       match=f"Shipment {shipment} is Shipped: its units can no longer be taken back"):
        ful.shipment_unscan(shipment_id=shipment.pk, line_id=shirt_line.pk, acting_user=admin)
    assert _packed(shipment) == {net["mug"].sku: 1, net["shirt"].sku: 1}
    assert elsewhere.lines.get().packed_quantity == 1
    assert not AuditEntry.objects.filter(verb="shipment_unscan").exists()


def test_taking_a_scan_back_on_a_cancelled_order_says_to_put_the_items_back(make_user, net, place_order):
    from orders.fulfilment.errors import FulfilmentError
    from orders.services import order_cancel

    admin = make_user("admin")
    order = place_order(admin, [(net["mug"], 2)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=admin)
    ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=admin)
    order_cancel(order_id=order.pk, reason="customer called", acting_user=admin)
    with pytest.raises(FulfilmentError, match="was cancelled: put the items back"):
        ful.shipment_unscan(shipment_id=shipment.pk, line_id=shipment.lines.get().pk, acting_user=admin)


def test_store_credit_for_a_return_gives_back_no_more_than_the_order_received(make_user, net, place_order):
    """An order shipped with its cash-on-delivery payment still pending (nothing received), returned: the return
    was closed with a store credit of the full value, for money nobody had paid. The store credit of an order's
    returns comes out of what its payments received and its returns did not give back yet."""
    from orders.fulfilment.errors import InvalidReturn
    from payments.models import GiftCard
    from payments.services import payment_confirm

    user = make_user("admin")
    order = place_order(user, [(net["mug"], 2)], payment="cod")
    ful.order_allocate(order_id=order.pk, acting_user=user)
    ship_all(order, user)
    payment = Payment.objects.get(order=order)
    assert payment.status == "pending"
    line = order.lines.get()
    rma = ful.return_request(order_id=order.pk, lines=[(line.pk, 1, "damaged")], acting_user=user)
    ful.return_approve(return_id=rma.pk, acting_user=user)
    ful.return_receive(return_id=rma.pk, location_id=net["store"].pk, acting_user=user)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "damaged"}, acting_user=user)
    with translation.override("en"), pytest.raises(InvalidReturn) as refused:
        ful.return_refund(return_id=rma.pk, method="store_credit", acting_user=user)
    assert refused.value.message.startswith(
        f"Order {order.number} received R$\xa00.00 on its payments and its returns already gave back R$\xa00.00")
    assert not GiftCard.objects.exists()
    rma.refresh_from_db()
    assert rma.status == "written_off"
    # Once the cash arrives, the credit is given: within what was received.
    payment_confirm(payment_id=payment.pk, acting_user=user)
    ful.return_refund(return_id=rma.pk, method="store_credit", acting_user=user)
    rma.refresh_from_db()
    assert (rma.status, rma.refund_amount) == ("refunded", Decimal("50.00"))
    assert GiftCard.objects.get().initial_amount == Decimal("50.00")


def test_a_return_of_a_split_payment_goes_back_to_the_pix_before_the_gift_card(make_user, net, place_order):
    """Paid R$ 30 by gift card and the rest by PIX: a returned mug's R$ 50 went back onto the gift card first, where
    an edit's refund and a gift card's refund give back the other money first and gift cards last."""
    import uuid

    from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place
    from payments.services import payment_confirm
    from tests.payments.factories import issue_card

    user = make_user("admin")
    _card, code = issue_card("30.00")
    order = draft_create(channel_id=net["channel"].pk, acting_user=user, customer_id=net["customer"].pk)
    draft_line_add(order_id=order.pk, variant_id=net["mug"].pk, quantity=2, acting_user=user)
    draft_update(order_id=order.pk, acting_user=user, payment_method="gift_card", shipping_service=net["service"])
    order = order_place(order_id=order.pk, idempotency_key=uuid.uuid4().hex, acting_user=user,
                        payment=PaymentRequest(method="gift_card", details={"code": code},
                                               remainder=PaymentRequest(method="pix")))
    gift, pix = Payment.objects.filter(order=order).order_by("pk")
    assert (gift.method, gift.amount, pix.method) == ("gift_card", Decimal("30.00"), "pix")
    payment_confirm(payment_id=pix.pk, acting_user=user)
    ful.order_allocate(order_id=order.pk, acting_user=user)
    ship_all(order, user)
    line = order.lines.get()
    rma = ful.return_request(order_id=order.pk, lines=[(line.pk, 1, "size")], acting_user=user)
    ful.return_approve(return_id=rma.pk, acting_user=user)
    ful.return_receive(return_id=rma.pk, location_id=net["store"].pk, acting_user=user)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "resell"}, acting_user=user)
    ful.return_refund(return_id=rma.pk, acting_user=user)
    gift.refresh_from_db()
    pix.refresh_from_db()
    assert (pix.refunded_amount, gift.refunded_amount) == (Decimal("50.00"), Decimal("0"))
    call_command("verify_ledgers")

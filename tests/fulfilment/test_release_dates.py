"""The release plans each shipment's hand-over and arrival: from the sourcing decisions that placed its parts (not
only the latest), a pick-up ready once every transfer arrived, and never earlier than the location can make it from
the release (an order released again after a partial cancellation is not planned on days already gone)."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from orders.fulfilment import services as ful
from orders.fulfilment.calendar import add_working_days, arrival_date
from orders.fulfilment.models import AtRiskFlag, Shipment, SourcingDecision
from orders.models import Order
from orders.services import order_cancel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _planned(decision, location_id):
    entry = next(s for s in decision.plan["shipments"] if s["location_id"] == location_id)
    return date.fromisoformat(entry["ships_on"]), date.fromisoformat(entry["arrives_on"])


def test_after_a_backorder_retry_every_shipment_gets_the_plan_of_the_decision_that_placed_it(
        make_user, net, place_order, stock):
    """A mug the store has and 30 shirts nobody has: the mug is sourced at the store, the shirts wait. When they
    arrive at the DC the retry sources them there (a decision of the shirts only); the release plans the store's
    parcel by the first decision, not as a parcel with no hand-over day and the promise as its arrival."""
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1), (net["shirt"], 30)], accept_backorder=True)
    assert order.status == Order.Status.BACKORDERED
    first = order.sourcing_decisions.first()
    stock(net["shirt"], net["dc"], 30)
    assert ful.backorders_retry() == 1
    latest = order.sourcing_decisions.first()
    assert latest.pk != first.pk and latest.shortages == {} and "DC Cajamar" in latest.reason_text
    # The retry decided the shirts only; its plan keeps the mug's part at the store as the first decision planned
    # it, so the latest decision is the order's whole plan (what a holiday moves and the at-risk scan reads).
    assert {s["location_id"] for s in latest.plan["shipments"]} == {net["dc"].pk, net["store"].pk}
    assert _planned(latest, net["store"].pk) == _planned(first, net["store"].pk)
    assert latest.plan["arrives_on"] == max(s["arrives_on"] for s in latest.plan["shipments"])

    shipments = {s.location_id: s for s in ful.order_allocate(order_id=order.pk, acting_user=user)}

    store, dc = shipments[net["store"].pk], shipments[net["dc"].pk]
    assert (store.ships_on, store.arrives_on) == _planned(first, net["store"].pk)
    assert (dc.ships_on, dc.arrives_on) == _planned(latest, net["dc"].pk)
    store.refresh_from_db()
    assert store.ships_on is not None


def test_after_a_backorder_retry_a_closure_moves_the_parts_sourced_before_it_until_the_release(
        make_user, net, place_order, stock):
    """The mug's part, sourced at the store by the first decision, was hidden by the retry's decision of the shirts
    only: a closure of the store saved before the release did not move it, and the release copied the old day."""
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1), (net["shirt"], 30)], accept_backorder=True)
    stock(net["shirt"], net["dc"], 30)
    assert ful.backorders_retry() == 1
    store_hands_over, _arrives = _planned(order.sourcing_decisions.first(), net["store"].pk)

    change = ful.holiday_save(day=store_hands_over, name="Inventário", location_id=net["store"].pk,
                              acting_user=user)

    assert change.unreleased == 1
    moved_hand_over, _arrives = _planned(order.sourcing_decisions.first(), net["store"].pk)
    assert moved_hand_over > store_hands_over
    shipments = {s.location_id: s for s in ful.order_allocate(order_id=order.pk, acting_user=user)}
    assert shipments[net["store"].pk].ships_on == moved_hand_over


def test_a_pickup_with_part_at_the_store_and_part_coming_is_ready_when_the_transfer_arrives(
        make_user, net, place_order, role_client):
    """A mug the store has, five shirts the DC sends (the store has only three). The customer collects once:
    the decision's store part, the shipment and the promise all say the day the transfer arrives."""
    user = make_user("admin")
    order = place_order(user, [(net["shirt"], 5), (net["mug"], 1)], delivery_method="pickup",
                        pickup_location_id=net["store"].pk)
    order.refresh_from_db()
    decision = order.sourcing_decisions.first()
    leg = next(s for s in decision.plan["shipments"] if s["transfer_to"])
    arrives = date.fromisoformat(leg["arrives_on"])
    assert arrives > date.fromisoformat(leg["ships_on"]) and order.promised_date == arrives
    assert _planned(decision, net["store"].pk) == (arrives, arrives)  # ready once everything is there

    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)

    assert (shipment.kind, shipment.status) == (Shipment.Kind.PICKUP, Shipment.Status.WAITING)
    assert (shipment.ships_on, shipment.arrives_on) == (arrives, arrives)
    # The day the DC hands the transfer over, the store is not late: it waits for it.
    ful.at_risk_scan(now=timezone.make_aware(datetime.combine(date.fromisoformat(leg["ships_on"]), time(12))))
    assert not AtRiskFlag.objects.filter(order=order, cleared_at__isnull=True).exists()
    panel = role_client("agent").get(reverse("orders:fulfilment_order_panel", args=[order.pk])).content.decode()
    assert f"Ready for pick-up {arrives:%m/%d/%Y}" in panel


def test_a_pickup_all_coming_by_transfer_is_ready_the_day_it_arrives_not_on_the_promise(
        make_user, net, place_order):
    """Five shirts collected at the store, all sent by the DC, the promise later than the plan (the customer was
    told a later day): the shipment is planned ready on the transfer's arrival, not on the promised day."""
    user = make_user("admin")
    order = place_order(user, [(net["shirt"], 5)], delivery_method="pickup", pickup_location_id=net["store"].pk)
    leg = order.sourcing_decisions.first().plan["shipments"][0]
    arrives = date.fromisoformat(leg["arrives_on"])
    Order.objects.filter(pk=order.pk).update(promised_date=arrives + timedelta(days=7))

    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)

    assert (shipment.ships_on, shipment.arrives_on) == (arrives, arrives)


def test_an_order_released_again_after_a_partial_cancellation_is_planned_from_the_release(
        make_user, net, place_order, role_client):
    """Sourced and released a week ago (its decision planned last week), a line is cancelled today: the order is
    released again, and its parcel is planned from today (the store hands over today or its next working day,
    with the service's transit days), not on last week's days, which the at-risk scan would call late at once."""
    user = make_user("admin")
    order = place_order(user, [(net["shirt"], 1), (net["mug"], 1)])
    decision = order.sourcing_decisions.first()
    today = timezone.localdate()
    ships_on, arrives_on = _planned(decision, net["store"].pk)
    transit = (order.shipping_options and next(o["transit_days"] for o in order.shipping_options
                                               if o["code"] == net["service"]))
    week_ago = {**decision.plan, "arrives_on": (arrives_on - timedelta(days=7)).isoformat(), "shipments": [
        {**s, "ships_on": (ships_on - timedelta(days=7)).isoformat(),
         "arrives_on": (arrives_on - timedelta(days=7)).isoformat()} for s in decision.plan["shipments"]]}
    [first] = ful.order_allocate(order_id=order.pk, acting_user=user)
    SourcingDecision.objects.filter(pk=decision.pk).update(plan=week_ago)  # as if all this happened a week ago
    Shipment.objects.filter(pk=first.pk).update(ships_on=ships_on - timedelta(days=7),
                                                arrives_on=arrives_on - timedelta(days=7))
    mug = order.lines.get(variant=net["mug"])
    order_cancel(order_id=order.pk, reason="customer changed mind", line_ids=[mug.pk], acting_user=user)

    [second] = ful.order_allocate(order_id=order.pk, acting_user=user)

    hands_over = add_working_days(today, 0)  # the store: no handling days, cut-off at 23:59
    assert second.ships_on == hands_over
    assert second.arrives_on == arrival_date(shipped_on=hands_over, transit_days=transit)
    ful.at_risk_scan()
    assert not AtRiskFlag.objects.filter(order=order, reason=AtRiskFlag.Reason.NOT_PICKED,
                                         cleared_at__isnull=True).exists()
    panel = role_client("agent").get(reverse("orders:fulfilment_order_panel", args=[order.pk])).content.decode()
    assert (f"hands over on {second.ships_on:%m/%d/%Y}, arrives on {second.arrives_on:%m/%d/%Y}" in panel
            and f"{ships_on - timedelta(days=7):%m/%d/%Y}, arrives" in panel)  # the cancelled one keeps its plan


def test_a_first_available_order_is_planned_by_its_location_from_the_release(make_user, net, place_order):
    """A channel on first_available records no sourcing decision, and its shipments were released with no
    hand-over day at all: the warehouse's queue and the at-risk scan had nothing to go by. The release now plans
    the parcel by its location's cut-off and handling days from the release, to arrive by the promise."""
    net["channel"].sourcing_strategy = "first_available"
    net["channel"].save(update_fields=["sourcing_strategy"])
    user = make_user("admin")
    order = place_order(user, [(net["shirt"], 1)])
    assert not order.sourcing_decisions.exists()

    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)

    assert shipment.ships_on == add_working_days(timezone.localdate(), shipment.location.handling_days)
    assert shipment.arrives_on == order.promised_date
    ful.at_risk_scan()
    assert not AtRiskFlag.objects.filter(order=order, cleared_at__isnull=True).exists()


def test_the_alternatives_considered_are_dated_as_the_reader_writes_dates(make_user, net, place_order, role_client):
    """"CD Cajamar: R$ 20,02, 382,0 km, 2026-11-30" on a Brazilian order page: the money and the distance followed the
    language, the arrival of each alternative was printed as stored (ISO)."""
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    decision = order.sourcing_decisions.first()
    SourcingDecision.objects.filter(pk=decision.pk).update(alternatives=[decision.plan])
    arrives = date.fromisoformat(decision.plan["arrives_on"])
    client = role_client("agent")
    with translation.override("pt-br"):
        panel = client.get(reverse("orders:fulfilment_order_panel", args=[order.pk]),
                           HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "Alternativas consideradas (1)" in panel
    assert f"km, {arrives:%d/%m/%Y}</li>" in panel
    assert arrives.isoformat() not in panel

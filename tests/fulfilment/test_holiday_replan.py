"""A holiday saved or removed after shipments were planned plans the open ones again: the same working days
counted through the new calendar, a history row on each shipment and order, the customer's promise kept and the
order flagged at risk when its plan now passes the promise. Shipped and cancelled shipments keep their dates."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from oms.models import AuditEntry, OutboxMessage
from orders.fulfilment import services as ful
from orders.fulfilment.calendar import add_working_days, replanned, working_days_to
from orders.fulfilment.models import AtRiskFlag, Holiday, Shipment, ShipmentEvent, SourcingDecision
from orders.models import Order, OrderEvent
from orders.services import order_cancel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _monday(weeks: int = 3) -> date:
    """A Monday a few weeks ahead, whatever today is: every planned date of these tests is in the future."""
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday(), weeks=weeks)


MON = _monday()
TUE, WED, THU, FRI = (MON + timedelta(days=n) for n in range(1, 5))
NEXT_MON, NEXT_TUE = MON + timedelta(days=7), MON + timedelta(days=8)


def test_working_days_to_reads_back_the_count_a_plan_made():
    closed = frozenset({WED})
    for days in range(8):
        assert working_days_to(MON, add_working_days(MON, days, closed), closed) == days
    assert working_days_to(MON, WED, closed) == 2  # a closed end counts as the first working day after it
    assert working_days_to(MON - timedelta(days=2), MON, frozenset()) == 0  # a Saturday start counts from Monday


def test_replanned_counts_the_same_working_days_through_the_new_calendar():
    # Hands over Tuesday, two transit days (arrives Thursday); a national holiday on Wednesday.
    assert replanned(ships_on=TUE, arrives_on=THU, since=WED, closed_was=frozenset(), closed={WED},
                     national=frozenset({WED})) == (TUE, FRI)
    # The location closes on Tuesday: one working day later, the same two transit days.
    assert replanned(ships_on=TUE, arrives_on=THU, since=TUE, closed_was=frozenset(), closed={TUE}) == (WED, FRI)
    # Removed again: back to what was planned.
    assert replanned(ships_on=WED, arrives_on=FRI, since=TUE, closed_was={TUE}, closed=frozenset()) == (TUE, THU)
    # A plan across Friday: handed over Monday, arriving Tuesday; Friday closes before the hand-over.
    assert replanned(ships_on=NEXT_MON, arrives_on=NEXT_TUE, since=FRI, closed_was=frozenset(), closed={FRI},
                     national_was=frozenset(), national=frozenset({FRI})) == (NEXT_TUE, NEXT_TUE + timedelta(days=1))
    # A store pick-up ready Wednesday: ready and collected the same day, both move.
    assert replanned(ships_on=WED, arrives_on=WED, since=WED, closed_was=frozenset(), closed={WED}) == (THU, THU)
    # Planned before the changed day: the hand-over stays; only a national day moves the arrival.
    assert replanned(ships_on=MON, arrives_on=WED, since=TUE, closed_was=frozenset(), closed={TUE}) == (MON, WED)


def _allocated(user, place_order, variant, *, ships_on, arrives_on, promised, quantity=1):
    """A placed and allocated order with its one shipment planned as given and ``promised`` to the customer."""
    order = place_order(user, [(variant, quantity)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    Shipment.objects.filter(pk=shipment.pk).update(ships_on=ships_on, arrives_on=arrives_on)
    Order.objects.filter(pk=order.pk).update(promised_date=promised)
    return order, shipment


def _dates(shipment):
    shipment.refresh_from_db()
    return shipment.ships_on, shipment.arrives_on


def test_a_holiday_added_later_plans_the_open_shipments_again(make_user, net, place_order):
    """Three orders ship from the store on Tuesday and arrive Thursday, promised for Thursday. One is shipped, one
    cancelled, one still open; another leaves the DC on Friday. Wednesday becomes a national holiday: the open
    store parcel arrives on Friday (transit skips Wednesday), its order keeps its promise and is flagged at risk.
    The DC's parcel, released before and planned to leave on Friday, counted Wednesday among its handling days:
    it leaves on Monday and arrives a day later, still within its promise. Removing the holiday undoes it all."""
    user = make_user("admin")
    manager = make_user("manager", email="boss@example.com")
    late, open_ship = _allocated(user, place_order, net["mug"], ships_on=TUE, arrives_on=THU, promised=THU)
    shipped_order, shipped = _allocated(user, place_order, net["mug"], ships_on=TUE, arrives_on=THU, promised=THU)
    _cancelled_order, cancelled = _allocated(user, place_order, net["shirt"], ships_on=TUE, arrives_on=THU,
                                             promised=THU)
    for unit in shipped.lines.select_related("order_line"):
        ful.shipment_scan(shipment_id=shipped.pk, code=unit.order_line.sku, acting_user=user)
    ful.shipment_ship(shipment_id=shipped.pk, carrier="Correios", tracking_number="BR1X", cost=Decimal("12.50"),
                      acting_user=user)
    order_cancel(order_id=_cancelled_order.pk, reason="customer asked", acting_user=user)
    on_time, dc_parcel = _allocated(user, place_order, net["shirt"], ships_on=FRI, arrives_on=NEXT_TUE,
                                    promised=NEXT_TUE + timedelta(days=2), quantity=5)  # only the DC has five
    assert dc_parcel.location_id == net["dc"].pk
    OutboxMessage.objects.all().delete()

    change = ful.holiday_save(day=WED, name="Feriado", location_id=None, acting_user=user)

    assert (change.shipments, change.orders, change.late_orders) == (2, 2, 1)
    assert _dates(open_ship) == (TUE, FRI)
    assert _dates(dc_parcel) == (NEXT_MON, NEXT_TUE + timedelta(days=1))
    assert _dates(shipped) == (TUE, THU) and shipped.status == Shipment.Status.SHIPPED
    assert _dates(cancelled) == (TUE, THU) and cancelled.status == Shipment.Status.CANCELLED
    late.refresh_from_db()
    assert late.promised_date == THU  # the promise the customer was given stays
    flag = AtRiskFlag.objects.get(order=late, cleared_at__isnull=True)
    assert flag.reason == AtRiskFlag.Reason.PLAN_LATE
    assert flag.detail_text == f"{open_ship} planned to arrive {FRI:%m/%d/%Y}, after the promised {THU:%m/%d/%Y}"
    assert not AtRiskFlag.objects.filter(order__in=[on_time, shipped_order]).exists()
    alert = OutboxMessage.objects.get(topic="oms.email", payload__subject__icontains="at risk")
    assert manager.email in alert.payload["to"]
    event = ShipmentEvent.objects.filter(shipment=open_ship).last()
    assert event.actor == user and event.data["arrives_on"] == [THU.isoformat(), FRI.isoformat()]
    assert event.reason_text.startswith("Planned again for the holiday Feriado on ")
    assert event.reason_text.endswith(f"hands over on {TUE:%m/%d/%Y}, arrives on {FRI:%m/%d/%Y}")
    note = OrderEvent.objects.get(order=late, kind=OrderEvent.Kind.DATES)
    assert f"{open_ship} hands over on" in note.reason_text
    assert not ShipmentEvent.objects.filter(shipment__in=[shipped, cancelled], reason__startswith="Planned again")
    audit = AuditEntry.objects.get(verb="holiday_save")
    assert audit.changes["shipments_replanned"] == 2 and audit.changes["orders_late"] == 1
    assert ful.at_risk_scan()["cleared"] == 0  # the beat job sees the same late plan

    removed = ful.holiday_delete(holiday_id=change.holiday.pk, acting_user=user)

    assert (removed.shipments, removed.orders, removed.late_orders) == (2, 2, 0)
    assert _dates(open_ship) == (TUE, THU) and _dates(dc_parcel) == (FRI, NEXT_TUE)
    flag.refresh_from_db()
    assert flag.cleared_at is not None
    assert AuditEntry.objects.get(verb="holiday_delete").changes["shipments_replanned"] == 2


def test_a_locations_closure_moves_only_that_locations_hand_over(make_user, net, place_order):
    user = make_user("admin")
    _order, store_parcel = _allocated(user, place_order, net["mug"], ships_on=TUE, arrives_on=THU, promised=FRI)
    dc_order = place_order(user, [(net["shirt"], 5)])  # only the DC has five
    [dc_parcel] = ful.order_allocate(order_id=dc_order.pk, acting_user=user)
    Shipment.objects.filter(pk=dc_parcel.pk).update(ships_on=TUE, arrives_on=THU)

    change = ful.holiday_save(day=TUE, name="Aniversário da loja", location_id=net["store"].pk, acting_user=user)

    assert (change.shipments, change.late_orders) == (1, 0)
    assert _dates(store_parcel) == (WED, FRI)
    assert _dates(dc_parcel) == (TUE, THU)
    # Moving the closure to Friday: the store's Tuesday is open again; nothing of it is planned on Friday or later.
    moved = ful.holiday_save(holiday_id=change.holiday.pk, day=FRI, name="Aniversário da loja",
                             location_id=net["store"].pk, acting_user=user)
    assert moved.shipments == 1 and _dates(store_parcel) == (TUE, THU)


def test_a_holiday_on_a_past_day_moves_nothing(make_user, net, place_order):
    user = make_user("admin")
    yesterday = timezone.localdate() - timedelta(days=1)
    _order, late_parcel = _allocated(user, place_order, net["mug"], ships_on=yesterday,
                                     arrives_on=yesterday + timedelta(days=10), promised=None)
    change = ful.holiday_save(day=yesterday, name="Ontem", location_id=None, acting_user=user)
    assert (change.shipments, change.orders) == (0, 0)
    assert _dates(late_parcel) == (yesterday, yesterday + timedelta(days=10))


def test_planning_again_costs_the_same_queries_for_many_shipments(make_user, net, place_order,
                                                                  django_assert_num_queries):
    """One read, one update and one insert per history table, whatever the number of shipments."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = make_user("admin")
    order, shipment = _allocated(user, place_order, net["mug"], ships_on=TUE, arrives_on=THU, promised=None)
    with CaptureQueriesContext(connection) as one_shipment:
        assert ful.holiday_save(day=WED, name="Feriado", location_id=None, acting_user=user).shipments == 1
    Shipment.objects.bulk_create([Shipment(order=order, location_id=shipment.location_id, ships_on=TUE + timedelta(
        weeks=1), arrives_on=THU + timedelta(weeks=1)) for _n in range(60)])
    with django_assert_num_queries(len(one_shipment.captured_queries)):
        many = ful.holiday_save(day=WED + timedelta(weeks=1), name="Feriado", location_id=None, acting_user=user)
    assert (many.shipments, many.orders) == (60, 1)  # the first one is planned before that day


def test_the_holidays_page_says_how_many_shipments_were_planned_again(role_client, make_user, net, place_order):
    _order, parcel = _allocated(make_user("agent"), place_order, net["mug"], ships_on=TUE, arrives_on=THU,
                                promised=THU)
    client = role_client("admin")
    page = client.post(reverse("orders:fulfilment_holidays"), {"date": WED.isoformat(), "name": "Feriado"},
                       follow=True).content.decode()
    assert "Holiday saved. 1 open shipment (1 order) planned again: new hand-over and arrival dates." in page
    assert ("1 order is now planned to arrive after the date promised to the customer: it is flagged at risk."
            in page)
    holiday = Holiday.objects.get()
    page = client.post(reverse("orders:fulfilment_holiday_delete", args=[holiday.pk]), follow=True).content.decode()
    assert "Holiday removed. 1 open shipment (1 order) planned again" in page
    assert _dates(parcel) == (TUE, THU)
    far = (MON + timedelta(weeks=8)).isoformat()
    page = client.post(reverse("orders:fulfilment_holidays"), {"date": far, "name": "Longe"},
                       follow=True).content.decode()
    assert "Holiday saved. No open shipment or order waiting for release had to be planned again." in page


def test_the_at_risk_scan_flags_a_plan_that_passes_the_promise_until_it_ships(make_user, net, place_order):
    user = make_user("admin")
    order, parcel = _allocated(user, place_order, net["mug"], ships_on=TUE, arrives_on=FRI, promised=THU)
    assert ful.at_risk_scan()["raised"] == 1
    flag = AtRiskFlag.objects.get(order=order, cleared_at__isnull=True)
    assert flag.reason == AtRiskFlag.Reason.PLAN_LATE
    for unit in parcel.lines.select_related("order_line"):
        ful.shipment_scan(shipment_id=parcel.pk, code=unit.order_line.sku, acting_user=user)
    ful.shipment_ship(shipment_id=parcel.pk, carrier="Correios", tracking_number="BR2X", cost=Decimal("12.50"),
                      acting_user=user)
    ful.at_risk_scan()
    flag.refresh_from_db()
    assert flag.cleared_at is not None  # on the road: the carrier's lateness is the shipment-late flag's


# --- orders sourced but not yet released: the plan of their sourcing decision ---------------------------------


def _plan_dates(decision):
    decision.refresh_from_db()
    return [(s["location_id"], date.fromisoformat(s["ships_on"]), date.fromisoformat(s["arrives_on"]))
            for s in decision.plan["shipments"]]


def _sourced(user, place_order, lines, *, ships_on, arrives_on, promised, hold=True, accept_backorder=False):
    """A placed order not yet released (on hold unless ``hold`` is False) whose sourcing plan hands over on
    ``ships_on`` and arrives on ``arrives_on`` from each of its locations, ``promised`` to the customer
    (``accept_backorder``: lines without stock wait for it)."""
    from orders.services import order_transition

    order = place_order(user, lines, accept_backorder=accept_backorder)
    if hold:
        order_transition(order_id=order.pk, to_status=Order.Status.ON_HOLD, acting_user=user, reason="Check address")
    decision = order.sourcing_decisions.first()
    plan = decision.plan
    assert plan["shipments"], "sourced"
    for planned in plan["shipments"]:
        planned["ships_on"], planned["arrives_on"] = ships_on.isoformat(), arrives_on.isoformat()
    plan["arrives_on"] = arrives_on.isoformat()
    SourcingDecision.objects.filter(pk=decision.pk).update(plan=plan)
    Order.objects.filter(pk=order.pk).update(promised_date=promised)
    return Order.objects.get(pk=order.pk), decision


def test_a_holiday_on_the_planned_hand_over_day_of_an_order_on_hold_moves_the_plan_it_is_released_with(
        make_user, net, place_order):
    """An order on hold was sourced at the store: its decision plans the hand-over for Tuesday and the arrival for
    Thursday, the day promised. The store closes on Tuesday: the plan hands over on Wednesday and arrives on
    Friday, the order is flagged at risk and keeps its promise. Removing the closure moves the plan back and
    clears the flag; closed again and then released, the shipment leaves with the new dates."""
    from orders.services import order_transition

    user = make_user("admin")
    store = net["store"].pk
    order, decision = _sourced(user, place_order, [(net["mug"], 1)], ships_on=TUE, arrives_on=THU, promised=THU)
    assert order.status == Order.Status.ON_HOLD and _plan_dates(decision) == [(store, TUE, THU)]
    OutboxMessage.objects.all().delete()

    change = ful.holiday_save(day=TUE, name="Aniversário da loja", location_id=store, acting_user=user)

    assert (change.shipments, change.orders, change.unreleased, change.late_orders) == (0, 0, 1, 1)
    assert _plan_dates(decision) == [(store, WED, FRI)] and decision.plan["arrives_on"] == FRI.isoformat()
    order.refresh_from_db()
    assert order.promised_date == THU  # the promise the customer was given stays
    flag = AtRiskFlag.objects.get(order=order, cleared_at__isnull=True)
    assert flag.reason == AtRiskFlag.Reason.PLAN_LATE
    assert flag.detail_text == (f"Not yet released, planned to arrive {FRI:%m/%d/%Y}, after the promised "
                                f"{THU:%m/%d/%Y}")
    assert OutboxMessage.objects.filter(topic="oms.email", payload__subject__icontains="at risk").exists()
    note = OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.DATES)
    assert note.actor == user
    assert note.reason_text == (f"Planned again for the holiday Aniversário da loja on {TUE:%m/%d/%Y}: plan for the "
                                f"release: Store Pinheiros hands over on {WED:%m/%d/%Y}, arrives on {FRI:%m/%d/%Y}")
    assert note.data["plan"] == [{"location_id": store, "ships_on": [TUE.isoformat(), WED.isoformat()],
                                  "arrives_on": [THU.isoformat(), FRI.isoformat()]}]
    audit = AuditEntry.objects.get(verb="holiday_save")
    assert (audit.changes["unreleased_replanned"], audit.changes["orders_late"]) == (1, 1)
    assert ful.at_risk_scan()["cleared"] == 0  # the beat job sees the same late plan

    removed = ful.holiday_delete(holiday_id=change.holiday.pk, acting_user=user)

    assert (removed.unreleased, removed.late_orders) == (1, 0)
    assert _plan_dates(decision) == [(store, TUE, THU)]
    flag.refresh_from_db()
    assert flag.cleared_at is not None
    assert AuditEntry.objects.get(verb="holiday_delete").changes["unreleased_replanned"] == 1

    ful.holiday_save(day=TUE, name="Aniversário da loja", location_id=store, acting_user=user)
    order_transition(order_id=order.pk, to_status=Order.Status.CONFIRMED, acting_user=user, reason="Address checked")
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    assert (shipment.ships_on, shipment.arrives_on) == (WED, FRI)
    ful.at_risk_scan()
    assert AtRiskFlag.objects.get(order=order, cleared_at__isnull=True).reason == AtRiskFlag.Reason.PLAN_LATE


def test_every_order_waiting_for_release_moves_and_released_or_cancelled_ones_by_their_shipments_only(
        make_user, net, place_order):
    """A national holiday on Wednesday: the plans of an order waiting for the release job and of one waiting for
    stock of another line move (transit skips Wednesday); an allocated order moves by its open shipment (its
    decision is no longer what anything reads) and a cancelled one not at all."""
    user = make_user("admin")
    confirmed, confirmed_plan = _sourced(user, place_order, [(net["mug"], 1)], ships_on=TUE, arrives_on=THU,
                                         promised=FRI, hold=False)
    waiting, waiting_plan = _sourced(user, place_order, [(net["shirt"], 1), (net["mug"], 40)], ships_on=TUE,
                                     arrives_on=THU, promised=FRI, hold=False, accept_backorder=True)
    released, released_plan = _sourced(user, place_order, [(net["mug"], 1)], ships_on=TUE, arrives_on=THU,
                                       promised=FRI, hold=False)
    [parcel] = ful.order_allocate(order_id=released.pk, acting_user=user)
    cancelled, cancelled_plan = _sourced(user, place_order, [(net["mug"], 1)], ships_on=TUE, arrives_on=THU,
                                         promised=FRI, hold=False)
    order_cancel(order_id=cancelled.pk, reason="customer asked", acting_user=user)
    assert (confirmed.status, waiting.status) == (Order.Status.CONFIRMED, Order.Status.BACKORDERED)

    change = ful.holiday_save(day=WED, name="Feriado", location_id=None, acting_user=user)

    assert (change.shipments, change.orders, change.unreleased, change.late_orders) == (1, 1, 2, 0)
    store = net["store"].pk
    assert _plan_dates(confirmed_plan) == _plan_dates(waiting_plan) == [(store, TUE, FRI)]
    assert _dates(parcel) == (TUE, FRI)
    assert _plan_dates(released_plan) == _plan_dates(cancelled_plan) == [(store, TUE, THU)]
    assert not OrderEvent.objects.filter(order=cancelled, kind=OrderEvent.Kind.DATES).exists()
    [note] = OrderEvent.objects.filter(order=released, kind=OrderEvent.Kind.DATES)
    assert "plan for the release" not in note.reason_text and f"{parcel} hands over on" in note.reason_text


def test_a_holiday_on_a_past_day_moves_no_plan_of_an_order_on_hold(make_user, net, place_order):
    user = make_user("admin")
    yesterday = timezone.localdate() - timedelta(days=1)
    _order, decision = _sourced(user, place_order, [(net["mug"], 1)], ships_on=yesterday,
                                arrives_on=yesterday + timedelta(days=10), promised=None)
    change = ful.holiday_save(day=yesterday, name="Ontem", location_id=None, acting_user=user)
    assert (change.unreleased, change.orders) == (0, 0)
    assert _plan_dates(decision) == [(net["store"].pk, yesterday, yesterday + timedelta(days=10))]


def test_the_at_risk_scan_flags_an_order_not_yet_released_whose_plan_passes_the_promise(make_user, net, place_order):
    user = make_user("admin")
    order, decision = _sourced(user, place_order, [(net["mug"], 1)], ships_on=TUE, arrives_on=FRI, promised=THU)
    assert ful.at_risk_scan()["raised"] >= 1
    flag = AtRiskFlag.objects.get(order=order, reason=AtRiskFlag.Reason.PLAN_LATE, cleared_at__isnull=True)
    assert flag.detail_params == {"day": {"date": FRI.isoformat(), "format": "SHORT_DATE_FORMAT"},
                                  "promised": {"date": THU.isoformat(), "format": "SHORT_DATE_FORMAT"}}
    Order.objects.filter(pk=order.pk).update(promised_date=FRI)  # e.g. the customer agreed to wait
    ful.at_risk_scan()
    flag.refresh_from_db()
    assert flag.cleared_at is not None


def test_planning_again_costs_the_same_queries_for_many_orders_not_yet_released(make_user, net, place_order,
                                                                               django_assert_num_queries):
    """One locked read, one update and one insert of order history rows, whatever the number of orders."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = make_user("admin")
    order, decision = _sourced(user, place_order, [(net["mug"], 1)], ships_on=TUE, arrives_on=THU, promised=THU)
    with CaptureQueriesContext(connection) as one_order:
        assert ful.holiday_save(day=WED, name="Feriado", location_id=None, acting_user=user).unreleased == 1
    decision.refresh_from_db()
    later = {**decision.plan, "arrives_on": (THU + timedelta(weeks=1)).isoformat(), "shipments": [
        {**s, "ships_on": (TUE + timedelta(weeks=1)).isoformat(), "arrives_on": (THU + timedelta(weeks=1)).isoformat()}
        for s in decision.plan["shipments"]]}
    held = Order.objects.bulk_create([Order(channel=order.channel, customer=order.customer, status=Order.Status.ON_HOLD,
                                            number=f"HOLD-{n}", promised_date=THU) for n in range(40)])
    SourcingDecision.objects.bulk_create([SourcingDecision(order=o, strategy=decision.strategy, plan=later)
                                          for o in held])
    with django_assert_num_queries(len(one_order.captured_queries)):
        many = ful.holiday_save(day=WED + timedelta(weeks=1), name="Feriado", location_id=None, acting_user=user)
    assert (many.unreleased, many.late_orders) == (40, 40)  # the first one is planned before that day
    assert OrderEvent.objects.filter(order__in=held, kind=OrderEvent.Kind.DATES).count() == 40


def test_the_holidays_page_says_how_many_orders_not_yet_released_were_planned_again(role_client, make_user, net,
                                                                                     place_order):
    """The page says what moved; the order's page shows the arrival its plan has now, next to the sentence of the
    sourcing decision (which keeps what was decided)."""
    order, _decision = _sourced(make_user("agent"), place_order, [(net["mug"], 1)], ships_on=TUE, arrives_on=THU,
                                promised=FRI)
    client = role_client("admin")
    panel = reverse("orders:fulfilment_order_panel", args=[order.pk])
    assert f"Not yet released to the warehouse: planned to arrive on {THU:%m/%d/%Y}." in client.get(
        panel).content.decode()
    page = client.post(reverse("orders:fulfilment_holidays"), {"date": WED.isoformat(), "name": "Feriado"},
                       follow=True).content.decode()
    assert ("Holiday saved. 1 order not yet released to the warehouse planned again: it will be released with the "
            "new dates." in page)
    assert "now planned to arrive after the date promised" not in page
    assert f"Not yet released to the warehouse: planned to arrive on {FRI:%m/%d/%Y}." in client.get(
        panel).content.decode()


def test_a_draft_holding_stock_is_placed_with_its_plan_moved_and_is_not_flagged(make_user, net, place_order):
    """A draft holding stock is placed with the sourcing decision of its hold (not sourced again): the holiday moves
    that plan, and the placed order is released with it. A draft is nobody's promise yet: no at-risk flag."""
    import uuid

    from orders.services import (
        PaymentRequest,
        draft_create,
        draft_hold_stock,
        draft_line_add,
        draft_update,
        order_place,
    )

    user = make_user("admin")
    draft = draft_create(channel_id=net["channel"].pk, acting_user=user, customer_id=net["customer"].pk)
    draft_line_add(order_id=draft.pk, variant_id=net["mug"].pk, quantity=1, acting_user=user)
    draft_update(order_id=draft.pk, acting_user=user, payment_method="invoice", shipping_service=net["service"])
    draft_hold_stock(order_id=draft.pk, acting_user=user)
    decision = draft.sourcing_decisions.get()
    plan = {**decision.plan, "arrives_on": THU.isoformat(), "shipments": [
        {**s, "ships_on": TUE.isoformat(), "arrives_on": THU.isoformat()} for s in decision.plan["shipments"]]}
    SourcingDecision.objects.filter(pk=decision.pk).update(plan=plan)
    Order.objects.filter(pk=draft.pk).update(promised_date=WED)

    change = ful.holiday_save(day=TUE, name="Aniversário da loja", location_id=net["store"].pk, acting_user=user)

    assert (change.unreleased, change.late_orders) == (1, 0)
    assert _plan_dates(decision) == [(net["store"].pk, WED, FRI)]
    assert not AtRiskFlag.objects.filter(order=draft).exists()
    order = order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=user,
                        payment=PaymentRequest(method="invoice"))
    assert order.sourcing_decisions.get() == decision  # placed with the stock it held: not sourced again
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    assert (shipment.ships_on, shipment.arrives_on) == (WED, FRI)

"""Fulfilment services: sourcing at placement, allocation into shipments, pick/pack/ship/deliver, store
pick-up, carrier updates, returns and the at-risk scan.

Entry points open ``transaction.atomic(durable=True)``; helpers compose inside them. Payment captures
and refunds call ``payments.services`` after the stock transaction committed (no lock held while the
processor answers); both are idempotent per ``shipment:<id>`` / ``return:<id>`` reference, so a retry
never charges twice. The sale, its cost of goods and returns go to the general ledger through
``orders.fulfilment.accounting`` inside the transactions that consume, restock or refund.
"""

from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateField, Exists, F, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from oms.audit import audit_record
from oms.i18n import StoredDate, StoredMoney, StoredText, split, stored_join, stored_plural, stored_text, stored_value
from oms.mail import absolute_url, email_enqueue, email_send_now, recipient, staff_recipients
from oms.models import AuditEntry
from oms.money import quantize
from oms.once import created_by_request
from oms.templatetags.oms_tags import money
from orders.events import order_event, shipment_event
from orders.fulfilment import sourcing
from orders.fulfilment.accounting import post_return, post_return_restock, post_shipment_revenue, return_shares
from orders.fulfilment.calendar import (
    ClosedDays,
    add_working_days,
    arrival_date,
    replanned,
    ship_date,
    working_days_to,
)
from orders.fulfilment.errors import (
    AlreadyPacked,
    CarrierFileError,
    FulfilmentError,
    InvalidReturn,
    InvalidShipmentTransition,
    WrongItemScanned,
)
from orders.fulfilment.geo import Point, point_for_postal_code
from orders.fulfilment.models import (
    AllocationRule,
    AtRiskFlag,
    ConsolidationRoute,
    Holiday,
    InboundTransfer,
    OrderMilestones,
    Return,
    ReturnLine,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    SourcingDecision,
)
from orders.models import Order, OrderEvent, OrderLine, OrderLineAllocation
from orders.notifications import (
    email_customer,
    pickup_ready_email,
    return_received_notice,
    shipment_delivered_notice,
    tells_customer,
)
from orders.services.core import (
    L,
    S,
    Shortage,
    _describe_alternatives,
    _line_transition,
    _order_transition,
    allowed_targets,
    calendar_change_lock,
    line_parts,
    lock_lines,
    lock_order,
    save_rows,
    set_line_allocations,
    source_first_available,
)
from orders.services.lifecycle import NOTE_LENGTH

SS = Shipment.Status
RS = Return.Status

SHIPMENT_TRANSITIONS: dict[str, set[str]] = {
    SS.WAITING: {SS.PENDING, SS.CANCELLED},
    SS.PENDING: {SS.PICKING, SS.CANCELLED},
    SS.PICKING: {SS.PACKED, SS.PENDING, SS.CANCELLED},
    SS.PACKED: {SS.SHIPPED, SS.READY, SS.PICKING, SS.CANCELLED},
    SS.READY: {SS.DELIVERED, SS.CANCELLED},
    SS.SHIPPED: {SS.DELIVERED, SS.FAILED_DELIVERY, SS.READY},
    SS.FAILED_DELIVERY: {SS.SHIPPED, SS.CANCELLED},
    SS.DELIVERED: set(),
    SS.CANCELLED: set(),
}

RETURN_TRANSITIONS: dict[str, set[str]] = {
    RS.REQUESTED: {RS.APPROVED, RS.REJECTED},
    RS.APPROVED: {RS.RECEIVED, RS.REJECTED},
    RS.RECEIVED: {RS.INSPECTED},
    RS.INSPECTED: {RS.RESTOCKED, RS.WRITTEN_OFF},
    RS.RESTOCKED: {RS.REFUNDED, RS.EXCHANGED},
    RS.WRITTEN_OFF: {RS.REFUNDED, RS.EXCHANGED},
    RS.REFUNDED: set(),
    RS.EXCHANGED: set(),
    RS.REJECTED: set(),
}

STRATEGY_FOR_CHANNEL = {
    "nearest": sourcing.NEAREST, "lowest_cost": sourcing.LOWEST_COST, "fewest_shipments": sourcing.FEWEST_SHIPMENTS,
    "store_pickup": sourcing.NEAREST, "weighted": sourcing.WEIGHTED,
}
PICKUP_DAYS = 5


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- transitions --------------------------------------------------------------------------------------


def shipment_transition(shipment: Shipment, *, to: str, actor, reason: "str | StoredText" = "",
                        data: dict | None = None, **fields) -> None:
    """The one place a shipment's status changes (checked against ``SHIPMENT_TRANSITIONS``), with its history row."""
    if to not in SHIPMENT_TRANSITIONS[shipment.status]:
        raise InvalidShipmentTransition(
            _("Shipment %(id)s cannot go from “%(old)s” to “%(new)s”.")
            % {"id": shipment, "old": SS(shipment.status).label, "new": SS(to).label})
    old = shipment.status
    shipment.status = to
    for name, value in fields.items():
        setattr(shipment, name, value)
    Shipment.objects.filter(pk=shipment.pk).update(status=to, **fields)
    shipment_event(shipment=shipment, actor=actor, from_status=old, to_status=to, reason=reason, data=data)


def return_transition(rma: Return, *, to: str, actor, reason: "str | StoredText" = "", **fields) -> None:
    """The one place a return's status changes; its history goes on the order's timeline."""
    if to not in RETURN_TRANSITIONS[rma.status]:
        raise InvalidReturn(_("%(rma)s cannot go from “%(old)s” to “%(new)s”.")
                            % {"rma": rma, "old": RS(rma.status).label, "new": RS(to).label})
    old = rma.status
    rma.status = to
    for name, value in fields.items():
        setattr(rma, name, value)
    Return.objects.filter(pk=rma.pk).update(status=to, **fields)
    step = {"rma": str(rma), "old": RS(old).label, "new": RS(to).label}
    order_event(order=rma.order, actor=actor, kind=OrderEvent.Kind.NOTE,
                reason=stored_text(gettext_noop("%(rma)s: %(old)s → %(new)s (%(reason)s)"), reason=reason, **step)
                if reason else stored_text(gettext_noop("%(rma)s: %(old)s → %(new)s"), **step),
                data={"return_id": rma.pk, "from": old, "to": to})


def _milestone(order: Order, **fields) -> None:
    milestones, _created = OrderMilestones.objects.get_or_create(order=order)
    changed = {k: v for k, v in fields.items() if getattr(milestones, k) is None}
    if changed:
        OrderMilestones.objects.filter(pk=milestones.pk).update(**changed)


# --- sourcing -------------------------------------------------------------------------------------------


def _point(location) -> Point | None:
    if location.latitude is None or location.longitude is None:
        return None
    return Point(float(location.latitude), float(location.longitude))


def allocation_holdback(*, variant_ids, channel_code: str, customer_group: str) -> dict[tuple[int, int | None], int]:
    """Units kept back from this demand by allocation rules: ``{(variant_id, location_id or None): units}``."""
    from inventory.models import Variant

    rules = list(AllocationRule.objects.filter(is_active=True))
    if not rules:
        return {}
    categories = dict(Variant.objects.filter(pk__in=variant_ids).values_list("pk", "product__category_id"))
    held: dict[tuple[int, int | None], int] = {}
    for rule in rules:
        if (rule.for_channel_code and rule.for_channel_code == channel_code) or (
                rule.for_customer_group and rule.for_customer_group == customer_group):
            continue  # this demand class is the one the units are kept for
        for variant_id, category_id in categories.items():
            if rule.variant_id == variant_id or (rule.category_id and rule.category_id == category_id):
                key = (variant_id, rule.location_id)
                held[key] = held.get(key, 0) + rule.reserve_units
    return held


def candidates_for(*, variant_ids, channel_code: str = "", customer_group: str = "", exclude_location_ids=(),
                   ) -> list[sourcing.Candidate]:
    """Every active location as a sourcing candidate: available stock net of allocation rules for this demand."""
    from inventory.models import Location
    from inventory.selectors import availability

    locations = list(Location.objects.filter(is_active=True).exclude(pk__in=list(exclude_location_ids))
                     .order_by("pk"))
    stock = availability(variant_ids=list(variant_ids), location_ids=[loc.pk for loc in locations])
    held = allocation_holdback(variant_ids=variant_ids, channel_code=channel_code, customer_group=customer_group)
    result = []
    for loc in locations:
        available = {}
        for variant_id in variant_ids:
            free = stock.get(variant_id, {}).get(loc.pk, 0)
            free -= held.get((variant_id, loc.pk), 0) + held.get((variant_id, None), 0)
            available[variant_id] = max(free, 0)
        result.append(sourcing.Candidate(
            location_id=loc.pk, name=loc.name, point=_point(loc), available=available, can_ship=loc.can_ship,
            can_pickup=loc.can_pickup, handling_days=loc.handling_days, cutoff=loc.cutoff_time))
    return result


def network_routes() -> list[sourcing.Route]:
    """The active consolidation routes between active locations (who may forward to whom, in how many days)."""
    return [sourcing.Route(from_id, to_id, days, cost) for from_id, to_id, days, cost in (
        ConsolidationRoute.objects.filter(is_active=True, from_location__is_active=True, to_location__is_active=True)
        .order_by("pk").values_list("from_location_id", "to_location_id", "transfer_days", "cost"))]


def consolidation_route_save(*, from_location_id: int, to_location_id: int, transfer_days: int, cost: Decimal,
                             acting_user) -> ConsolidationRoute:
    """Allows ``from_location`` to forward order units to ``to_location`` (created, or its days and cost changed)."""
    from inventory.models import Location

    if from_location_id == to_location_id:
        raise FulfilmentError(_("A location cannot forward to itself."), field="to_location")
    if not isinstance(transfer_days, int) or not 0 <= transfer_days <= 30:
        raise FulfilmentError(_("Transfer days must be a whole number from 0 to 30."), field="transfer_days")
    if cost is None or not cost.is_finite():
        raise FulfilmentError(_("Give the cost as an amount, e.g. 4.50."), field="cost")
    if cost < 0:
        raise FulfilmentError(_("The cost cannot be negative."), field="cost")
    with transaction.atomic(durable=True):
        locations = Location.objects.in_bulk([from_location_id, to_location_id])
        if from_location_id not in locations:
            raise FulfilmentError(_("Choose the forwarding location."), field="from_location")
        if to_location_id not in locations:
            raise FulfilmentError(_("Choose the consolidating location."), field="to_location")
        if not locations[to_location_id].can_ship:
            raise FulfilmentError(_("%(name)s does not ship orders, so it cannot consolidate them.")
                                  % {"name": locations[to_location_id].name}, field="to_location")
        route, created = ConsolidationRoute.objects.update_or_create(
            from_location_id=from_location_id, to_location_id=to_location_id,
            defaults={"transfer_days": transfer_days, "cost": quantize(cost), "is_active": True})
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
                     obj=route, verb="consolidation_route_save",
                     changes={"from": from_location_id, "to": to_location_id, "days": transfer_days,
                              "cost": str(route.cost)})
    return route


def consolidation_route_delete(*, route_id: int, acting_user) -> None:
    with transaction.atomic(durable=True):
        route = ConsolidationRoute.objects.select_for_update().filter(pk=route_id).first()
        if route is None:
            raise FulfilmentError(_("That route no longer exists."))
        audit_record(actor=acting_user, action=AuditEntry.Action.DELETE, obj=route, verb="consolidation_route_delete",
                     changes={"from": route.from_location_id, "to": route.to_location_id})
        route.delete()


# --- holidays (shipping calendar) ------------------------------------------------------------------------

HOLIDAY_HORIZON_DAYS = 400  # how far ahead of a decision its holidays are read: past any handling plus transit


def closed_days(start: date, end: date | None = None) -> ClosedDays:
    """The holidays from ``start`` to ``end`` (default: the horizon after ``start``), read in one query, for the
    shipping calendar of one decision (or of a run of decisions over that range)."""
    national: set[date] = set()
    local: dict[int, set[date]] = {}
    for day, location_id in Holiday.objects.filter(
            date__gte=start, date__lte=end or start + timedelta(days=HOLIDAY_HORIZON_DAYS)
    ).values_list("date", "location_id"):
        (national if location_id is None else local.setdefault(location_id, set())).add(day)
    return ClosedDays(frozenset(national), {loc: frozenset(days) for loc, days in local.items()})


OPEN_SHIPMENT = (SS.WAITING, SS.PENDING, SS.PICKING, SS.PACKED)  # not handed over yet (a ready pick-up is at the store)


@dataclass
class CalendarChange:
    """What saving or removing a holiday did: the holiday (None once removed), how many open shipments and
    orders had their planned dates moved, how many orders sourced but not yet released to the warehouse had the
    plan of their sourcing decision moved (``unreleased``), and how many orders of either kind are now planned to
    arrive after the date promised to the customer (flagged at risk)."""

    holiday: Holiday | None
    shipments: int = 0
    orders: int = 0
    unreleased: int = 0
    late_orders: int = 0

    def counts(self) -> dict[str, int]:
        return {"shipments_replanned": self.shipments, "orders_replanned": self.orders,
                "unreleased_replanned": self.unreleased, "orders_late": self.late_orders}


def holiday_save(*, holiday_id: int | None = None, day: date | None, name: str, location_id: int | None,
                 acting_user) -> CalendarChange:
    """Creates a holiday (``holiday_id`` None) or changes one: a national one without ``location_id``. Open
    shipments and the plans of orders not yet released planned across the changed days are planned again
    (``_plans_replan``) in the same transaction."""
    from inventory.models import Location

    name = (name or "").strip()
    if day is None:
        raise FulfilmentError(_("Give the date as YYYY-MM-DD, e.g. 2026-12-25."), field="date")
    if not name:
        raise FulfilmentError(_("Give the holiday a name."), field="name")
    if len(name) > 100:
        raise FulfilmentError(_("The name can have at most 100 characters."), field="name")
    with transaction.atomic(durable=True):
        calendar_change_lock()
        if location_id is not None and not Location.objects.filter(pk=location_id).exists():
            raise FulfilmentError(_("Choose a location, or none for a national holiday."), field="location")
        clash = Holiday.objects.filter(date=day, location_id=location_id)
        if holiday_id is not None:
            holiday = Holiday.objects.select_for_update().filter(pk=holiday_id).first()
            if holiday is None:
                raise FulfilmentError(_("That holiday no longer exists."))
            clash = clash.exclude(pk=holiday_id)
        else:
            holiday = Holiday()
        if clash.exists():
            raise FulfilmentError(_("%(date)s is already a holiday there.")
                                  % {"date": date_format(day, "SHORT_DATE_FORMAT")}, field="date")
        created = holiday.pk is None
        moves = created or (holiday.date, holiday.location_id) != (day, location_id)  # not a mere rename
        before = _calendar_before([(day, location_id)] + ([] if created else [(holiday.date, holiday.location_id)])
                                  ) if moves else None
        holiday.date, holiday.name, holiday.location_id = day, name, location_id
        holiday.save()
        change = _plans_replan(before, holiday=holiday, actor=acting_user, why=stored_text(
            gettext_noop("Planned again for the holiday %(name)s on %(day)s"), name=name,
            day=StoredDate(day, "SHORT_DATE_FORMAT")))
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
                     obj=holiday, verb="holiday_save",
                     changes={"date": day.isoformat(), "name": name, "location": location_id, **change.counts()})
    return change


def holiday_delete(*, holiday_id: int, acting_user) -> CalendarChange:
    with transaction.atomic(durable=True):
        calendar_change_lock()
        holiday = Holiday.objects.select_for_update().filter(pk=holiday_id).first()
        if holiday is None:
            raise FulfilmentError(_("That holiday no longer exists."))
        before = _calendar_before([(holiday.date, holiday.location_id)])
        holiday_pk = holiday.pk
        holiday.delete()
        change = _plans_replan(before, holiday=None, actor=acting_user, why=stored_text(
            gettext_noop("Planned again: the holiday %(name)s on %(day)s was removed"), name=holiday.name,
            day=StoredDate(holiday.date, "SHORT_DATE_FORMAT")))
        holiday.pk = holiday_pk  # for the audit trail's object id
        audit_record(actor=acting_user, action=AuditEntry.Action.DELETE, obj=holiday, verb="holiday_delete",
                     changes={"date": holiday.date.isoformat(), "location": holiday.location_id, **change.counts()})
    return change


@dataclass(frozen=True)
class _Before:
    since: date  # the first changed day still ahead (today when a changed day is past): nothing earlier moves
    closed: ClosedDays  # the calendar from ``since`` before the change
    location_ids: frozenset[int] | None  # the locations whose plans may move (None: every one, a national day)


def _calendar_before(changed: list[tuple[date, int | None]]) -> _Before | None:
    """Read before a change of ``changed`` (day, location or None) days: None when every day is past (a
    shipment planned on a past day is late already; moving it would hide that)."""
    today = timezone.localdate()
    if max(day for day, _loc in changed) < today:
        return None
    since = max(min(day for day, _loc in changed), today)
    locations = {loc for _day, loc in changed}
    return _Before(since, closed_days(since), None if None in locations else frozenset(locations))


def _plans_replan(before: _Before | None, *, holiday: Holiday | None, actor, why: StoredText) -> CalendarChange:
    """Plans again, through the calendar's rule (``calendar.replanned``: the working days each plan counted,
    counted again), what is planned at the changed locations on or after the first changed day: the plans of
    orders sourced but not yet released (``_unreleased_decisions``: the release copies them onto the shipments)
    and the open shipments (not yet handed over). Writes a history row per shipment and one per order. The
    customer's promised date stays; an order now planned to arrive after it is flagged at risk (``_late_plans``).
    Set-based: one locked read, one update and one insert of history rows for each, whatever their number.

    The orders are locked first (in id order), as every order's service does before its lines, decision and
    shipments: a release waiting for one copies the new plan onto its shipments, one that committed before has its
    shipments read by the shipments' query, and the history rows' keys never wait for an order a service holds
    while it waits for a row locked here (a deadlock)."""
    change = CalendarChange(holiday)
    if before is None:
        return change
    since, was = before.since, before.closed
    closed = closed_days(since)
    plans: dict[tuple, tuple[date, date | None]] = {}  # plans share few (location, dates): each counted once

    def plan_of(location_id: int, ships_on: date, arrives_on: date | None) -> tuple[date, date | None]:
        key = (location_id, ships_on, arrives_on)
        if key not in plans:
            plans[key] = replanned(ships_on=ships_on, arrives_on=arrives_on, since=since,
                                   closed_was=was.at(location_id), closed=closed.at(location_id),
                                   national_was=was.national, national=closed.national)
        return plans[key]

    list(Order.objects.select_for_update(of=("self",)).filter(
        Q(pk__in=_decisions_planned(before).values("order_id")) | Q(pk__in=_shipments_planned(before).values(
            "order_id"))).order_by("pk").values_list("pk", flat=True))
    by_order: dict[int, list[StoredText]] = {}
    unreleased = _decisions_replan(before, plan_of, by_order)  # order id -> the plan's moves
    shipments = _shipments_replan(before, plan_of, by_order, actor=actor, why=why, holiday=holiday)
    if not by_order:
        return change
    person = _user(actor)
    order_events = []
    for order_id, parts in by_order.items():
        text, params = split(stored_join(": ", [why, stored_join("; ", parts)]))
        order_events.append(OrderEvent(order_id=order_id, kind=OrderEvent.Kind.DATES, actor=person, reason=text,
                                       reason_params=params, data={"holiday": holiday.pk if holiday else None,
                                                                   **({"plan": unreleased[order_id]}
                                                                      if order_id in unreleased else {})}))
    OrderEvent.objects.bulk_create(order_events, batch_size=1000)
    late = _late_plans(order_ids=list(by_order))
    _flags_apply(late, AtRiskFlag.objects.filter(order_id__in=list(by_order), reason=AtRiskFlag.Reason.PLAN_LATE,
                                                 cleared_at__isnull=True), now=timezone.now())
    change.shipments, change.orders = len(shipments), len({order_id for _pk, order_id in shipments})
    change.unreleased, change.late_orders = len(unreleased), len(late)
    return change


# Orders sourced but not yet released to the warehouse: the release copies the plan of their latest sourcing
# decision onto the shipments (``_allocate``). A draft holding stock is placed with the decision of its hold.
UNRELEASED = (S.PLACED, S.ON_HOLD, S.CONFIRMED, S.BACKORDERED)


def _unreleased_decisions(*, with_drafts: bool = False):
    """The latest sourcing decision of each order not yet released (``with_drafts``: and of drafts holding stock)."""
    waiting = Q(order__status__in=UNRELEASED)
    if with_drafts:
        waiting |= Q(order__status=S.DRAFT, order__stock_held_until__isnull=False)
    latest = (SourcingDecision.objects.filter(waiting).order_by("order_id", "-created_at", "-id")
              .distinct("order_id").values("pk"))
    return SourcingDecision.objects.filter(pk__in=latest).annotate(
        plan_arrives=Cast(KeyTextTransform("arrives_on", "plan"), DateField()))


def _decisions_planned(before: _Before):
    """The latest decisions of the orders not yet released (and drafts holding stock) planned to arrive on or after
    ``before.since``: those a change from that day may move."""
    return _unreleased_decisions(with_drafts=True).filter(plan_arrives__gte=before.since)


def _shipments_planned(before: _Before):
    """The open shipments of the changed locations planned to hand over or arrive on or after ``before.since``."""
    rows = Shipment.objects.filter(status__in=OPEN_SHIPMENT, ships_on__isnull=False).filter(
        Q(ships_on__gte=before.since) | Q(arrives_on__gte=before.since))
    if before.location_ids is not None:
        rows = rows.filter(location_id__in=before.location_ids)
    return rows


def _decisions_replan(before: _Before, plan_of, by_order: dict[int, list[StoredText]]) -> dict[int, list[dict]]:
    """The sourcing plans of orders not yet released, planned again by ``plan_of`` (each of their shipments and
    transfer legs at a changed location); adds a part to ``by_order`` for each order whose plan moved. Returns
    ``{order id: [{location_id, ships_on: [old, new], arrives_on: [old, new]}, ...]}`` of the plans moved."""
    moved, orders = [], {}
    rows = _decisions_planned(before).select_for_update().order_by("pk")
    for pk, order_id, plan in rows.values_list("pk", "order_id", "plan"):
        shipments, parts, changes = [], [], []
        for planned in plan.get("shipments", []):
            ships_on, arrives_on = date.fromisoformat(planned["ships_on"]), date.fromisoformat(planned["arrives_on"])
            new = (ships_on, arrives_on)
            if before.location_ids is None or planned["location_id"] in before.location_ids:
                new = plan_of(planned["location_id"], ships_on, arrives_on)
            if new != (ships_on, arrives_on):
                parts.append(stored_join(" ", [planned.get("location") or f"#{planned['location_id']}",
                                               _new_dates(new)]))
                changes.append({"location_id": planned["location_id"], "ships_on": [_iso(ships_on), _iso(new[0])],
                                "arrives_on": [_iso(arrives_on), _iso(new[1])]})
            shipments.append({**planned, "ships_on": new[0].isoformat(), "arrives_on": new[1].isoformat()})
        if not parts:
            continue
        new_plan = {**plan, "shipments": shipments, "arrives_on": max(s["arrives_on"] for s in shipments)}
        moved.append(SourcingDecision(pk=pk, plan=new_plan))
        orders[order_id] = changes
        by_order.setdefault(order_id, []).append(stored_text(gettext_noop("plan for the release: %(plan)s"),
                                                             plan=stored_join("; ", parts)))
    save_rows(SourcingDecision, moved, ["plan"])
    return orders


def _shipments_replan(before: _Before, plan_of, by_order: dict[int, list[StoredText]], *, actor, why: StoredText,
                      holiday: Holiday | None) -> list[tuple[int, int]]:
    """The open shipments of the changed locations planned on or after ``before.since``, planned again by
    ``plan_of``, each with a history row; adds a part to ``by_order`` per shipment moved. Returns the (shipment,
    order) ids moved."""
    moved = []
    rows = _shipments_planned(before).select_for_update(of=("self",)).order_by("pk")
    for pk, order_id, location_id, ships_on, arrives_on in rows.values_list(
            "pk", "order_id", "location_id", "ships_on", "arrives_on"):
        new = plan_of(location_id, ships_on, arrives_on)
        if new != (ships_on, arrives_on):
            moved.append((pk, order_id, (ships_on, arrives_on), new))
    if not moved:
        return []
    save_rows(Shipment, [Shipment(pk=pk, ships_on=new[0], arrives_on=new[1]) for pk, _order, _old, new in moved],
              ["ships_on", "arrives_on"])
    person = _user(actor)
    events = []
    for pk, order_id, old, new in moved:
        text, params = split(stored_join(": ", [why, _new_dates(new)]))
        events.append(ShipmentEvent(shipment_id=pk, actor=person, reason=text, reason_params=params, data={
            "ships_on": [_iso(old[0]), _iso(new[0])], "arrives_on": [_iso(old[1]), _iso(new[1])],
            "holiday": holiday.pk if holiday else None}))
        by_order.setdefault(order_id, []).append(stored_join(" ", [f"S{pk}", _new_dates(new)]))
    ShipmentEvent.objects.bulk_create(events, batch_size=1000)
    return [(pk, order_id) for pk, order_id, _old, _new in moved]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _new_dates(dates: tuple[date, date | None]) -> StoredText:
    ships_on, arrives_on = dates
    if arrives_on is None:
        return stored_text(gettext_noop("hands over on %(ships)s"), ships=StoredDate(ships_on, "SHORT_DATE_FORMAT"))
    return stored_text(gettext_noop("hands over on %(ships)s, arrives on %(arrives)s"),
                       ships=StoredDate(ships_on, "SHORT_DATE_FORMAT"),
                       arrives=StoredDate(arrives_on, "SHORT_DATE_FORMAT"))


def destination_for(order: Order) -> Point | None:
    address = order.shipping_address or {}
    return point_for_postal_code(address.get("postal_code", ""), address.get("country", "BR") or "BR")


def chosen_transit_days(order: Order) -> int | None:
    """Transit days of the shipping option the order chose (None: a pick-up, or no option chosen)."""
    if order.delivery_method == Order.Delivery.PICKUP:
        return None
    option = next((o for o in order.shipping_options or [] if o.get("code") == order.shipping_service), None)
    return int(option.get("transit_days") or 0) if option else None


def request_for(order: Order, lines: list[OrderLine], *, strategy: str, now: datetime | None = None
                ) -> sourcing.Request:
    pickup = order.pickup_location_id if order.delivery_method == Order.Delivery.PICKUP else None
    local_now = timezone.localtime(now or timezone.now()).replace(tzinfo=None)
    return sourcing.Request(
        lines=tuple(sourcing.Line(line.variant_id, line.quantity, line.variant.weight_grams or 500) for line in lines),
        destination=destination_for(order), now=local_now,
        strategy=strategy, promised_by=order.promised_date if order.status != S.DRAFT else None,
        pickup_location_id=pickup, currency=order.currency, transit_days=chosen_transit_days(order),
        closed=closed_days(local_now.date()))


def parts_from_plan(plan: sourcing.Plan, lines: list[OrderLine]) -> dict[int, list[tuple[int, int]]]:
    """Splits a plan's per-location quantities of each SKU over the order lines of that SKU, in line order:
    ``{line_id: [(location_id, quantity), ...]}``. A line keeps to as few locations as the plan allows."""
    offered: dict[int, list[list[int]]] = {}
    for shipment in plan.shipments:
        for variant_id, quantity in shipment.items.items():
            offered.setdefault(variant_id, []).append([shipment.location_id, quantity])
    for pool in offered.values():
        pool.sort(key=lambda p: -p[1])  # biggest part first, so small lines come whole from one place
    result: dict[int, list[tuple[int, int]]] = {}
    for line in lines:
        pool = offered.get(line.variant_id, [])
        whole = next((p for p in pool if p[1] >= line.quantity), None)
        if whole is not None:
            whole[1] -= line.quantity
            result[line.pk] = [(whole[0], line.quantity)]
            continue
        parts, missing = [], line.quantity
        for p in pool:
            take = min(missing, p[1])
            if take:
                parts.append((p[0], take))
                p[1] -= take
                missing -= take
        result[line.pk] = parts  # complete: the plan covers every unit of the lines it was built for
    return result


def _split_at(parts: dict[int, list[tuple[int, int]]], location_id: int) -> bool:
    """Some line is held partly at ``location_id`` and partly elsewhere."""
    return any(len(p) > 1 and any(loc == location_id for loc, _q in p) for p in parts.values())


def _split_note(parts: dict[int, list[tuple[int, int]]], lines: list[OrderLine],
                plan: sourcing.Plan) -> StoredText | None:
    """“SKU-1: 6 from Loja Pinheiros + 4 from CD Cajamar” for each line sourced from several locations."""
    names = {s.location_id: s.location_name for s in plan.shipments}
    notes = [stored_text(gettext_noop("%(sku)s: %(parts)s"), sku=line.sku, parts=stored_join(" + ", [
        stored_text(gettext_noop("%(qty)s from %(location)s"), qty=qty, location=names.get(loc, loc))
        for loc, qty in parts[line.pk]])) for line in lines if len(parts.get(line.pk, [])) > 1]
    return stored_join("; ", notes) if notes else None


def source_lines(order: Order, lines: list[OrderLine], *, actor=None
                 ) -> tuple[dict[int, list[tuple[int, int]]], list[Shortage]]:
    """The sourcing step of placement, holds and edits: ``({line_id: [(location_id, qty), ...]}, shortages)``.

    A line may be split across locations when the plan does (6 units at a store, 4 at the DC). Channels on
    ``first_available`` keep the simple rule; the others go through ``sourcing.decide`` with the channel's
    strategy; their decision, alternatives and reason are recorded on the order.
    """
    channel_strategy = order.channel.sourcing_strategy
    if channel_strategy == "first_available" or not lines:
        # The simple rule needs no explanation beyond its name: nothing is recorded (the order page says so).
        return source_first_available(order, lines)
    strategy = STRATEGY_FOR_CHANNEL.get(channel_strategy, sourcing.NEAREST)
    customer = order.customer
    variant_ids = sorted({line.variant_id for line in lines})
    candidates = candidates_for(variant_ids=variant_ids, channel_code=order.channel.code,
                                customer_group=customer.group_code if customer else "")
    routes = network_routes()
    reach = _reaching(order, candidates, routes)
    totals = {v: sum(c.available.get(v, 0) for c in candidates if c.location_id in reach) for v in variant_ids}
    # Lines no combination of locations can cover are shortages; the rest are sourced together.
    needed: dict[int, int] = {}
    coverable, short_lines = [], []
    for line in lines:
        if needed.get(line.variant_id, 0) + line.quantity <= totals.get(line.variant_id, 0):
            needed[line.variant_id] = needed.get(line.variant_id, 0) + line.quantity
            coverable.append(line)
        else:
            short_lines.append(line)
    plan: dict[int, list[tuple[int, int]]] = {}
    decision = None
    if coverable:
        request = request_for(order, coverable, strategy=strategy)
        decision = sourcing.decide(request, candidates, routes=routes)
        store = request.pickup_location_id
        if decision.plan and store and _split_at(parts_from_plan(decision.plan, coverable), store):
            # A pick-up line the store holds only part of is transferred in whole (one transfer either way, and
            # the store's shelf stock stays for walk-in customers); lines may still come from several sources.
            store_only = [replace(c, available={v: (q if q >= needed.get(v, 0) else 0) for v, q in c.available.items()})
                          if c.location_id == store else c for c in candidates]
            decision = sourcing.decide(request, store_only, routes=routes)
        if decision.plan is None:
            short_lines += coverable
        else:
            plan = parts_from_plan(decision.plan, coverable)
            note = _split_note(plan, coverable, decision.plan)
            if note:
                decision.reason = stored_text("%(reason)s (%(note)s)", reason=decision.reason, note=note)
    shortages = [Shortage(line.pk, line.sku, line.quantity, totals.get(line.variant_id, 0), [])
                 for line in short_lines]
    if shortages:
        _describe_alternatives(order, lines, shortages)
    recorded = _with_held_parts(order, decision.plan.as_dict(), lines) if decision and decision.plan and plan else {}
    _record(order, strategy=strategy, plan=recorded,
            alternatives=[p.as_dict() for p in (decision.alternatives[:5] if decision else [])],
            shortages={s.sku: s.requested for s in shortages},
            reason=decision.reason if decision and plan else sourcing.NO_PLAN, actor=actor)
    return plan, shortages


def _with_held_parts(order: Order, plan: dict, lines: list[OrderLine]) -> dict:
    """``plan``, a decision of ``lines`` only (a backorder retry, a line added to a held order), with the parts the
    order's other lines already hold as the latest decision planned them: the latest decision stays the order's
    whole plan, the one the release copies, a holiday moves, the at-risk scan and the order page read (a retry's
    plan of the waiting lines alone hid the rest until the release). The new plan's entry wins for a location both
    name; a kept part forwarded to another location keeps that location's entry too."""
    held = set(OrderLineAllocation.objects.filter(line__order=order).exclude(line__in=[line.pk for line in lines])
               .values_list("location_id", flat=True))
    if not held:
        return plan
    earlier = (order.sourcing_decisions.values_list("plan", flat=True).first() or {}).get("shipments", [])
    named = {s["location_id"] for s in plan["shipments"]}
    kept = [s for s in earlier if s["location_id"] in held and s["location_id"] not in named]
    forwarded_to = {s["transfer_to"] for s in kept if s.get("transfer_to")}
    kept += [s for s in earlier if s["location_id"] in forwarded_to - named and s not in kept]
    if not kept:
        return plan
    shipments = plan["shipments"] + kept
    arrives_on = max(s["arrives_on"] for s in shipments)
    promised = order.promised_date.isoformat() if order.promised_date and order.status != S.DRAFT else None
    return {**plan, "shipments": shipments, "arrives_on": arrives_on,
            "late": bool(plan.get("late")) or bool(promised and arrives_on > promised)}


def _reaching(order: Order, candidates: list[sourcing.Candidate], routes: list[sourcing.Route]) -> set[int]:
    """Locations whose stock can reach this order as ``sourcing.build_plans`` plans it: those that ship, the
    pick-up store, and (shipping to an address) those with a route to a location that ships."""
    shipping = {c.location_id for c in candidates if c.can_ship}
    if order.delivery_method == Order.Delivery.PICKUP and order.pickup_location_id:
        return shipping | {order.pickup_location_id}
    return shipping | {r.from_id for r in routes if r.to_id in shipping}


def _record(order: Order, *, strategy, plan, alternatives, shortages, reason: StoredText | str,
            actor) -> SourcingDecision:
    trigger = "placement" if order.status == S.DRAFT else "edit"
    text, params = split(reason)
    return SourcingDecision.objects.create(order=order, strategy=strategy, trigger=trigger, plan=plan,
                                           alternatives=alternatives, shortages=shortages, reason=text,
                                           reason_params=params, actor=_user(actor))


PICKUP_PROMISE = "pickup"  # key of the store's ready date in ``promise_for_options``


def _candidates_for_order(order: Order, lines: list[OrderLine]) -> list[sourcing.Candidate]:
    """Sourcing candidates as this order sees them: stock it already holds (a draft's hold, a placed order's
    reservation) counts as available to it, so the screen and placement agree whether stock is held or not."""
    customer = order.customer
    variant_ids = sorted({line.variant_id for line in lines})
    candidates = candidates_for(variant_ids=variant_ids, channel_code=order.channel.code,
                                customer_group=customer.group_code if customer else "")
    held = [line for line in lines if line.status == L.RESERVED]
    return _plus_own_stock(candidates, held, line_parts(held) if held else {})


def _plus_own_stock(candidates: list[sourcing.Candidate], lines: list[OrderLine],
                    parts: dict[int, list[tuple[int, int]]]) -> list[sourcing.Candidate]:
    """``candidates`` as the order of ``lines`` sees them: the units its reserved lines hold at each location
    (``parts``, from ``line_parts``) are available to it."""
    own: dict[tuple[int, int], int] = {}
    for line in lines:
        if line.status != L.RESERVED:
            continue
        for location_id, quantity in parts.get(line.pk, ()):
            key = (location_id, line.variant_id)
            own[key] = own.get(key, 0) + quantity
    if not own:
        return candidates
    return [replace(c, available={v: q + own.get((c.location_id, v), 0) for v, q in c.available.items()})
            if any(loc == c.location_id for loc, _v in own) else c for c in candidates]


def promise_for_options(order: Order, lines: list[OrderLine], *, now: datetime | None = None) -> dict[str, date]:
    """The one promise computation, used by the phone screen and stored by placement.

    Per shipping option code: the best plan's hand-over day (location handling days and cut-off, and for a
    consolidation the forwarding days) plus the option's carrier transit days, working days only. A pick-up
    order gets the store's ready date (after any transfer) under ``PICKUP_PROMISE`` and for every option.
    Empty when nothing can be sourced.
    """
    from orders.fulfilment.calendar import arrival_date

    if not lines:
        return {}
    strategy = STRATEGY_FOR_CHANNEL.get(order.channel.sourcing_strategy, sourcing.NEAREST)
    request = request_for(order, lines, strategy=strategy, now=now)
    decision = sourcing.decide(replace(request, promised_by=None), _candidates_for_order(order, lines),
                               routes=network_routes())
    if decision.plan is None:
        return {}
    if request.pickup_location_id is not None:
        ready = decision.plan.arrives_on
        return {PICKUP_PROMISE: ready, **{opt["code"]: ready for opt in (order.shipping_options or [])}}
    ships_on = max(s.ships_on for s in decision.plan.shipments)
    return {opt["code"]: arrival_date(shipped_on=ships_on, transit_days=int(opt.get("transit_days") or 0),
                                      closed=request.closed.national)
            for opt in (order.shipping_options or [])}


def promised_date_for(order: Order, lines: list[OrderLine], *, now: datetime | None = None) -> date | None:
    """The date the agent is shown for the order's chosen shipping option (pick-up: the store's ready date)."""
    promised = promise_for_options(order, lines, now=now)
    if order.delivery_method == Order.Delivery.PICKUP:
        return promised.get(PICKUP_PROMISE)
    return promised.get(order.shipping_service)


# --- available to promise -----------------------------------------------------------------------------


@dataclass
class Promise:
    variant_id: int
    by_location: dict[int, int]
    total: int
    incoming: list[tuple[date | None, int, int, str]]  # (expected on, location, quantity, reference)
    spoken_for: frozenset[str] = frozenset()  # references of incoming units already reserved for an order

    def date_for(self, quantity: int) -> date | None:
        """The first date ``quantity`` units can be promised: today when in stock, else when enough arrives."""
        if quantity <= self.total:
            return timezone.localdate()
        running = self.total
        for expected, _loc, qty, ref in self.incoming:
            if ref in self.spoken_for:
                continue  # a transfer bringing units to an order waiting for them
            running += qty
            if running >= quantity:
                return expected
        return None


def available_to_promise(*, variant_ids) -> dict[int, Promise]:
    """Per SKU: available by location and in total (net of reservations and safety stock), plus what is
    coming on open purchase orders (with their expected dates) and transfers in transit."""
    from inventory.models import PurchaseOrder, PurchaseOrderLine, Transfer, TransferLine
    from inventory.selectors import availability

    variant_ids = list(variant_ids)
    stock = availability(variant_ids=variant_ids)
    incoming: dict[int, list] = {v: [] for v in variant_ids}
    default_eta = timezone.localdate() + timedelta(days=7)
    po_lines = (PurchaseOrderLine.objects.filter(variant_id__in=variant_ids, purchase_order__status__in=[
        PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIALLY_RECEIVED])
        .values_list("variant_id", "purchase_order_id", "purchase_order__location_id", "purchase_order__expected_on",
                     "quantity_ordered", "quantity_received"))
    for variant_id, po_id, loc, expected, ordered, received in po_lines:
        if ordered > received:
            incoming[variant_id].append((expected or default_eta, loc, ordered - received, f"PO {po_id}"))
    transfers = (TransferLine.objects.filter(variant_id__in=variant_ids, transfer__status__in=[
        Transfer.Status.REQUESTED, Transfer.Status.IN_TRANSIT])
        .values_list("variant_id", "transfer_id", "transfer__to_location_id", "transfer__created_at", "quantity"))
    for variant_id, transfer_id, loc, created, qty in transfers:
        incoming[variant_id].append((timezone.localtime(created).date() + timedelta(days=3), loc, qty,
                                     f"T {transfer_id}"))
    spoken_for = frozenset(f"T {pk}" for pk in InboundTransfer.objects.filter(
        settled_at__isnull=True, transfer__lines__variant_id__in=variant_ids).values_list("transfer_id", flat=True))
    result = {}
    for variant_id in variant_ids:
        by_location = {loc: max(q, 0) for loc, q in stock.get(variant_id, {}).items()}
        rows = sorted(incoming[variant_id], key=lambda r: (r[0], r[1]))
        result[variant_id] = Promise(variant_id, by_location, sum(by_location.values()), rows, spoken_for)
    return result


def backorder_date_for(line: OrderLine) -> date | None:
    """When a backordered line can be promised, from open purchase orders and transfers (None: unknown)."""
    promise = available_to_promise(variant_ids=[line.variant_id])[line.variant_id]
    promise.total = 0  # its stock is already promised to other orders, or it would not be short
    return promise.date_for(line.quantity)


# --- allocation into shipments -------------------------------------------------------------------------


def order_allocate(*, order_id: int, acting_user, wave: str = "") -> list[Shipment]:
    """Releases a confirmed order to the warehouses: one shipment per location holding its reserved lines."""
    with transaction.atomic(durable=True):
        order = lock_order(order_id, plans=True)
        return _allocate(order, actor=acting_user, wave=wave)


def _allocate(order: Order, *, actor, wave: str = "") -> list[Shipment]:
    """One shipment per location the customer's items leave from (the pick-up store for a pick-up order).

    Parts of lines reserved at a location that forwards them (a transfer plan for pick-up, a consolidation plan)
    travel there on an inventory transfer: the order's reservation of that part at the source becomes the
    transfer's, the line holds nothing there while the transfer does, and the receiving shipment waits until
    every transfer arrived.
    """
    from inventory.models import Location

    if order.status != S.CONFIRMED:
        raise FulfilmentError(_("Order %(number)s is %(status)s: only confirmed orders go to the warehouse.")
                              % {"number": order, "status": order.get_status_display()})
    all_lines = lock_lines(order)
    short = next((line for line in all_lines if line.status == L.BACKORDERED), None)
    if short is not None:  # released now, the line would be left behind for good: it goes out once in stock
        raise FulfilmentError(_("Order %(number)s waits for stock of %(sku)s: it is released once every item is "
                                "reserved.") % {"number": order, "sku": short.sku})
    lines = [line for line in all_lines if line.status == L.RESERVED]
    travelling = set(InboundTransfer.objects.filter(order_line__in=[line.pk for line in lines],
                                                    settled_at__isnull=True).values_list("order_line_id", flat=True))
    if travelling:
        sku = next(line.sku for line in lines if line.pk in travelling)
        raise FulfilmentError(_("Order %(number)s waits for a transfer of %(sku)s: it is released once received.")
                              % {"number": order, "sku": sku})
    parts = line_parts(lines)
    lines = [line for line in lines if parts[line.pk]]
    if not lines:
        raise FulfilmentError(_("Order %(number)s has no reserved lines.") % {"number": order})
    # A retry of backordered lines records a decision of those lines only: each location's part is planned by the
    # latest decision that sourced it.
    planned, forward, legs = {}, {}, {}
    for plan in order.sourcing_decisions.values_list("plan", flat=True):  # newest first
        for s in (plan or {}).get("shipments", []):
            if s["location_id"] in planned or s["location_id"] in legs:
                continue
            if s.get("transfer_to"):
                forward[s["location_id"]] = s["transfer_to"]
                legs[s["location_id"]] = s
            else:
                planned[s["location_id"]] = s
    wave = wave or timezone.localtime().strftime("%Y-%m-%d-%p")
    pickup = order.delivery_method == Order.Delivery.PICKUP and order.pickup_location_id

    def destination(location_id: int) -> int:
        return order.pickup_location_id if pickup else forward.get(location_id, location_id)

    # A split line goes out in one shipment per destination of its parts: (line, where the part is, units).
    by_destination: dict[int, list[tuple[OrderLine, int, int]]] = {}
    for line in lines:
        for location_id, quantity in parts[line.pk]:
            by_destination.setdefault(destination(location_id), []).append((line, location_id, quantity))
    sites = {pk: site for pk, *site in Location.objects.filter(
        pk__in={loc for dest, group in by_destination.items() for _l, source, _q in group for loc in (dest, source)}
    ).values_list("pk", "name", "cutoff_time", "handling_days")}
    names = {pk: name for pk, (name, _cutoff, _days) in sites.items()}
    now = timezone.localtime().replace(tzinfo=None)
    dates = partial(_release_dates, order, planned=planned, legs=legs, sites=sites, pickup=bool(pickup), now=now,
                    closed=closed_days(now.date()))
    shipments = []
    for location_id, group in sorted(by_destination.items()):
        plan = planned.get(location_id, {})
        incoming: dict[int, list[tuple[OrderLine, int]]] = {}
        units: dict[int, int] = {}
        for line, source, quantity in group:
            units[line.pk] = units.get(line.pk, 0) + quantity
            if source != location_id:
                incoming.setdefault(source, []).append((line, quantity))
        cost = Decimal(plan.get("cost", "0")) + sum((Decimal(legs[source]["cost"]) for source in incoming
                                                     if source in legs), Decimal(0))
        ships_on, arrives_on = dates(location_id, sources=list(incoming))
        shipment = Shipment.objects.create(
            order=order, location_id=location_id, currency=order.currency, wave=wave,
            kind=Shipment.Kind.PICKUP if pickup else Shipment.Kind.SHIP,
            status=SS.WAITING if incoming else SS.PENDING,
            service=order.shipping_service, cost=cost, ships_on=ships_on, arrives_on=arrives_on)
        ShipmentLine.objects.bulk_create([ShipmentLine(shipment=shipment, order_line=line, quantity=units[line.pk])
                                          for line in lines if line.pk in units])
        shipment_event(
            shipment=shipment, to_status=SS.WAITING if incoming else SS.PENDING, actor=actor,
            reason=stored_text(gettext_noop("Released to the warehouse; waits for items from %(sources)s"),
                               sources=", ".join(sorted(str(names[source]) for source in incoming))) if incoming
            else stored_text(gettext_noop("Released to the warehouse")))
        for source_id, moved in sorted(incoming.items()):
            _send_inbound(order, shipment, source_id=source_id, moved=moved, parts=parts, actor=actor)
        shipments.append(shipment)
    _order_transition(order, to=S.ALLOCATED, actor=actor, reason=stored_plural(
        "%(n)s shipment released to the warehouse", "%(n)s shipments released to the warehouse", len(shipments),
        n=len(shipments)))
    _milestone(order, allocated_at=timezone.now())
    AtRiskFlag.objects.filter(order=order, reason=AtRiskFlag.Reason.NOT_ALLOCATED, cleared_at__isnull=True).update(
        cleared_at=timezone.now())
    return shipments


def _release_dates(order: Order, location_id: int, *, sources: list[int], planned: dict[int, dict],
                   legs: dict[int, dict], sites: dict[int, tuple], pickup: bool, now: datetime, closed: ClosedDays,
                   ) -> tuple[date, date | None]:
    """The planned hand-over and arrival (a pick-up: the day it is ready, both) of the shipment released now at
    ``location_id`` with the parts forwarded from ``sources``: the plan of the decisions that sourced them, counted
    by the sourcing rule from the release when that is later (an order released again after a partial cancellation,
    or long after it was sourced, is not planned on days already gone). Each leg keeps its working days on the road
    and the parcel its transit days; the shipment waits for its last transfer (a pick-up is collected once, when
    everything is there). A location no decision planned (a channel on ``first_available``) hands over by its own
    cut-off and handling days from the release, to arrive by the promise.
    ``now``: the release's local time; ``closed``: the calendar from its day."""
    plan = planned.get(location_id)
    sources = [source for source in sources if source in legs]

    def from_release(site_id: int, handling_days: int | None = None) -> date:
        _name, cutoff, days = sites[site_id]
        return ship_date(now=now, cutoff=cutoff, handling_days=days if handling_days is None else handling_days,
                         closed=closed.at(site_id))

    def kept(entry: dict, ships_on: date) -> date:
        """The arrival ``entry`` planned, counted again from ``ships_on`` (the same working days on the road)."""
        days = working_days_to(date.fromisoformat(entry["ships_on"]), date.fromisoformat(entry["arrives_on"]),
                               closed.national)
        return arrival_date(shipped_on=ships_on, transit_days=days, closed=closed.national)

    ships_on = from_release(location_id, 0 if pickup else None)
    if plan is None and not sources:
        return ships_on, ships_on if pickup else order.promised_date
    arrivals = [kept(legs[source], max(date.fromisoformat(legs[source]["ships_on"]), from_release(source)))
                for source in sources]
    if plan is not None:
        ships_on = max(ships_on, date.fromisoformat(plan["ships_on"]))
    if arrivals:
        ships_on = max(ships_on, sourcing.ready_after(arrivals, handling_days=0 if pickup else sites[location_id][2],
                                                      closed=closed.at(location_id)))
    if pickup:
        return ships_on, ships_on
    return ships_on, kept(plan, ships_on) if plan is not None else order.promised_date


# --- transfers feeding a shipment (pick-up store, consolidation) -----------------------------------------


def _transfer_items(moved: list[tuple[OrderLine, int]]) -> list[tuple[int, int]]:
    """(variant, quantity) a transfer carries for ``moved`` (line, units) pairs: kits travel as their components."""
    from inventory.models import KitComponent

    kits = [line.variant_id for line, _q in moved if line.variant.is_kit]
    components: dict[int, list[tuple[int, int]]] = {}
    for kit_id, component_id, qty in KitComponent.objects.filter(kit_id__in=kits).values_list(
            "kit_id", "component_id", "quantity"):
        components.setdefault(kit_id, []).append((component_id, qty))
    items: list[tuple[int, int]] = []
    for line, quantity in moved:
        if line.variant.is_kit:
            items += [(component_id, qty * quantity) for component_id, qty in components.get(line.variant_id, [])]
        else:
            items.append((line.variant_id, quantity))
    return items


def _send_inbound(order: Order, shipment: Shipment, *, source_id: int, moved: list[tuple[OrderLine, int]],
                  parts: dict[int, list[tuple[int, int]]], actor) -> None:
    """Hands the order's reservation of the ``moved`` (line, units) parts at ``source_id`` over to a new transfer
    to the shipment's location; those parts leave the lines' allocations (``parts`` is kept up to date)."""
    from inventory.services import StockLine, stock_release, transfer_create

    stock_release(lines=[StockLine(line.variant_id, source_id, quantity) for line, quantity in moved],
                  reference=f"order:{order.pk}", acting_user=actor)
    transfer = transfer_create(
        from_location_id=source_id, to_location_id=shipment.location_id, lines=_transfer_items(moved),
        acting_user=actor, reference=order.number[:64],
        notes=_("Items of order %(number)s for shipment %(shipment)s") % {"number": order.number, "shipment": shipment})
    InboundTransfer.objects.bulk_create([
        InboundTransfer(shipment=shipment, transfer=transfer, order_line=line, from_location_id=source_id,
                        quantity=quantity) for line, quantity in moved])
    for line, _quantity in moved:
        parts[line.pk] = [(loc, qty) for loc, qty in parts[line.pk] if loc != source_id]
    set_line_allocations({line.pk: parts[line.pk] for line, _q in moved})
    order_event(order=order, actor=actor, kind=OrderEvent.Kind.NOTE, data={"transfer_id": transfer.pk},
                reason=stored_text(
                    gettext_noop("%(transfer)s requested: %(source)s → %(destination)s for shipment %(shipment)s"),
                    transfer=transfer.number, source=transfer.from_location.name,
                    destination=shipment.location.name, shipment=str(shipment)))


def _settle_links(lines: dict[int, OrderLine], links: list[InboundTransfer], *, destination_id: int | None,
                  order: Order, actor) -> list[InboundTransfer]:
    """Reserves again for the order the units of ``links`` whose lines still lack them (at ``destination_id``
    on receipt; back at each link's source when ``None``, the transfer cancelled); returns those links.
    Units of lines cancelled or re-sourced meanwhile are not reserved: they stay on sale."""
    from inventory.services import StockLine, stock_reserve

    parts = line_parts(list(lines.values()))
    missing = {pk: line.quantity - sum(q for _loc, q in parts[pk]) for pk, line in lines.items()}
    wanted, stock = [], []
    for link in links:
        line = lines[link.order_line_id]
        if line.status != L.RESERVED or missing[line.pk] < link.quantity:
            continue
        location_id = destination_id or link.from_location_id
        missing[line.pk] -= link.quantity
        parts[line.pk] = [*parts[line.pk], (location_id, link.quantity)]
        wanted.append(link)
        stock.append(StockLine(line.variant_id, location_id, link.quantity))
    if wanted:
        stock_reserve(lines=stock, reference=f"order:{order.pk}", acting_user=actor, respect_safety_stock=False)
        set_line_allocations({link.order_line_id: parts[link.order_line_id] for link in wanted})
    return wanted


def transfer_hook(*, event: str, transfer, acting_user) -> None:
    """Called by ``inventory.services`` inside its transfer transactions (``INVENTORY_TRANSFER_HOOKS``)."""
    from inventory.errors import InvalidTransition as TransferRefused

    links = list(InboundTransfer.objects.filter(transfer=transfer, settled_at__isnull=True)
                 .select_related("shipment__order", "shipment__location", "order_line").order_by("pk"))
    if not links:
        return
    order = links[0].shipment.order
    if event == "cancelled":
        raise TransferRefused(_("%(transfer)s carries items of order %(number)s: cancel or change the order instead.")
                              % {"transfer": transfer.number, "number": order.number})
    # "shipped" writes nothing on the order side: the transfer's own state shows on the order and the shipment,
    # and touching order rows there could deadlock with a cancellation that waits for this transfer's lock.
    if event == "receiving":
        # Before the destination's stock rows: the order and its lines first, as a cancellation locks them (it
        # then releases the lines' stock, which may include rows of the same SKU at this store).
        lock_order(order.pk)
        _lock_link_lines(links)
    elif event == "received":
        _inbound_received(order, transfer, links, actor=acting_user)


def _lock_link_lines(links: list[InboundTransfer]) -> dict[int, OrderLine]:
    """The order lines the transfer links carry, locked in pk order: ``{line_id: line}``."""
    return {line.pk: line for line in OrderLine.objects.select_for_update(of=("self",))
            .filter(pk__in=[link.order_line_id for link in links]).order_by("pk")}


def _inbound_received(order: Order, transfer, links: list[InboundTransfer], *, actor) -> None:
    """The transfer arrived: its units are reserved for the order there (lines still waiting for them), and a
    shipment with nothing else on the way becomes pending (ready to pick). Units of cancelled or re-sourced
    lines simply stay on sale at the destination."""
    lines = _lock_link_lines(links)
    waiting = _settle_links(lines, links, destination_id=transfer.to_location_id, order=order, actor=actor)
    InboundTransfer.objects.filter(pk__in=[link.pk for link in links]).update(settled_at=timezone.now())
    reason = stored_text(gettext_noop("%(transfer)s received at %(destination)s"), transfer=transfer.number,
                         destination=transfer.to_location.name)
    if len(waiting) < len(links):
        reason = stored_join(" · ", [
            reason, stored_text(gettext_noop("items no longer needed by the order stay on sale there"))])
    order_event(order=order, actor=actor, kind=OrderEvent.Kind.NOTE, reason=reason, data={"transfer_id": transfer.pk})
    for shipment_id in sorted({link.shipment_id for link in links}):
        shipment = Shipment.objects.select_for_update(of=("self",)).get(pk=shipment_id)
        if shipment.status == SS.WAITING and not shipment.inbound.filter(settled_at__isnull=True).exists():
            shipment_transition(shipment, to=SS.PENDING, actor=actor, reason=reason)


def _give_up_inbound(order: Order, shipment: Shipment, *, actor) -> None:
    """A cancelled shipment no longer waits: transfers not yet shipped are cancelled (stock released at the
    source) and lines still active are reserved there again; a transfer already on the road arrives, and its
    units are reserved for lines still waiting for them (the order is released again after that)."""
    from inventory.models import Transfer
    from inventory.services import transfer_cancel

    links = list(shipment.inbound.filter(settled_at__isnull=True).select_related("order_line").order_by("pk"))
    by_transfer: dict[int, list[InboundTransfer]] = {}
    for link in links:
        by_transfer.setdefault(link.transfer_id, []).append(link)
    for transfer_id, group in sorted(by_transfer.items()):
        # In transit or received never goes back to requested, so those are skipped without waiting for the
        # transfer's lock (a receipt holding it waits for this order's lines: locking it here could deadlock).
        if Transfer.objects.filter(pk=transfer_id).values_list("status", flat=True).get() != Transfer.Status.REQUESTED:
            continue
        status = Transfer.objects.select_for_update(of=("self",)).values_list("status", flat=True).get(pk=transfer_id)
        if status != Transfer.Status.REQUESTED:
            continue  # shipped meanwhile (shipping writes nothing on the order side, so waiting for it was safe)
        InboundTransfer.objects.filter(pk__in=[link.pk for link in group]).update(settled_at=timezone.now())
        transfer_cancel(transfer_id=transfer_id, acting_user=actor)
        lines = _lock_link_lines(group)
        _settle_links(lines, group, destination_id=None, order=order, actor=actor)


def _waiting_error(shipment: Shipment) -> FulfilmentError:
    from inventory.models import Transfer

    numbers = [Transfer(pk=pk).number for pk in sorted(set(
        shipment.inbound.filter(settled_at__isnull=True).values_list("transfer_id", flat=True)))]
    return InvalidShipmentTransition(
        _("Shipment %(id)s waits for %(transfers)s: it can be picked once the items arrive.")
        % {"id": shipment, "transfers": ", ".join(numbers)})


def releasable_orders():
    """Confirmed orders the warehouse can take, most urgent first: something to ship (not gift cards only, e.g.
    waiting for a PIX) and no line waiting for stock. The beat job releases them; the queue lists them."""
    from orders.giftcards import ships_something

    return (Order.objects.filter(ships_something(), status=S.CONFIRMED).exclude(lines__status=L.BACKORDERED)
            .order_by("-priority", "placed_at", "pk"))


def allocate_confirmed(*, limit: int = 200) -> int:
    """Beat job: releases confirmed orders (with every line reserved) to the warehouses, most urgent first."""
    due = list(releasable_orders().values_list("pk", flat=True)[:limit])
    done = 0
    for order_id in due:
        try:
            order_allocate(order_id=order_id, acting_user=None)
            done += 1
        except FulfilmentError:
            continue
    return done


def backorders_retry(*, limit: int = 100) -> int:
    """Beat job: sources backordered lines again (stock may have arrived); an order whose lines are all
    reserved goes back to confirmed, and from there to the warehouse. Returns how many orders were freed.
    Urgent orders first, then by placing time: scarce stock goes to the order the agent marked as most pressing."""
    from orders.services.core import reserve_lines

    due = list(Order.objects.filter(status=S.BACKORDERED).order_by("-priority", "placed_at", "pk")
               .values_list("pk", flat=True)[:limit])
    freed = 0
    for order_id in due:
        with transaction.atomic(durable=True):
            order = lock_order(order_id, plans=True)
            if order.status != S.BACKORDERED:
                continue
            lines = lock_lines(order)
            waiting = [line for line in lines if line.status == L.BACKORDERED]
            if waiting:
                reserve_lines(order, waiting, actor=None, allow_backorder=True)
            if not any(line.status == L.BACKORDERED for line in lines):
                _order_transition(order, to=S.CONFIRMED, actor=None,
                                  reason=stored_text(gettext_noop("Backordered items now in stock")))
                freed += 1
    return freed


def shipments_after_cancel(order: Order, *, partial: bool, actor) -> None:
    """Hook of ``order_cancel``: open shipments are cancelled (their stock was released by the cancellation);
    after a partial cancellation an allocated order goes back to confirmed to be released again."""
    if shipments_cancel_open(order, actor=actor, reason=stored_text(gettext_noop("Order cancelled"))) and partial and (
            order.status == S.ALLOCATED):
        _order_transition(order, to=S.CONFIRMED, actor=actor,
                          reason=stored_text(gettext_noop("Lines cancelled: to be released again")))


def shipments_cancel_open(order: Order, *, actor=None, reason: "str | StoredText" = "") -> int:
    """Cancels an order's open shipments (edit during fulfilment; it is sourced again). Stock is released by
    the order's own services; returns how many were cancelled."""
    count = 0
    for shipment in Shipment.objects.select_for_update().filter(
            order=order, status__in=[SS.WAITING, SS.PENDING, SS.PICKING, SS.PACKED]).order_by("pk"):
        shipment_transition(shipment, to=SS.CANCELLED, actor=actor,
                            reason=reason or stored_text(gettext_noop("Order changed: re-sourced")))
        _give_up_inbound(order, shipment, actor=actor)
        count += 1
    return count


# --- pick, pack -----------------------------------------------------------------------------------------


def _lock_shipment(shipment_id: int) -> Shipment:
    return Shipment.objects.select_for_update(of=("self",)).select_related("order", "location").get(pk=shipment_id)


def _order_and_shipment(shipment_id: int) -> tuple[Order, Shipment]:
    order_id = Shipment.objects.values_list("order_id", flat=True).get(pk=shipment_id)
    order = lock_order(order_id)  # order first, then shipment: one lock order everywhere
    return order, _lock_shipment(shipment_id)


def _check_order_open(order: Order, shipment: Shipment, *, actor) -> None:
    if order.status == S.CANCELLED:
        if shipment.status in (SS.WAITING, SS.PENDING, SS.PICKING, SS.PACKED, SS.READY):
            shipment_transition(shipment, to=SS.CANCELLED, actor=actor,
                                reason=stored_text(gettext_noop("Order cancelled")))
            _give_up_inbound(order, shipment, actor=actor)
        raise FulfilmentError(_("Order %(number)s was cancelled: put the items back.") % {"number": order})


def shipment_start_picking(*, shipment_id: int, acting_user) -> Shipment:
    with transaction.atomic(durable=True):
        order, shipment = _order_and_shipment(shipment_id)
        _check_order_open(order, shipment, actor=acting_user)
        if shipment.status == SS.WAITING:
            raise _waiting_error(shipment)
        if shipment.status != SS.PICKING:
            shipment_transition(shipment, to=SS.PICKING, actor=acting_user)
    return shipment


def shipment_scan(*, shipment_id: int, code: str, acting_user) -> ShipmentLine:
    """Packs one unit of the item whose SKU or barcode was scanned; the shipment is packed when complete. A scan
    on a packed shipment packs nothing and says whether the unit is one too many or not in the shipment at all."""
    code = (code or "").strip()
    if not code:
        raise WrongItemScanned(_("Scan a SKU or barcode."))
    with transaction.atomic(durable=True):
        order, shipment = _order_and_shipment(shipment_id)
        _check_order_open(order, shipment, actor=acting_user)
        if shipment.status == SS.WAITING:
            raise _waiting_error(shipment)
        if shipment.status == SS.PENDING:
            shipment_transition(shipment, to=SS.PICKING, actor=acting_user)
        if shipment.status not in (SS.PICKING, SS.PACKED):
            raise InvalidShipmentTransition(_("Shipment %(id)s is %(status)s: nothing to pack.")
                                            % {"id": shipment, "status": shipment.get_status_display()})
        lines = list(shipment.lines.select_for_update().select_related("order_line__variant").order_by("pk"))
        matching = [sl for sl in lines if code.lower() in (sl.order_line.sku.lower(),
                                                            (sl.order_line.variant.barcode or "").lower())]
        if not matching:
            raise WrongItemScanned(_("%(code)s is not in shipment %(id)s.") % {"code": code, "id": shipment})
        target = next((sl for sl in matching if sl.packed_quantity < sl.quantity), None)
        if target is None:
            raise AlreadyPacked(_("All %(n)s × %(sku)s are already packed.") % {
                "n": sum(sl.quantity for sl in matching), "sku": matching[0].order_line.sku})
        ShipmentLine.objects.filter(pk=target.pk).update(packed_quantity=F("packed_quantity") + 1)
        target.packed_quantity += 1
        if all(sl.packed_quantity >= sl.quantity for sl in lines):
            shipment_transition(shipment, to=SS.PACKED, actor=acting_user,
                                reason=stored_text(gettext_noop("Every unit scanned")))
    return target


def shipment_unscan(*, shipment_id: int, line_id: int | None, acting_user) -> ShipmentLine:
    """Takes one unit of a line back out of the parcel: a scan counted by mistake (the unit went into another box, or
    one scan too many before the line was full). Only while the parcel is being packed or is packed and not handed
    over; a packed parcel is packing again, so it cannot ship short. Audited, and written in the shipment's history."""
    with transaction.atomic(durable=True):
        order, shipment = _order_and_shipment(shipment_id)
        _check_order_open(order, shipment, actor=acting_user)
        if not shipment.is_open:  # handed over (shipped, at the store, delivered) or cancelled
            raise InvalidShipmentTransition(
                _("Shipment %(id)s is %(status)s: its units can no longer be taken back.")
                % {"id": shipment, "status": shipment.get_status_display()})
        line = (shipment.lines.select_for_update(of=("self",)).select_related("order_line")
                .filter(pk=line_id or 0).first())
        if line is None:
            raise FulfilmentError(_("That line is not in shipment %(id)s.") % {"id": shipment}, field="line")
        sku = line.order_line.sku
        if line.packed_quantity == 0:
            raise FulfilmentError(_("No unit of %(sku)s is packed in shipment %(id)s: there is nothing to take back.")
                                  % {"sku": sku, "id": shipment}, field="line")
        ShipmentLine.objects.filter(pk=line.pk).update(packed_quantity=F("packed_quantity") - 1)
        line.packed_quantity -= 1
        reason = stored_text(gettext_noop("1 × %(sku)s taken back (%(n)s of %(q)s packed)"), sku=sku,
                             n=str(line.packed_quantity), q=str(line.quantity))
        if shipment.status == SS.PACKED:
            shipment_transition(shipment, to=SS.PICKING, actor=acting_user, reason=reason)
        else:
            shipment_event(shipment=shipment, actor=acting_user, reason=reason)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=shipment, verb="shipment_unscan",
                     changes={"sku": sku, "packed_quantity": [line.packed_quantity + 1, line.packed_quantity]})
    return line


# --- ship, deliver --------------------------------------------------------------------------------------


def _stock_lines(shipment: Shipment, shipment_lines):
    """What a shipment takes out of its location: each line's part reserved there."""
    from inventory.services import StockLine

    return [StockLine(variant_id=sl.order_line.variant_id, location_id=shipment.location_id,
                      quantity=sl.quantity) for sl in shipment_lines]


def _lines_after_hand_over(order_lines: list[OrderLine]) -> None:
    """Lines of a shipment that left: shipped once every part of them left; a split line with a part still
    in the warehouse is allocated meanwhile (its order is partially shipped)."""
    left = _units_by_line(order_lines, statuses=[SS.SHIPPED, SS.DELIVERED, SS.FAILED_DELIVERY, SS.READY],
                          shipped=True)
    reserved = [line for line in order_lines if line.status == L.RESERVED]
    if reserved:
        _line_transition(reserved, to=L.ALLOCATED)
    done = [line for line in order_lines if left.get(line.pk, 0) >= line.quantity]
    if done:
        _line_transition(done, to=L.SHIPPED)


def _lines_after_delivery(order_lines: list[OrderLine]) -> None:
    """Shipped lines are delivered once every part of them arrived (a split line waits for its last parcel)."""
    arrived = _units_by_line(order_lines, statuses=[SS.DELIVERED])
    done = [line for line in order_lines if line.status == L.SHIPPED and arrived.get(line.pk, 0) >= line.quantity]
    if done:
        _line_transition(done, to=L.DELIVERED)


def _units_by_line(order_lines: list[OrderLine], *, statuses, shipped: bool = False) -> dict[int, int]:
    qs = ShipmentLine.objects.filter(order_line__in=[line.pk for line in order_lines], shipment__status__in=statuses)
    if shipped:
        qs = qs.filter(shipment__shipped_at__isnull=False)
    units: dict[int, int] = {}
    for line_id, quantity in qs.values_list("order_line_id", "quantity"):
        units[line_id] = units.get(line_id, 0) + quantity
    return units


def _capture_amount(order: Order, shipment: Shipment, lines: list[ShipmentLine]) -> Decimal:
    """This shipment's share of the order total (by line value); the last shipment takes the remainder."""
    active = [line for line in order.lines.all() if line.status != L.CANCELLED]
    value = sum((line.line_total for line in active), Decimal(0))
    captured = sum(Shipment.objects.filter(order=order).exclude(pk=shipment.pk)
                   .values_list("captured_amount", flat=True), Decimal(0))
    others_open = Shipment.objects.filter(order=order).exclude(pk=shipment.pk).exclude(
        status__in=[SS.SHIPPED, SS.DELIVERED, SS.FAILED_DELIVERY, SS.CANCELLED]).exists()
    if not others_open or not value:
        return quantize(max(order.total - captured, Decimal(0)), order.currency)
    mine = sum((sl.order_line.line_total * sl.quantity / sl.order_line.quantity for sl in lines), Decimal(0))
    return quantize(order.total * mine / value, order.currency)


def shipment_ship(*, shipment_id: int, carrier: str, tracking_number: str, acting_user, service: str = "",
                  cost: Decimal | None = None) -> Shipment:
    """Hands a packed shipment to the carrier: consumes its reserved stock, moves lines and order on, then
    captures the shipment's share of the payment (outside the stock transaction)."""
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier:
        raise FulfilmentError(_("Give the carrier."), field="carrier")
    if not tracking_number:
        raise FulfilmentError(_("Give the tracking number."), field="tracking_number")
    if cost is not None and cost < 0:
        raise FulfilmentError(_("The cost cannot be negative."), field="cost")
    with transaction.atomic(durable=True):
        order, shipment = _order_and_shipment(shipment_id)
        _check_order_open(order, shipment, actor=acting_user)
        if shipment.kind == Shipment.Kind.PICKUP:
            raise FulfilmentError(_("A pick-up order is handed over at the store, not shipped."))
        _hand_over(order, shipment, actor=acting_user, to=SS.SHIPPED, fields={
            "carrier": carrier[:40], "tracking_number": tracking_number[:60],
            "service": (service or shipment.service)[:40],
            "cost": cost if cost is not None else shipment.cost, "shipped_at": timezone.now()})
    _capture(shipment.pk, actor=acting_user)
    shipment.refresh_from_db()
    return shipment


def _hand_over(order: Order, shipment: Shipment, *, actor, to: str, fields: dict) -> None:
    from inventory.services import stock_consume

    if shipment.status in (SS.SHIPPED, SS.DELIVERED, SS.FAILED_DELIVERY):  # the form sent again
        raise InvalidShipmentTransition(_("Shipment %(id)s was already shipped (%(carrier)s %(tracking)s).")
                                        % {"id": shipment, "carrier": shipment.carrier,
                                           "tracking": shipment.tracking_number})
    if shipment.status != SS.PACKED:
        raise InvalidShipmentTransition(_("Shipment %(id)s is %(status)s: pack it first.")
                                        % {"id": shipment, "status": shipment.get_status_display()})
    lock_lines(order)
    lines = list(shipment.lines.select_related("order_line"))
    stock_consume(lines=_stock_lines(shipment, lines), reference=f"shipment:{shipment.pk}", acting_user=actor)
    post_shipment_revenue(shipment=shipment, acting_user=actor)
    order_lines = [sl.order_line for sl in lines]
    amount = _capture_amount(order, shipment, lines)
    shipment_transition(shipment, to=to, actor=actor, data={"capture": str(amount)}, **fields)
    _lines_after_hand_over(order_lines)
    open_left = _unshipped_exists(order)
    target = S.PARTIALLY_SHIPPED if open_left else S.SHIPPED
    if order.status != target:
        _order_transition(order, to=target, actor=actor,
                          reason=stored_text(gettext_noop("Shipment %(id)s"), id=str(shipment)))
    _milestone(order, first_shipped_at=timezone.now())
    if target == S.SHIPPED:
        _milestone(order, shipped_at=timezone.now())


def _unshipped_exists(order: Order) -> bool:
    """Some shipment of the order has not left its location (a transfer waiting at the store has)."""
    return (Shipment.objects.filter(order=order, status__in=[SS.WAITING, SS.PENDING, SS.PICKING, SS.PACKED, SS.READY])
            .exclude(kind=Shipment.Kind.TRANSFER, status=SS.READY).exists())


def _capture(shipment_id: int, *, actor) -> Decimal:
    """Captures the shipment's share (recorded on its history) from the order's authorized payments."""
    from payments.services import payments_capture_up_to

    shipment = Shipment.objects.get(pk=shipment_id)
    event = shipment.events.filter(to_status__in=[SS.SHIPPED, SS.DELIVERED]).exclude(data={}).first()
    wanted = Decimal((event.data or {}).get("capture", "0")) if event else Decimal(0)
    captured, refused = payments_capture_up_to(
        order_id=shipment.order_id, amount=wanted - shipment.captured_amount, acting_user=actor,
        reference_for=lambda payment_id: f"shipment:{shipment.pk}:{payment_id}")
    if refused:
        shipment_event(shipment=shipment, actor=actor, data={"code": refused.code},
                       reason=stored_text(gettext_noop("Capture failed: %(m)s"), m=refused.message))
    if captured:
        Shipment.objects.filter(pk=shipment.pk).update(captured_amount=F("captured_amount") + captured)
    return captured


def shipment_deliver(*, shipment_id: int, acting_user, when: datetime | None = None) -> Shipment:
    with transaction.atomic(durable=True):
        order, shipment = _order_and_shipment(shipment_id)
        _deliver(order, shipment, actor=acting_user, when=when or timezone.now())
    return shipment


def _back_on_the_road(order: Order, shipment: Shipment, *, actor, reason: StoredText) -> None:
    """A failed delivery is out with the carrier again; the order leaves “delivery failed” once none of its
    shipments is still failed (an order partially shipped never entered it)."""
    shipment_transition(shipment, to=SS.SHIPPED, actor=actor, reason=reason)
    if order.status == S.DELIVERY_FAILED and not Shipment.objects.filter(
            order=order, status=SS.FAILED_DELIVERY).exists():
        _order_transition(order, to=S.SHIPPED, actor=actor, reason=reason)


def _deliver(order: Order, shipment: Shipment, *, actor, when: datetime) -> None:
    if shipment.status == SS.READY:
        # Waiting at the store: only the collection hands it over (it consumes the stock and captures the payment).
        store = order.pickup_location if order.pickup_location_id else shipment.location
        raise InvalidShipmentTransition(_("Shipment %(id)s waits at %(store)s for the customer: confirm the pick-up "
                                          "when they collect it.") % {"id": shipment, "store": store.name})
    if shipment.status == SS.FAILED_DELIVERY:
        _back_on_the_road(order, shipment, actor=actor,
                          reason=stored_text(gettext_noop("Delivered on a later attempt")))
    shipment_transition(shipment, to=SS.DELIVERED, actor=actor, delivered_at=when)
    _lines_after_delivery([sl.order_line for sl in shipment.lines.select_related("order_line")])
    undelivered = Shipment.objects.filter(order=order).exclude(status__in=[SS.DELIVERED, SS.CANCELLED]).exists()
    if not undelivered and order.status == S.SHIPPED:
        _order_transition(order, to=S.DELIVERED, actor=actor)
        _milestone(order, delivered_at=when)
    shipment_delivered_notice(order, shipment, when=when)


def shipment_fail(*, shipment_id: int, reason: str, acting_user) -> Shipment:
    reason = (reason or "").strip()
    if not reason:
        raise FulfilmentError(_("Give the reason the delivery failed."), field="reason")
    with transaction.atomic(durable=True):
        order, shipment = _order_and_shipment(shipment_id)
        _fail(order, shipment, reason=reason, actor=acting_user)
    return shipment


def _fail(order: Order, shipment: Shipment, *, reason: str, actor) -> None:
    shipment_transition(shipment, to=SS.FAILED_DELIVERY, actor=actor, reason=reason, failure_reason=reason[:200],
                        attempts=shipment.attempts + 1)
    if order.status == S.SHIPPED:
        _order_transition(order, to=S.DELIVERY_FAILED, actor=actor, reason=reason)


def shipment_retry(*, shipment_id: int, acting_user) -> Shipment:
    """Sends a failed delivery out again (the carrier tries once more)."""
    with transaction.atomic(durable=True):
        order, shipment = _order_and_shipment(shipment_id)
        if shipment.status != SS.FAILED_DELIVERY:
            raise InvalidShipmentTransition(_("Shipment %(id)s is %(status)s: only a failed delivery is retried.")
                                            % {"id": shipment, "status": shipment.get_status_display()})
        _back_on_the_road(order, shipment, actor=acting_user, reason=stored_text(gettext_noop("Delivery retried")))
    return shipment


# --- store pick-up --------------------------------------------------------------------------------------


def pickup_ready(*, shipment_id: int, acting_user, days: int | None = None) -> Shipment:
    """A packed pick-up order is waiting at the store: the customer is e-mailed; it expires after ``days``."""
    days = days or getattr(settings, "FULFILMENT_PICKUP_DAYS", PICKUP_DAYS)
    with transaction.atomic(durable=True):
        order, shipment = _order_and_shipment(shipment_id)
        _check_order_open(order, shipment, actor=acting_user)
        if shipment.kind == Shipment.Kind.SHIP:
            raise FulfilmentError(_("Shipment %(id)s is not a store pick-up.") % {"id": shipment})
        if shipment.status == SS.WAITING:
            raise _waiting_error(shipment)
        now = timezone.now()
        reason = stored_text(gettext_noop("Arrived at %(store)s"), store=order.pickup_location.name) if (
            shipment.kind == Shipment.Kind.TRANSFER) else ""
        shipment_transition(shipment, to=SS.READY, actor=acting_user, ready_at=now,
                            expires_at=now + timedelta(days=days), reason=reason)
        if tells_customer(order):  # a shop that tells its own customers tells them this too
            email_customer(order, **pickup_ready_email(order, shipment))
    return shipment


def pickup_confirm(*, shipment_id: int, acting_user) -> Shipment:
    """The customer collected the order: stock consumed, order shipped and delivered, payment captured."""
    with transaction.atomic(durable=True):
        order, shipment = _order_and_shipment(shipment_id)
        _check_order_open(order, shipment, actor=acting_user)
        if shipment.status != SS.READY:
            raise InvalidShipmentTransition(_("Shipment %(id)s is not ready for pick-up.") % {"id": shipment})
        now = timezone.now()
        lock_lines(order)
        lines = list(shipment.lines.select_related("order_line"))
        order_lines = [sl.order_line for sl in lines]
        if shipment.kind == Shipment.Kind.TRANSFER:
            # Consumed at the source and captured when it left; the customer now collects it.
            shipment_transition(shipment, to=SS.DELIVERED, actor=acting_user, picked_up_at=now, delivered_at=now)
        else:
            # READY -> DELIVERED in one step: consume here (_hand_over wants a packed parcel).
            from inventory.services import stock_consume

            stock_consume(lines=_stock_lines(shipment, lines), reference=f"shipment:{shipment.pk}",
                          acting_user=acting_user)
            post_shipment_revenue(shipment=shipment, acting_user=acting_user)
            amount = _capture_amount(order, shipment, lines)
            shipment_transition(shipment, to=SS.DELIVERED, actor=acting_user, data={"capture": str(amount)},
                                picked_up_at=now, delivered_at=now, shipped_at=now)
            _lines_after_hand_over(order_lines)
        _lines_after_delivery(order_lines)
        open_left = _unshipped_exists(order)
        target = S.PARTIALLY_SHIPPED if open_left else S.SHIPPED
        if order.status != target:
            _order_transition(order, to=target, actor=acting_user, reason=stored_text(
                gettext_noop("Picked up at %(store)s"), store=shipment.location.name))
        if not open_left and not Shipment.objects.filter(order=order, status__in=[
                SS.SHIPPED, SS.FAILED_DELIVERY, SS.READY]).exists():
            _order_transition(order, to=S.DELIVERED, actor=acting_user)
            _milestone(order, first_shipped_at=now, shipped_at=now, delivered_at=now)
    _capture(shipment.pk, actor=acting_user)
    shipment.refresh_from_db()
    return shipment


def expire_pickups(*, now: datetime | None = None) -> int:
    """Beat job: pick-ups not collected in time are cancelled and their stock goes back on sale."""
    from orders.services import order_cancel

    now = now or timezone.now()
    due = list(Shipment.objects.filter(status=SS.READY, expires_at__lt=now).values_list("pk", flat=True))
    expired = 0
    for shipment_id in due:
        with transaction.atomic(durable=True):
            order, shipment = _order_and_shipment(shipment_id)
            if shipment.status != SS.READY or not shipment.expires_at or shipment.expires_at >= now:
                continue
            shipment_transition(shipment, to=SS.CANCELLED, actor=None,
                                reason=stored_text(gettext_noop("Not picked up in time")))
            line_ids = list(shipment.lines.values_list("order_line_id", flat=True))
            if shipment.kind == Shipment.Kind.TRANSFER:
                from inventory.services import StockLine, stock_return

                stock_return(lines=[StockLine(sl.order_line.variant_id, order.pickup_location_id, sl.quantity)
                                    for sl in shipment.lines.select_related("order_line")],
                             reference=f"shipment:{shipment.pk}", acting_user=None)
                order_event(order=order, kind=OrderEvent.Kind.NOTE, reason=stored_text(gettext_noop(
                    "Not picked up in time: the transferred items are back in stock at %(store)s; refund them "
                    "through a return"), store=order.pickup_location.name))
        if order.status in (S.ALLOCATED, S.CONFIRMED):
            order_cancel(order_id=order.pk, reason=stored_text(gettext_noop("Not picked up in time")), acting_user=None,
                         line_ids=line_ids)
        expired += 1
    return expired


# --- carrier updates ------------------------------------------------------------------------------------


CARRIER_COLUMNS = ("tracking_number", "status", "reason")


def carrier_update_csv(*, content: str, acting_user) -> int:
    """Applies a carrier status file (``tracking_number,status,reason``; status delivered or failed); returns how
    many shipments changed.

    All-or-nothing: any bad row raises ``CarrierFileError`` listing every problem, and nothing is applied. A row
    the shipment already shows (delivered, or failed and not yet sent out again) changes nothing, so the same file
    twice, or a carrier's file repeating yesterday's rows, is harmless. A tracking number on more than one
    shipment out with the carrier is refused: which order arrived cannot be told from the file.
    """
    import csv
    import io

    if "\x00" in content:
        message = _("The file contains NUL characters: it is not a CSV text file.")
        raise CarrierFileError(message, rows=[(1, message)])
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    try:
        missing = [c for c in CARRIER_COLUMNS[:2] if c not in (reader.fieldnames or [])]
        # (line in the file, cells); a blank line, or a spreadsheet's empty row (",,"), is not a row
        lines = [(reader.line_num, row) for row in reader
                 if any(str(value or "").strip() for key, value in row.items() if key is not None)
                 or any(str(value).strip() for value in row.get(None) or ())]
    except csv.Error as exc:  # a cell over the csv module's limit (128 KiB), a broken quote
        message = _("The file is not a readable CSV file (line %(line)s).") % {"line": reader.line_num}
        raise CarrierFileError(message, rows=[(reader.line_num, message)]) from exc
    if missing:
        raise CarrierFileError(_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)},
                               rows=[(1, _("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)})])
    if not lines:
        raise CarrierFileError(_("The file has no rows."), rows=[(1, _("The file has no rows."))])
    problems: list[tuple[int, str]] = []
    parsed: list[tuple[int, str, str]] = []
    numbers = [(r.get("tracking_number") or "").strip() for _line, r in lines]
    by_number: dict[str, list[Shipment]] = {}
    for found in sorted(Shipment.objects.filter(tracking_number__in=numbers), key=lambda x: -x.pk):  # latest first
        by_number.setdefault(found.tracking_number, []).append(found)
    out = (SS.SHIPPED, SS.FAILED_DELIVERY)
    first_row: dict[str, int] = {}
    for number, row in lines:
        tracking = (row.get("tracking_number") or "").strip()
        status = (row.get("status") or "").strip().lower()
        reason = (row.get("reason") or "").strip()
        matches = by_number.get(tracking, [])
        on_the_road = [found for found in matches if found.status in out]
        shipment = on_the_road[0] if on_the_road else (matches[0] if matches else None)  # else the latest
        if tracking in first_row:
            problems.append((number, _("%(t)s is already on row %(row)s: one row per shipment.")
                             % {"t": tracking, "row": first_row[tracking]}))
            continue
        first_row[tracking] = number
        if shipment is None:
            problems.append((number, _("Unknown tracking number “%(t)s”.") % {"t": tracking}))
        elif status not in ("delivered", "failed"):
            problems.append((number, _("Status must be delivered or failed, not “%(s)s”.") % {"s": status}))
        elif status == "failed" and not reason:
            problems.append((number, _("A failed delivery needs a reason.")))
        elif len(on_the_road) > 1:
            problems.append((number, _("%(t)s is the tracking number of shipments %(ids)s: update each on its page.")
                             % {"t": tracking, "ids": ", ".join(str(found) for found in reversed(on_the_road))}))
        elif (status, shipment.status) in (("delivered", SS.DELIVERED), ("failed", SS.FAILED_DELIVERY)):
            continue  # already shows it (the file was applied before)
        elif shipment.status not in out or (status == "failed" and shipment.status != SS.SHIPPED):
            problems.append((number, _("Shipment with %(t)s is %(s)s.") % {"t": tracking,
                                                                           "s": shipment.get_status_display()}))
        else:
            parsed.append((shipment.pk, status, reason, number))
    if problems:
        raise CarrierFileError(rows=problems)
    with transaction.atomic(durable=True):
        for shipment_id, status, reason, number in sorted(parsed):
            order, shipment = _order_and_shipment(shipment_id)
            try:
                if status == "delivered":
                    _deliver(order, shipment, actor=acting_user, when=timezone.now())
                else:
                    _fail(order, shipment, reason=reason, actor=acting_user)
            except InvalidShipmentTransition as exc:  # changed meanwhile (another file, a person): nothing applied
                raise CarrierFileError(rows=[(number, exc.message)]) from exc
    return len(parsed)


# --- returns --------------------------------------------------------------------------------------------


RETURNABLE = {S.SHIPPED, S.DELIVERED, S.COMPLETED, S.PARTIALLY_RETURNED, S.DELIVERY_FAILED, S.PARTIALLY_SHIPPED}


def returnable_quantities(order: Order) -> dict[int, int]:
    """Per order line: units shipped minus units already on a return that was not rejected."""
    shipped = {}
    for line_id, qty in ShipmentLine.objects.filter(
            shipment__order=order, shipment__status__in=[SS.SHIPPED, SS.DELIVERED, SS.FAILED_DELIVERY]
    ).values_list("order_line_id", "quantity"):
        shipped[line_id] = shipped.get(line_id, 0) + qty
    for line_id, qty in ReturnLine.objects.filter(rma__order=order).exclude(rma__status=RS.REJECTED).values_list(
            "order_line_id", "quantity"):
        shipped[line_id] = shipped.get(line_id, 0) - qty
    return {k: v for k, v in shipped.items() if v > 0}


def return_request(*, order_id: int, lines: list[tuple[int, int, str]], acting_user, note: str = "",
                   request_key: str | None = None) -> Return:
    """Opens an RMA for ``[(order_line_id, quantity, reason code)]`` (quantities within what was shipped).

    ``request_key`` names the form copy it comes from: the same copy sent twice returns the first return (a double
    click opened two returns of the same units when fewer than all were returned)."""
    lines = [(lid, qty, reason) for lid, qty, reason in lines if qty]
    if not lines:
        raise InvalidReturn(_("Choose at least one item to return."), field="lines")
    if len(note or "") > NOTE_LENGTH:
        raise InvalidReturn(_("The note has %(n)s characters; at most %(max)s fit.")
                            % {"n": len(note), "max": NOTE_LENGTH}, field="note")
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        if (sent_before := created_by_request(Return, request_key)) is not None:
            return sent_before
        if order.status not in RETURNABLE:
            raise InvalidReturn(_("Order %(number)s is %(status)s: nothing to return.")
                                % {"number": order, "status": order.get_status_display()})
        skus = {line.pk: line.sku for line in lock_lines(order)}
        allowed = returnable_quantities(order)
        for line_id, qty, reason in lines:
            if qty < 0:
                raise InvalidReturn(_("A quantity to return cannot be negative."), field="lines")
            if qty > allowed.get(line_id, 0):
                raise InvalidReturn(_("At most %(n)s of %(sku)s can be returned.")
                                    % {"n": allowed.get(line_id, 0), "sku": skus.get(line_id, "")}, field="lines")
            if reason not in ReturnLine.Reason.values:  # the form has no default: the customer's reason is asked
                raise InvalidReturn(_("Choose why %(sku)s is returned.") % {"sku": skus.get(line_id, "")},
                                    field="lines")
        rma = Return.objects.create(order=order, note=note or "", requested_by=_user(acting_user),
                                    request_key=request_key or None)
        ReturnLine.objects.bulk_create([ReturnLine(rma=rma, order_line_id=lid, quantity=qty, reason=reason)
                                        for lid, qty, reason in lines])
        order_event(order=order, actor=acting_user, kind=OrderEvent.Kind.NOTE,
                    reason=stored_text(gettext_noop("%(rma)s requested"), rma=str(rma)), data={"return_id": rma.pk})
    return rma


def _lock_return(return_id: int) -> tuple[Order, Return]:
    order_id = Return.objects.values_list("order_id", flat=True).get(pk=return_id)
    order = lock_order(order_id)
    rma = Return.objects.select_for_update(of=("self",)).get(pk=return_id)
    rma.order = order
    return order, rma


def return_approve(*, return_id: int, acting_user, approve: bool = True, reason: str = "") -> Return:
    with transaction.atomic(durable=True):
        _order, rma = _lock_return(return_id)
        if approve:
            return_transition(rma, to=RS.APPROVED, actor=acting_user, reason=reason, approved_at=timezone.now())
        else:
            if not (reason or "").strip():
                raise InvalidReturn(_("Give a reason for the rejection."), field="reason")
            return_transition(rma, to=RS.REJECTED, actor=acting_user, reason=reason, closed_at=timezone.now())
    return rma


def return_receive(*, return_id: int, location_id: int, acting_user) -> Return:
    from inventory.models import Location

    if not Location.objects.filter(pk=location_id, is_active=True).exists():
        raise InvalidReturn(_("Choose where the goods arrived."), field="location")
    with transaction.atomic(durable=True):
        order, rma = _lock_return(return_id)
        return_transition(rma, to=RS.RECEIVED, actor=acting_user, location_id=location_id,
                          received_at=timezone.now())
        return_received_notice(order, rma, refund=return_value(rma))
    return rma


def return_inspect(*, return_id: int, conditions: dict[int, str], acting_user) -> Return:
    """Records each line's condition; ``resell`` units go back on hand at the receiving location through the
    ledger, ``refurbish``/``damaged`` are written off. Ends restocked (anything restocked) or written off."""
    from inventory.services import StockLine, stock_return

    with transaction.atomic(durable=True):
        _order, rma = _lock_return(return_id)
        lines = list(rma.lines.select_related("order_line").order_by("pk"))
        if set(conditions) != {rl.pk for rl in lines} or any(
                c not in ReturnLine.Condition.values for c in conditions.values()):
            raise InvalidReturn(_("Give the condition of every item."), field="conditions")
        return_transition(rma, to=RS.INSPECTED, actor=acting_user, inspected_at=timezone.now())
        restock = []
        for rl in lines:
            rl.condition = conditions[rl.pk]
            if rl.condition == ReturnLine.Condition.RESELL:
                rl.restocked_quantity = rl.quantity
                restock.append(StockLine(variant_id=rl.order_line.variant_id, location_id=rma.location_id,
                                         quantity=rl.quantity))
        ReturnLine.objects.bulk_update(lines, ["condition", "restocked_quantity"])
        if restock:
            stock_return(lines=restock, reference=f"return:{rma.pk}", acting_user=acting_user)
            post_return_restock(rma=rma, acting_user=acting_user)
        return_transition(rma, to=RS.RESTOCKED if restock else RS.WRITTEN_OFF, actor=acting_user)
    return rma


def _check_inspected(rma: Return, not_yet: str) -> None:
    """A return is refunded or exchanged once inspected. A closed one says so (the form sent again from the page
    before, a second tab): it was told "inspect it before refunding" after its refund."""
    if rma.status in (RS.REFUNDED, RS.EXCHANGED, RS.REJECTED):
        raise InvalidReturn(_("%(rma)s is already closed (%(status)s): nothing more to do.")
                            % {"rma": rma, "status": rma.get_status_display()})
    if rma.status not in (RS.RESTOCKED, RS.WRITTEN_OFF):
        raise InvalidReturn(not_yet % {"rma": rma, "status": rma.get_status_display()})


def return_value(rma: Return) -> Decimal:
    """What the returned units cost the customer: their share of each line's total after what the order's other
    returns refunded of it (``return_shares``); a refunded return's value is what it refunded."""
    if rma.status == RS.REFUNDED:
        return rma.refund_amount
    return quantize(sum((value for _rl, value, _tax in return_shares(rma)), Decimal(0)), rma.order.currency)


def _refunded_to_payments(rma: Return) -> dict[int, Decimal]:
    """What earlier attempts to refund this return already gave back, per payment (``return:<id>:<payment>``)."""
    from payments.models import PaymentTransaction

    done: dict[int, Decimal] = {}
    for payment_id, amount in PaymentTransaction.objects.filter(
            kind=PaymentTransaction.Kind.REFUND, result=PaymentTransaction.Result.SUCCESS,
            reference__startswith=f"return:{rma.pk}:").values_list("payment_id", "amount"):
        done[payment_id] = done.get(payment_id, Decimal(0)) + amount
    return done


def _received_and_given_back(order: Order) -> tuple[Decimal, Decimal]:
    """What the order's payments received (captured), and what its returns gave back of it: their refunds to the
    payments and the store credit they issued (a replacement card, holding the same credit, not twice). A refund
    by hand (goodwill) is a gesture of its own and does not count against a return."""
    from django.db.models import Sum

    from payments.models import GiftCard, Payment, PaymentTransaction

    received = Payment.objects.filter(order_id=order.pk).aggregate(s=Sum("captured_amount"))["s"] or Decimal(0)
    refunded = PaymentTransaction.objects.filter(
        payment__order_id=order.pk, kind=PaymentTransaction.Kind.REFUND, result=PaymentTransaction.Result.SUCCESS,
        reference__startswith="return:").aggregate(s=Sum("amount"))["s"] or Decimal(0)
    credited = GiftCard.objects.filter(
        kind=GiftCard.Kind.STORE_CREDIT, replaces__isnull=True,
        reference__in=[f"return:{pk}" for pk in Return.objects.filter(order=order).values_list("pk", flat=True)],
    ).aggregate(s=Sum("initial_amount"))["s"] or Decimal(0)
    return received, refunded + credited


@contextmanager
def _refunding(return_id: int):
    """One refund of a return at a time. The refund to the payments calls the processor with no row lock held, so a
    second refund of the same return meanwhile (another agent, another tab, the other method) read nothing given back
    yet and gave the value again: to the card and as store credit. A session advisory lock on the return, tried and
    not waited for, refuses the second one; nobody else waits on it."""
    key = f"orders.return_refund:{return_id}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key])
        claimed = cursor.fetchone()[0]
    if not claimed:
        raise InvalidReturn(_("%(rma)s is being refunded by someone else right now: nothing was done. Reload the page "
                              "in a moment to see how it was refunded.") % {"rma": Return(pk=return_id)})
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])


def return_refund(*, return_id: int, acting_user, method: str = "original") -> Return:
    """Refunds the returned value: to the original payments (``original``) or as store credit.

    When the payments hold less than the value, what they held goes back to them and the refusal asks for the rest
    as store credit: the store credit is then the value less what the payments already gave back.
    """
    if method not in ("original", "store_credit"):
        raise InvalidReturn(_("Choose how to refund."), field="method")
    with _refunding(return_id):
        return _return_refund(return_id=return_id, acting_user=acting_user, method=method)


def _return_refund(*, return_id: int, acting_user, method: str) -> Return:
    from payments.errors import PaymentError
    from payments.models import GiftCard, Payment
    from payments.services import STORED_VALUE_METHODS, giftcard_issue, payment_refund

    rma = Return.objects.select_related("order").get(pk=return_id)
    _check_inspected(rma, _("%(rma)s is %(status)s: inspect it before refunding."))
    amount = return_value(rma)
    done = _refunded_to_payments(rma)
    if method == "store_credit" and sum(done.values(), Decimal(0)) < amount:
        with transaction.atomic(durable=True):
            _order, rma = _lock_return(return_id)
            if rma.status in (RS.REFUNDED, RS.EXCHANGED):
                return rma
            credit = amount - sum(done.values(), Decimal(0))
            received, given = _received_and_given_back(rma.order)
            if credit > received - given:
                currency = rma.order.currency
                raise InvalidReturn(
                    _("Order %(number)s received %(received)s on its payments and its returns already gave back "
                      "%(given)s of it: a store credit of %(credit)s would give back money never received. A payment "
                      "still pending (PIX, boleto, cash on delivery) counts once it is marked received.")
                    % {"number": rma.order, "received": money(received, currency), "given": money(given, currency),
                       "credit": money(credit, currency)}, field="method")
            card, code = giftcard_issue(amount=credit, currency=rma.order.currency, kind=GiftCard.Kind.STORE_CREDIT,
                                        source="refund", reference=f"return:{rma.pk}", acting_user=acting_user)
            _close_refund(rma, amount=amount, method="store_credit", actor=acting_user,
                          note=stored_text(gettext_noop("Store credit ••••%(last4)s"), last4=card.last4))
            for to in recipient(rma.order.email, rma.order.customer_language):
                # Sent after the commit and never through the outbox: like a gift card's, the code is not kept.
                transaction.on_commit(partial(
                    email_send_now, to=to, subject=stored_text(gettext_noop("Store credit for %(rma)s"), rma=str(rma)),
                    body=stored_join("\n\n", [
                        stored_text(gettext_noop("Your store credit of %(amount)s for %(rma)s is ready."),
                                    amount=StoredMoney(credit, card.currency), rma=str(rma)),
                        stored_text(gettext_noop("Your store credit code is %(code)s."), code=code)])),
                    robust=True)
        return rma
    remaining = amount - sum(done.values(), Decimal(0))
    # Money goes back as it does after an edit (``settle_to_amount``) or a gift card's refund: to the card, PIX and the
    # other money first, gift cards and store credit last (it went back onto the gift card of a split payment first).
    payments = sorted(Payment.objects.filter(order_id=rma.order_id),
                      key=lambda p: (p.method in STORED_VALUE_METHODS, p.pk))
    for payment in payments:
        if remaining <= 0:
            break
        if payment.pk in done:
            continue  # this return's refund on it went through on an earlier attempt
        refundable = payment.captured_amount - payment.refunded_amount
        take = min(refundable, remaining)
        if take <= 0:
            continue
        try:
            payment_refund(payment_id=payment.pk, amount=take, reason=str(rma), acting_user=acting_user,
                           reference=f"return:{rma.pk}:{payment.pk}")
        except PaymentError as exc:
            raise InvalidReturn(exc.message)
        remaining -= take
    if remaining > 0:
        raise InvalidReturn(_("Only %(paid)s was paid on this order; refund the rest as store credit.")
                            % {"paid": money(amount - remaining, rma.order.currency)})
    with transaction.atomic(durable=True):
        _order, rma = _lock_return(return_id)
        if rma.status not in (RS.REFUNDED, RS.EXCHANGED):
            _close_refund(rma, amount=amount, method="original", actor=acting_user, note="")
    return rma


def _close_refund(rma: Return, *, amount: Decimal, method: str, actor, note: "str | StoredText") -> None:
    return_transition(rma, to=RS.REFUNDED, actor=actor, reason=note, refund_amount=amount, refund_method=method,
                      closed_at=timezone.now())
    post_return(rma=rma, amount=amount, acting_user=actor)
    audit_record(actor=actor, action=AuditEntry.Action.ACTION, obj=rma.order, verb="return_refund",
                 changes={"return": rma.pk, "amount": str(amount), "method": method})
    _mark_returned(rma, actor=actor)


def _mark_returned(rma: Return, *, actor) -> None:
    order = rma.order
    lines = lock_lines(order)
    returned: dict[int, int] = {}
    for line_id, qty in ReturnLine.objects.filter(rma__order=order, rma__status__in=[
            RS.REFUNDED, RS.EXCHANGED]).values_list("order_line_id", "quantity"):
        returned[line_id] = returned.get(line_id, 0) + qty
    fully = [line for line in lines if line.status in (L.SHIPPED, L.DELIVERED)
             and returned.get(line.pk, 0) >= line.quantity]
    if fully:
        _line_transition(fully, to=L.RETURNED)
    active = [line for line in lines if line.status != L.CANCELLED]
    target = S.RETURNED if all(line.status == L.RETURNED for line in active) else S.PARTIALLY_RETURNED
    if order.status != target and target in allowed_targets(order.status):
        _order_transition(order, to=target, actor=actor, reason=str(rma))


def return_exchange(*, return_id: int, acting_user) -> Order:
    """Closes the return as an exchange: a new draft for the same customer with the same items, linked to it,
    for the agent to adjust and place (priced at zero difference is the agent's call)."""
    from orders.services import draft_create, draft_discard, draft_line_add

    rma = Return.objects.select_related("order").get(pk=return_id)
    not_yet = _("%(rma)s is %(status)s: inspect it first.")
    _check_inspected(rma, not_yet)
    draft = draft_create(channel_id=rma.order.channel_id, acting_user=acting_user, customer_id=rma.order.customer_id)
    for rl in rma.lines.select_related("order_line"):
        draft_line_add(order_id=draft.pk, variant_id=rl.order_line.variant_id, quantity=rl.quantity,
                       acting_user=acting_user)
    try:
        with transaction.atomic(durable=True):
            _order, rma = _lock_return(return_id)
            _check_inspected(rma, not_yet)  # the same exchange sent twice at once: the other one closed it
            return_transition(rma, to=RS.EXCHANGED, actor=acting_user, exchange_order_id=draft.pk,
                              closed_at=timezone.now(),
                              reason=stored_text(gettext_noop("new order draft %(id)s"), id=draft.pk))
            _mark_returned(rma, actor=acting_user)
    except InvalidReturn:
        # The draft made for it is not left among the open drafts (cancelled, kept for the history).
        draft_discard(order_id=draft.pk, acting_user=acting_user,
                      reason=stored_text(gettext_noop("Exchange for %(rma)s already made"), rma=str(rma)))
        raise
    return draft


# --- at-risk --------------------------------------------------------------------------------------------


def at_risk_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Beat job: flags orders likely to miss their promised date, clears flags that no longer apply.

    Returns ``{"raised": n, "cleared": n}``; managers get an e-mail (outbox) when new flags appear.
    """
    from payments.models import OPEN_AUTHORIZATION, Payment

    now = now or timezone.now()
    today = timezone.localdate(now)
    wanted: dict[tuple[int, str], str] = {}
    # Not allocated a working day after placing (orders of gift cards only are never allocated).
    from orders.giftcards import ships_something

    waiting = list(Order.objects.filter(ships_something(), status__in=[S.CONFIRMED, S.BACKORDERED, S.ON_HOLD],
                                        placed_at__lt=now - timedelta(days=1)).values_list("pk", "placed_at"))
    placed_on = {order_id: timezone.localdate(placed_at) for order_id, placed_at in waiting}
    holidays = closed_days(min(placed_on.values()), today).national if placed_on else frozenset()
    for order_id, day in placed_on.items():
        if add_working_days(day, 1, holidays) > today:  # placed before a weekend or a holiday: not late yet
            continue
        wanted[(order_id, AtRiskFlag.Reason.NOT_ALLOCATED)] = (
            gettext_noop("Placed more than a day ago, not yet allocated"), {})
    # Open shipments past their planned hand-over day (or past today's cut-off on it).
    for shipment in Shipment.objects.filter(status__in=[SS.WAITING, SS.PENDING, SS.PICKING, SS.PACKED],
                                            ships_on__isnull=False).select_related("location"):
        cutoff = shipment.location.cutoff_time
        late = shipment.ships_on < today or (shipment.ships_on == today and cutoff is not None
                                             and timezone.localtime(now).time() > cutoff)
        if late:
            wanted[(shipment.order_id, AtRiskFlag.Reason.NOT_PICKED)] = split(stored_text(
                gettext_noop("%(s)s at %(loc)s not shipped by %(day)s"),
                s=str(shipment), loc=shipment.location.code, day=_risk_day(shipment.ships_on)))
    # Shipped but past the planned arrival.
    for shipment in Shipment.objects.filter(status__in=[SS.SHIPPED, SS.FAILED_DELIVERY], arrives_on__lt=today):
        wanted[(shipment.order_id, AtRiskFlag.Reason.SHIPMENT_LATE)] = split(stored_text(
            gettext_noop("%(s)s due %(day)s, not delivered"), s=str(shipment), day=_risk_day(shipment.arrives_on)))
    # Card authorizations older than the processor keeps them, with something still to capture (a refund of the
    # captured part leaves the rest of the authorization open: ``Payment.capturable``).
    auth_days = getattr(settings, "FULFILMENT_AUTH_VALID_DAYS", 7)
    for order_id, created in Payment.objects.filter(
            method__in=["card", "paypal"], status__in=OPEN_AUTHORIZATION, captured_amount__lt=F("amount"),
            created_at__lt=now - timedelta(days=auth_days - 2),
            order__status__in=[S.CONFIRMED, S.ALLOCATED, S.PARTIALLY_SHIPPED, S.BACKORDERED, S.ON_HOLD],
    ).values_list("order_id", "created_at"):
        wanted[(order_id, AtRiskFlag.Reason.AUTH_EXPIRING)] = split(stored_text(
            gettext_noop("Authorization from %(day)s expires %(exp)s"), day=_risk_day(timezone.localdate(created)),
            exp=_risk_day(timezone.localdate(created + timedelta(days=auth_days)))))
    wanted.update(_late_plans())
    with transaction.atomic(durable=True):
        new, stale = _flags_apply(wanted, AtRiskFlag.objects.filter(cleared_at__isnull=True), now=now)
    return {"raised": new, "cleared": stale}


def _risk_day(day: date) -> StoredDate:
    """A flag's day, shown in each reader's date format (20/11/2026 in pt-BR)."""
    return StoredDate(day, "SHORT_DATE_FORMAT")


def _late_plans(*, order_ids: list[int] | None = None) -> dict[tuple[int, str], tuple[str, dict]]:
    """Orders (of ``order_ids``, or all) planned to arrive after the date promised to the customer: by a shipment
    not handed over yet or, not yet released to the warehouse, by the plan of their sourcing decision (which the
    release copies onto the shipments); a holiday added after planning, or a plan that was late from the start.
    The promise stays what the customer was told; the flag asks someone to expedite or to tell the customer."""
    rows = Shipment.objects.filter(status__in=OPEN_SHIPMENT, arrives_on__gt=F("order__promised_date"))
    decisions = _unreleased_decisions().filter(plan_arrives__gt=F("order__promised_date")).exclude(
        Exists(Shipment.objects.filter(order_id=OuterRef("order_id"), status__in=OPEN_SHIPMENT)))  # judged by those
    if order_ids is not None:
        rows, decisions = rows.filter(order_id__in=order_ids), decisions.filter(order_id__in=order_ids)
    wanted: dict[tuple[int, str], tuple[str, dict]] = {}
    for order_id, pk, arrives_on, promised in rows.order_by("order_id", "-arrives_on", "pk").values_list(
            "order_id", "pk", "arrives_on", "order__promised_date"):
        wanted.setdefault((order_id, AtRiskFlag.Reason.PLAN_LATE), split(stored_text(
            gettext_noop("%(s)s planned to arrive %(day)s, after the promised %(promised)s"),
            s=f"S{pk}", day=_risk_day(arrives_on), promised=_risk_day(promised))))
    for order_id, arrives_on, promised in decisions.values_list("order_id", "plan_arrives", "order__promised_date"):
        wanted[(order_id, AtRiskFlag.Reason.PLAN_LATE)] = split(stored_text(
            gettext_noop("Not yet released, planned to arrive %(day)s, after the promised %(promised)s"),
            day=_risk_day(arrives_on), promised=_risk_day(promised)))
    return wanted


def _flags_apply(wanted: dict[tuple[int, str], tuple[str, dict]], open_flags, *, now: datetime) -> tuple[int, int]:
    """Raises the ``wanted`` flags not open yet and clears the ``open_flags`` (a queryset of the flags the
    caller looked at) no longer wanted; managers are told of new ones by e-mail (outbox). Call inside the
    caller's transaction. Returns (raised, cleared)."""
    open_flags = {(f.order_id, f.reason): f for f in open_flags}
    new = [AtRiskFlag(order_id=o, reason=r, detail=message, detail_params=params)
           for (o, r), (message, params) in wanted.items()
           if (o, r) not in open_flags]
    stale = [f.pk for key, f in open_flags.items() if key not in wanted]
    AtRiskFlag.objects.bulk_create(new, ignore_conflicts=True)
    if stale:
        AtRiskFlag.objects.filter(pk__in=stale).update(cleared_at=now)
    if new:
        numbers = dict(Order.objects.filter(pk__in={f.order_id for f in new[:50]}).values_list("pk", "number"))
        listed = [stored_join(": ", [numbers.get(f.order_id) or f"#{f.order_id}",
                                     stored_value(f.detail, f.detail_params)]) for f in new[:50]]
        email_enqueue(
            to=staff_recipients(_managers()),
            subject=stored_text(gettext_noop("%(n)s order(s) at risk of missing their promised date"), n=len(new)),
            body=stored_join("\n\n", [stored_join("\n", listed), stored_text(
                gettext_noop("All of them: %(url)s"), url=absolute_url("orders:fulfilment_at_risk"))]))
    return len(new), len(stale)


def _managers():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        is_active=True, groups__permissions__codename="manage_orders").exclude(email="").distinct()


# --- simulation -----------------------------------------------------------------------------------------


@dataclass
class SimulationRow:
    order_id: int
    number: str
    decided_cost: Decimal | None
    decided_packages: int
    simulated: sourcing.Plan | None
    reason: StoredText | str  # str(): in the active language


def simulate(*, days: int, strategy: str, switched_off: list[int] | None = None, limit: int = 500,
             consolidation: bool = True) -> dict:
    """Re-runs the last ``days`` of orders through ``decide`` with ``strategy`` (and locations switched off,
    with or without the consolidation routes) against today's stock, and compares with what was decided. Each
    order sees the stock as its own sourcing would: what it still holds counts as available to it, and allocation
    rules apply for its channel and customer group. Writes nothing."""
    if strategy not in sourcing.STRATEGIES:
        raise FulfilmentError(_("Unknown strategy."), field="strategy")
    since = timezone.now() - timedelta(days=days)
    orders = list(Order.objects.filter(placed_at__gte=since).exclude(status=S.CANCELLED)
                  .select_related("channel", "customer").order_by("-placed_at")[:limit])
    lines_by_order: dict[int, list[OrderLine]] = {}
    for line in OrderLine.objects.filter(order__in=orders).exclude(status=L.CANCELLED).select_related("variant"):
        lines_by_order.setdefault(line.order_id, []).append(line)
    decided = {}
    for d in SourcingDecision.objects.filter(order__in=orders).order_by("order_id", "-created_at", "-id"):
        decided.setdefault(d.order_id, d)
    variant_ids = sorted({line.variant_id for lines in lines_by_order.values() for line in lines})
    bases: dict[tuple[str, str], list[sourcing.Candidate]] = {}  # per demand class, as allocation rules see it
    reserved = [line for lines in lines_by_order.values() for line in lines if line.status == L.RESERVED]
    held = line_parts(reserved) if reserved else {}
    routes = network_routes() if consolidation else []
    closed = closed_days(timezone.localdate(since), timezone.localdate() + timedelta(days=HOLIDAY_HORIZON_DAYS))
    rows = []
    totals = {"decided_cost": Decimal(0), "simulated_cost": Decimal(0), "decided_splits": 0, "simulated_splits": 0,
              "simulated_late": 0, "decided_late": 0, "unsourced": 0}
    for order in orders:
        lines = lines_by_order.get(order.pk, [])
        if not lines:
            continue
        request = sourcing.Request(
            lines=tuple(sourcing.Line(x.variant_id, x.quantity, x.variant.weight_grams or 500) for x in lines),
            destination=destination_for(order), now=timezone.localtime(order.placed_at).replace(tzinfo=None),
            strategy=strategy, promised_by=order.promised_date,
            pickup_location_id=order.pickup_location_id if order.delivery_method == Order.Delivery.PICKUP else None,
            currency=order.currency, transit_days=chosen_transit_days(order), closed=closed)
        demand = (order.channel.code, order.customer.group_code if order.customer else "")
        if demand not in bases:
            bases[demand] = candidates_for(variant_ids=variant_ids, channel_code=demand[0], customer_group=demand[1],
                                           exclude_location_ids=switched_off or [])
        # An order still holding its stock is re-run with that stock, as it was when it was sourced.
        decision = sourcing.decide(request, _plus_own_stock(bases[demand], lines, held), routes=routes)
        was = decided.get(order.pk)
        was_plan = (was.plan if was else {}) or {}
        was_cost = Decimal(was_plan["cost"]) if was_plan.get("cost") else None
        was_packages = int(was_plan.get("packages") or 0)
        if was_cost is not None:
            totals["decided_cost"] += was_cost
            totals["decided_splits"] += int(was_packages > 1)
            arrives = was_plan.get("arrives_on")
            totals["decided_late"] += int(bool(order.promised_date and arrives
                                               and date.fromisoformat(arrives) > order.promised_date))
        if decision.plan:
            totals["simulated_cost"] += decision.plan.cost
            totals["simulated_splits"] += int(decision.plan.packages > 1)
            totals["simulated_late"] += int(decision.plan.late)
        else:
            totals["unsourced"] += 1
        rows.append(SimulationRow(order.pk, order.number, was_cost, was_packages, decision.plan, decision.reason))
    return {"rows": rows, "totals": totals, "count": len(rows)}

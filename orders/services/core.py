"""The order state machine, row locks, pricing through marketing, sourcing and stock for order lines.

These helpers compose inside the entry points of ``placement``/``lifecycle``; they never open a
durable transaction of their own. ``_order_transition`` and ``_line_transition`` are the only code
that assigns a status.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from oms.i18n import to_json
from oms.outbox import outbox_enqueue
from orders.errors import InvalidTransition, OrderError, StockUnavailable
from orders.events import order_event
from orders.models import Channel, Order, OrderEvent, OrderLine, OrderLineAllocation

S = Order.Status
L = OrderLine.Status

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.PLACED, S.CANCELLED},
    S.PLACED: {S.ON_HOLD, S.CONFIRMED, S.BACKORDERED, S.CANCELLED},
    S.ON_HOLD: {S.CONFIRMED, S.BACKORDERED, S.CANCELLED},
    S.CONFIRMED: {S.ALLOCATED, S.BACKORDERED, S.ON_HOLD, S.CANCELLED},
    S.BACKORDERED: {S.CONFIRMED, S.ALLOCATED, S.ON_HOLD, S.CANCELLED},
    S.ALLOCATED: {S.PARTIALLY_SHIPPED, S.SHIPPED, S.CONFIRMED, S.ON_HOLD, S.CANCELLED},
    S.PARTIALLY_SHIPPED: {S.SHIPPED},
    S.SHIPPED: {S.DELIVERED, S.DELIVERY_FAILED, S.PARTIALLY_RETURNED, S.RETURNED},
    S.DELIVERY_FAILED: {S.SHIPPED, S.RETURNED},
    S.DELIVERED: {S.COMPLETED, S.PARTIALLY_RETURNED, S.RETURNED},
    S.COMPLETED: {S.PARTIALLY_RETURNED, S.RETURNED},
    S.PARTIALLY_RETURNED: {S.RETURNED, S.COMPLETED},
    S.RETURNED: set(),
    S.CANCELLED: set(),
}

# An order of gift cards only has nothing to ship: it is delivered when its cards are issued
# (``orders.giftcards``), and only then; a manual status change cannot take this edge.
GIFT_CARDS_ONLY_TRANSITIONS: dict[str, set[str]] = {S.CONFIRMED: {S.DELIVERED}}

LINE_TRANSITIONS: dict[str, set[str]] = {
    L.OPEN: {L.RESERVED, L.BACKORDERED, L.CANCELLED, L.DELIVERED},  # delivered: a gift card issued
    L.RESERVED: {L.OPEN, L.ALLOCATED, L.BACKORDERED, L.CANCELLED},
    L.BACKORDERED: {L.RESERVED, L.OPEN, L.CANCELLED},
    L.ALLOCATED: {L.RESERVED, L.SHIPPED, L.CANCELLED},
    L.SHIPPED: {L.DELIVERED, L.RETURNED},
    L.DELIVERED: {L.RETURNED},
    L.RETURNED: set(),
    L.CANCELLED: set(),
}

# Orders in these statuses may still be edited or have lines cancelled (nothing shipped yet).
EDITABLE = {S.PLACED, S.ON_HOLD, S.CONFIRMED, S.BACKORDERED, S.ALLOCATED}
# Statuses a channel hears about through the outbox.
NOTIFY_CHANNEL = set(S.values) - {S.DRAFT, S.PLACED}
DEFAULT_BACKORDER_DAYS = 14
HANDLING_DAYS = 1


def allowed_targets(status: str) -> set[str]:
    return ALLOWED_TRANSITIONS.get(status, set())


def _order_transition(order: Order, *, to: str, actor, reason: str = "", data: dict | None = None,
                      fields: dict | None = None, gift_cards_only: bool = False,
                      lines: list[OrderLine] | None = None) -> OrderEvent:
    """Moves a locked order to ``to`` if the table allows it, with its history row and channel notice.

    ``fields`` are other columns written in the same UPDATE (e.g. the number when placing).
    ``gift_cards_only``: the order holds only issued gift cards (``GIFT_CARDS_ONLY_TRANSITIONS`` apply too).
    ``lines``: all the order's lines with their variants, when the caller has them (no query for gift cards).
    """
    allowed = allowed_targets(order.status)
    if gift_cards_only:
        allowed = allowed | GIFT_CARDS_ONLY_TRANSITIONS.get(order.status, set())
    if to not in allowed:
        raise InvalidTransition(
            _("An order cannot go from “%(old)s” to “%(new)s”.")
            % {"old": S(order.status).label, "new": S(to).label if to in S.values else to}
        )
    old = order.status
    order.status = to
    fields = dict(fields or {})
    for name, value in fields.items():
        setattr(order, name, value)
    Order.objects.filter(pk=order.pk).update(status=to, updated_at=timezone.now(), **fields)
    event = order_event(order=order, actor=actor, from_status=old, to_status=to, reason=reason, data=data)
    if to in NOTIFY_CHANNEL:
        outbox_enqueue(topic="orders.channel_status",
                       payload={"order_id": order.pk, "status": to, "previous": old, "channel": order.channel_id})
    if to in (S.CONFIRMED, S.BACKORDERED):
        from orders.giftcards import enqueue_issue  # gift cards sold on the order are issued once it is paid

        enqueue_issue(order, lines=lines)
    if to == S.CANCELLED:
        from marketing.services import promotion_release  # the coupons and promotion uses it took come back

        promotion_release(order_reference=redemption_reference(order), acting_user=actor)
    return event


def redemption_reference(order: Order) -> str:
    """How marketing's redemption rows name the order whose promotion and coupon uses they count."""
    return f"order:{order.pk}"


def promotions_reconcile(order: Order, priced, *, actor) -> None:
    """After a placed order is re-priced (an edit, a line cancelled): its promotion and coupon uses become what
    ``priced`` applies (``marketing.services.promotion_reconcile``): a promotion it newly gets takes a use, one it no
    longer gets gives its use back, the discount recorded is the one it now gets. Call it with the order locked,
    inside the transaction of the change, once nothing else can refuse it (the counters are contended rows).

    A promotion or coupon used up by another order since this one was priced refuses the change (``OrderError``):
    saved again, the order is priced without it."""
    from marketing.errors import PromotionUnavailable
    from marketing.services import promotion_reconcile

    try:
        promotion_reconcile(priced=priced, order_reference=redemption_reference(order), customer_id=order.customer_id,
                            acting_user=actor, when=order.placed_at)
    except PromotionUnavailable as exc:
        raise OrderError(_("%(reason)s Order %(number)s was not changed; save the change again to price it without "
                           "that discount.") % {"reason": exc.message, "number": order}) from exc


def _line_transition(lines: list[OrderLine], *, to: str, fields: list[str] | None = None) -> None:
    """Moves order lines to ``to``; every line must allow it (checked before anything changes).

    ``fields`` are other attributes of the lines saved in the same statement.
    """
    for line in lines:
        if line.status != to and to not in LINE_TRANSITIONS[line.status]:
            raise InvalidTransition(
                _("Line %(sku)s cannot go from “%(old)s” to “%(new)s”.")
                % {"sku": line.sku, "old": L(line.status).label, "new": L(to).label}
            )
    changed = [line.pk for line in lines if line.status != to]
    for line in lines:
        line.status = to
    if fields:
        save_line_fields(lines, [*fields, "status"])
    elif changed:
        OrderLine.objects.filter(pk__in=changed).update(status=to)


# --- locks -------------------------------------------------------------------------------------


CALENDAR_LOCK = 7_301_002  # pg advisory lock key of the shipping calendar (holidays)


def lock_order(order_id: int, *, plans: bool = False) -> Order:
    """The order row locked for this transaction, with its channel and customer. ``plans``: the transaction may
    plan the order on the shipping calendar (source it, or release it to the warehouse): the calendar's read lock
    is taken first (``calendar_read_lock``)."""
    if plans:
        calendar_read_lock()
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("channel", "customer", "pickup_location")
        .get(pk=order_id)
    )


def calendar_read_lock() -> None:
    """Taken for the rest of the transaction by one that plans orders on the shipping calendar, before it locks
    them. A calendar change (``calendar_change_lock``, before it locks the orders it plans again) waits for the
    plans being made to commit, then plans them again with the others; plans made while it runs wait for it and
    read the new calendar. Shared: plans never wait for each other."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [CALENDAR_LOCK])


def calendar_change_lock() -> None:
    """Calendar changes one at a time (each plans again from the calendar the previous one left), and none while
    an order is being planned (``calendar_read_lock``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CALENDAR_LOCK])


def lock_lines(order: Order) -> list[OrderLine]:
    return list(
        OrderLine.objects.select_for_update(of=("self",)).select_related("variant").filter(order=order).order_by("pk")
    )


def next_order_number(channel: Channel) -> str:
    """The channel's next human-friendly number (row-locked counter, so numbers never repeat)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Channel._meta.db_table} SET last_order_number = last_order_number + 1 WHERE id = %s "
            "RETURNING last_order_number",
            [channel.pk],
        )
        value = cursor.fetchone()[0]
    return f"{channel.order_prefix}-{value:06d}"


# --- pricing (through marketing only) -------------------------------------------------------------


def ship_to_region(order: Order) -> str:
    if order.delivery_method == Order.Delivery.PICKUP and order.pickup_location_id:
        return order.pickup_location.state
    return (order.shipping_address or {}).get("state", "")


def price_lines(order: Order, lines: list[OrderLine], *, when=None):
    """Prices the active lines through ``marketing.pricing.price_order`` and copies the result onto them (a placed
    order at the time it was placed, with the promotion and coupon uses it took counted as its own)."""
    from marketing.pricing import PriceLineInput, price_order

    active = [line for line in lines if line.status != L.CANCELLED]
    customer = order.customer
    priced = price_order(
        lines=[
            PriceLineInput(
                variant_id=line.variant_id, quantity=line.quantity,
                override_unit_price=line.override_unit_price, extra_unit_price=line.extra_unit_price,
            )
            for line in active
        ],
        channel_code=order.channel.code,
        customer_id=customer.pk if customer else None,
        customer_group=customer.group_code if customer else "",
        source_code=order.source_code,
        coupons=list(order.coupons or []),
        ship_to_region=ship_to_region(order),
        shipping_service=order.shipping_service or None,
        currency=order.currency,
        # A placed order re-priced (an edit, a line cancelled) is priced as when it was placed: the price lists,
        # dated and weekday promotions and coupons the customer was given then, and the uses it took are its own.
        when=when or order.placed_at or timezone.now(),
        order_reference=redemption_reference(order) if order.placed_at else "",
    )
    for line, result in zip(active, priced.lines, strict=True):
        line.list_price = result.list_price
        line.unit_price = result.unit_price
        line.discounts = [
            {"promotion_id": d.promotion_id, "name": str(d.name), "amount": str(d.amount), "reason": to_json(d.reason)}
            for d in result.discounts
        ]
        line.discount_total = result.discount_amount
        line.tax_rate = result.tax_rate
        line.tax_amount = result.tax_amount
        line.line_total = result.line_total
        line.explanation = [to_json(x) for x in result.explanation]
    for line in lines:
        if line.status == L.CANCELLED:
            line.line_total = line.tax_amount = line.discount_total = Decimal(0)
    order.subtotal = priced.subtotal
    order.discount_total = priced.discount_total
    order.shipping_total = priced.shipping_total
    order.tax_total = priced.tax_total
    order.total = priced.total
    order.source_code = priced.source_code or order.source_code
    order.campaign_id = priced.campaign_id
    order.pricing_messages = [to_json(m) for m in priced.messages]
    chosen = next((q for q in priced.shipping_options if q.service_code == priced.shipping_service), None)
    if order.status == S.DRAFT:
        order.promised_date = promise_date(chosen.transit_days) if chosen else None
    order.shipping_options = [
        {"code": q.service_code, "name": str(q.name), "price": str(q.price), "transit_days": q.transit_days,
         "regular_price": str(q.regular_price), "reason": to_json(q.reason)}
        for q in priced.shipping_options
    ]
    order.order_discounts = [
        {"promotion_id": d.promotion_id, "name": str(d.name), "amount": str(d.amount), "reason": to_json(d.reason)}
        for d in priced.order_discounts
    ]
    return priced


PRICE_FIELDS = ["list_price", "unit_price", "discounts", "discount_total", "tax_rate", "tax_amount", "line_total",
                "explanation"]
ORDER_PRICE_FIELDS = ["promised_date", "subtotal", "discount_total", "shipping_total", "tax_total", "total",
                      "source_code", "campaign_id", "pricing_messages", "order_discounts", "shipping_options",
                      "updated_at"]


def promise_date(transit_days: int):
    """Delivery promise shown to the customer: one handling day, then the carrier's transit days.

    The fulfilment issue refines this with the chosen location's handling time and cut-off.
    """
    return timezone.localdate() + timedelta(days=HANDLING_DAYS + transit_days)


def save_line_fields(lines: list[OrderLine], fields: list[str]) -> None:
    """Saves ``fields`` of the lines in one statement (see ``save_rows``)."""
    save_rows(OrderLine, lines, fields)


def save_rows(model, rows: list, fields: list[str]) -> None:
    """Saves ``fields`` of ``rows`` (instances of ``model``) in one UPDATE joined from ``unnest()`` of one array per
    field (as the stock levels' deltas are): one statement however many rows. ``bulk_update`` would build a CASE
    per field and row (five times the CPU of plain UPDATEs for three lines' prices); one UPDATE a row costs a round
    trip per row. Values go through each field's own ``get_db_prep_save``, as ``save()`` does."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    names = ", ".join(quote(field.column) for field in columns)
    sql = (f"UPDATE {quote(model._meta.db_table)} AS old SET "
           + ", ".join(f"{quote(field.column)} = new.{quote(field.column)}" for field in columns)
           + " FROM unnest(%s::bigint[], " + ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
           + f") AS new (pk, {names}) WHERE old.{quote(model._meta.pk.column)} = new.pk")
    params = [[row.pk for row in rows]]
    params += [[field.get_db_prep_save(getattr(row, field.attname), connection) for row in rows] for field in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def save_prices(order: Order, lines: list[OrderLine], *, also: tuple[str, ...] = ()) -> None:
    """Saves the prices of the order and its lines (``also``: other fields of the order set meanwhile)."""
    save_line_fields(lines, PRICE_FIELDS)
    order.save(update_fields=[*ORDER_PRICE_FIELDS, *also])


# --- sourcing and stock ------------------------------------------------------------------------------


Parts = list[tuple[int, int]]  # [(location_id, quantity)]: where one line's units are held


@dataclass
class Shortage:
    line_id: int
    sku: str
    requested: int
    available: int
    alternatives: list[str]

    def as_dict(self) -> dict:
        return {"line_id": self.line_id, "sku": self.sku, "requested": self.requested, "available": self.available,
                "alternatives": self.alternatives}


def candidate_locations(order: Order) -> list[int]:
    """Where stock may come from: the pick-up store, or every active location that ships (by code)."""
    from inventory.models import Location

    if order.delivery_method == Order.Delivery.PICKUP and order.pickup_location_id:
        return [order.pickup_location_id]
    return list(Location.objects.filter(is_active=True, can_ship=True).order_by("code").values_list("pk", flat=True))


def source_first_available(order: Order, lines: list[OrderLine]) -> tuple[dict[int, Parts], list[Shortage]]:
    """Sourcing step (strategy ``first_available``): each line from the first location able to ship all of it;
    a line no single location holds is split across locations in the same order.

    Returns ``({line_id: [(location_id, quantity), ...]}, shortages)``.
    """
    from inventory.selectors import availability

    locations = candidate_locations(order)
    variant_ids = sorted({line.variant_id for line in lines})
    stock = availability(variant_ids=variant_ids, location_ids=locations) if lines else {}
    plan: dict[int, Parts] = {}
    shortages: list[Shortage] = []
    claimed: dict[tuple[int, int], int] = {}

    def free(variant_id: int, location_id: int) -> int:
        return stock.get(variant_id, {}).get(location_id, 0) - claimed.get((variant_id, location_id), 0)

    for line in lines:
        whole = next((loc for loc in locations if free(line.variant_id, loc) >= line.quantity), None)
        if whole is not None:
            parts = [(whole, line.quantity)]
        else:
            parts, missing = [], line.quantity
            for location_id in locations:
                take = min(missing, max(free(line.variant_id, location_id), 0))
                if take:
                    parts.append((location_id, take))
                    missing -= take
            if missing:
                total = sum(max(free(line.variant_id, loc), 0) for loc in locations)
                shortages.append(Shortage(line.pk, line.sku, line.quantity, total, []))
                continue
        plan[line.pk] = parts
        for location_id, quantity in parts:
            claimed[(line.variant_id, location_id)] = claimed.get((line.variant_id, location_id), 0) + quantity
    if shortages:
        _describe_alternatives(order, lines, shortages)
    return plan, shortages


def _describe_alternatives(order: Order, lines: list[OrderLine], shortages: list[Shortage]) -> None:
    """Fills each shortage with what the agent can offer instead: another store, a sibling variant, a backorder."""
    from inventory.models import Location, Variant
    from inventory.selectors import availability

    by_id = {line.pk: line for line in lines}
    variants = {line.variant_id: line.variant for line in lines}
    product_ids = {variants[by_id[s.line_id].variant_id].product_id for s in shortages}
    siblings = list(Variant.objects.filter(product_id__in=product_ids, is_active=True).only("pk", "sku", "product_id"))
    stock = availability(variant_ids=[v.pk for v in siblings])
    names = dict(Location.objects.filter(is_active=True).values_list("pk", "name"))
    backorder = timezone.localdate() + timedelta(days=DEFAULT_BACKORDER_DAYS)
    for shortage in shortages:
        line = by_id[shortage.line_id]
        here = stock.get(line.variant_id, {})
        for location_id, free in sorted(here.items(), key=lambda kv: -kv[1]):
            if free >= line.quantity and location_id in names:
                shortage.alternatives.append(
                    _("%(qty)s available at %(location)s") % {"qty": free, "location": names[location_id]}
                )
        for sibling in siblings:
            if sibling.pk == line.variant_id or sibling.product_id != variants[line.variant_id].product_id:
                continue
            total = sum(stock.get(sibling.pk, {}).values())
            if total >= line.quantity:
                shortage.alternatives.append(_("Variant %(sku)s: %(qty)s available") % {"sku": sibling.sku,
                                                                                          "qty": total})
        shortage.alternatives.append(_("Backorder, expected by %(date)s")
                                     % {"date": date_format(backorder, "SHORT_DATE_FORMAT")})


# --- where a line is reserved ----------------------------------------------------------------------
# A line's stock is held in parts, one ``OrderLineAllocation`` per location (6 at a store + 4 at the DC).
# These helpers are the only code that writes the parts or turns them into stock movements.

def line_parts(lines: list[OrderLine]) -> dict[int, Parts]:
    """``{line_id: [(location_id, quantity), ...]}`` for the given lines (largest part first); [] when none."""
    parts: dict[int, Parts] = {line.pk: [] for line in lines}
    for line_id, location_id, quantity in OrderLineAllocation.objects.filter(line_id__in=list(parts)).values_list(
            "line_id", "location_id", "quantity"):
        parts[line_id].append((location_id, quantity))
    return parts


def set_line_allocations(plan: dict[int, Parts], *, replace: bool = True) -> None:
    """Replaces the parts of each line in ``plan`` (an empty list removes them). Caller holds the line locks;
    ``replace=False`` when the lines are known to hold nothing (reserving lines that were released)."""
    if not plan:
        return
    if replace:
        OrderLineAllocation.objects.filter(line_id__in=list(plan)).delete()
    merged: dict[tuple[int, int], int] = {}
    for line_id, parts in plan.items():
        for location_id, quantity in parts:
            merged[(line_id, location_id)] = merged.get((line_id, location_id), 0) + quantity
    OrderLineAllocation.objects.bulk_create([
        OrderLineAllocation(line_id=line_id, location_id=location_id, quantity=quantity)
        for (line_id, location_id), quantity in sorted(merged.items()) if quantity > 0])


def _shipped_parts(lines: list[OrderLine]) -> dict[tuple[int, int], int]:
    """Units of each (line, location) whose stock a shipment already consumed."""
    from orders.fulfilment.models import ShipmentLine

    shipped: dict[tuple[int, int], int] = {}
    for line_id, location_id, quantity in ShipmentLine.objects.filter(
            order_line__in=[line.pk for line in lines], shipment__shipped_at__isnull=False,
    ).values_list("order_line_id", "shipment__location_id", "quantity"):
        shipped[(line_id, location_id)] = shipped.get((line_id, location_id), 0) + quantity
    return shipped


def kit_hook(*, kit_id: int) -> None:
    """Called by ``inventory.services`` before a kit's components change (``INVENTORY_KIT_HOOKS``): refused while a
    line of the kit holds stock (reserved or allocated, drafts holding stock included), as its release or shipment
    expands the kit into the components it was reserved as."""
    from inventory.errors import InUse

    orders = list(Order.objects.filter(lines__variant_id=kit_id, lines__status__in=[L.RESERVED, L.ALLOCATED])
                  .distinct().order_by("pk")[:6])
    if not orders:
        return
    sku = OrderLine.objects.filter(variant_id=kit_id).values_list("variant__sku", flat=True).first()
    names = ", ".join(str(order) for order in orders[:5]) + (", …" if len(orders) > 5 else "")
    raise InUse(ngettext("%(sku)s is held for order %(orders)s: its components can change once it ships or is "
                         "cancelled.",
                         "%(sku)s is held for orders %(orders)s: its components can change once they ship or are "
                         "cancelled.", len(orders)) % {"sku": sku, "orders": names})


def stock_lines(lines: list[OrderLine], parts: dict[int, Parts] | None = None):
    """The stock a set of lines holds, one ``StockLine`` per (line, location) part."""
    from inventory.services import StockLine

    parts = line_parts(lines) if parts is None else parts
    return [StockLine(variant_id=line.variant_id, location_id=location_id, quantity=quantity)
            for line in lines for location_id, quantity in parts.get(line.pk, [])]


RESERVE_ATTEMPTS = 3  # sourcing reads availability without locks: re-source this many times when beaten to it


def reserve_lines(order: Order, lines: list[OrderLine], *, actor, allow_backorder: bool = False,
                  backorder_ok: "set[int] | frozenset[int]" = frozenset()) -> list[OrderLine]:
    """Sources and reserves ``lines`` all-or-nothing; returns the lines left backordered (oversell channels).

    ``backorder_ok``: ids of lines that may be backordered even without ``allow_backorder`` (the customer already
    agreed to wait for them); a shortage on any other line refuses the whole reservation.

    Sourcing reads availability without locks, so a concurrent order may empty a chosen location before
    ``stock_reserve`` locks it; that attempt (its recorded sourcing decision included) is undone and the lines
    are sourced again from fresh availability, up to ``RESERVE_ATTEMPTS`` times.

    Raises ``StockUnavailable`` (with alternatives per line) and changes nothing when stock is short.
    """
    from inventory.errors import OutOfStock

    lines = [line for line in lines if not line.variant.is_gift_card]  # a gift card holds no stock
    if not lines:
        return []
    holding = [line.sku for line in lines if line.status in (L.RESERVED, L.ALLOCATED)]
    if holding:
        raise InvalidTransition(_("Release %(skus)s before reserving them again.") % {"skus": ", ".join(holding)})
    for attempt in range(1, RESERVE_ATTEMPTS + 1):
        try:
            with transaction.atomic():  # savepoint: a lost race leaves neither reservation nor sourcing record
                refused, to_reserve, backordered = _source_and_reserve(order, lines, actor=actor,
                                                                       allow_backorder=allow_backorder,
                                                                       backorder_ok=backorder_ok)
        except OutOfStock as exc:
            if attempt < RESERVE_ATTEMPTS:
                continue
            by_variant = {line.variant_id: line for line in lines}
            raise StockUnavailable(shortages=[
                {"line_id": by_variant[v].pk if v in by_variant else None,
                 "sku": by_variant[v].sku if v in by_variant else str(v),
                 "requested": r, "available": a, "alternatives": []}
                for v, _loc, r, a in exc.shortages
            ]) from exc
        break
    if refused:
        raise StockUnavailable(shortages=[s.as_dict() for s in refused])
    if to_reserve:
        _line_transition(to_reserve, to=L.RESERVED)
    if backordered:
        from orders.fulfilment.services import backorder_date_for

        backorder = timezone.localdate() + timedelta(days=DEFAULT_BACKORDER_DAYS)
        set_line_allocations({line.pk: [] for line in backordered})
        for line in backordered:
            line.backorder_date = backorder_date_for(line) or backorder  # incoming POs/transfers first
        _line_transition(backordered, to=L.BACKORDERED, fields=["backorder_date"])
    return backordered


def _source_and_reserve(order: Order, lines: list[OrderLine], *, actor, allow_backorder: bool,
                        backorder_ok: "set[int] | frozenset[int]" = frozenset()):
    """One attempt: source by the channel's strategy, then reserve what was sourced (raises ``OutOfStock``).

    Returns ``(refused shortages, reserved lines, backordered lines)``; with a refused shortage nothing is reserved.
    """
    from inventory.services import stock_reserve
    from orders.fulfilment.services import source_lines  # sourcing by the channel's strategy

    plan, shortages = source_lines(order, lines, actor=actor)
    refused = [] if allow_backorder else [s for s in shortages if s.line_id not in backorder_ok]
    if refused:
        return refused, [], []
    short_ids = {s.line_id for s in shortages}
    backordered = [line for line in lines if line.pk in short_ids]
    to_reserve = [line for line in lines if line.pk in plan]
    if to_reserve:
        parts = {line.pk: plan[line.pk] for line in to_reserve}
        set_line_allocations(parts, replace=False)  # reserve_lines only gets lines holding nothing
        stock_reserve(lines=stock_lines(to_reserve, parts), reference=f"order:{order.pk}", acting_user=actor)
    return [], to_reserve, backordered


def release_lines(order: Order, lines: list[OrderLine], *, actor, to: str = L.OPEN) -> None:
    """Gives back the stock reserved for ``lines`` and moves them to ``to`` (open or cancelled)."""
    from inventory.services import stock_release

    holding = [line for line in lines if line.status in (L.RESERVED, L.ALLOCATED)]
    parts = line_parts(holding)
    shipped = _shipped_parts([line for line in holding if line.status == L.ALLOCATED]) if holding else {}
    release: dict[int, Parts] = {}
    keep: dict[int, Parts] = {}
    for line in holding:
        for location_id, quantity in parts[line.pk]:
            gone = min(shipped.get((line.pk, location_id), 0), quantity)  # consumed by a shipment: not reserved
            release.setdefault(line.pk, []).append((location_id, quantity - gone))
            keep.setdefault(line.pk, []).append((location_id, gone))
    if holding:
        to_release = [s for s in stock_lines(holding, release) if s.quantity > 0]
        if to_release:
            stock_release(lines=to_release, reference=f"order:{order.pk}", acting_user=actor)
        set_line_allocations({line.pk: keep.get(line.pk, []) for line in holding})
    _line_transition(lines, to=to)

"""The only code that changes stock, purchasing and transfers.

Every change of on-hand or reserved stock writes a ``StockMovement`` in the same transaction. Stock
rows are locked with ``SELECT ... FOR UPDATE`` in primary-key order, so concurrent callers never
deadlock and never oversell; the database constraints are the last line of defence.

The stock functions (``stock_*``) open ``transaction.atomic()`` so they can run on their own or inside
a caller's transaction (e.g. order placement); a failure rolls back only their savepoint and nothing
they did remains. Screen-level entry points (adjust, count, transfers, purchase orders) are durable.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from inventory.errors import (
    AlreadyRecorded,
    CountBelowReserved,
    InsufficientReserved,
    InvalidQuantity,
    InvalidTransition,
    InventoryError,
    OutOfStock,
    ReceiptOutdated,
    ReceiptTooLarge,
    UnknownLocation,
    UnknownVariant,
)
from inventory.models import (
    KitComponent,
    Location,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockMovement,
    Supplier,
    Transfer,
    TransferLine,
    Variant,
)
from oms.audit import audit_record
from oms.i18n import stored_join, stored_text
from oms.models import AuditEntry
from oms.numbers import INT_MAX
from oms.once import created_by_request
from oms.outbox import outbox_enqueue

Reason = StockMovement.Reason
EXPECTED_WITHIN_DAYS = 730  # a purchase order is expected from today to two years ahead
_cost_field = PurchaseOrderLine._meta.get_field("unit_cost")
UNIT_COST_LIMIT = Decimal(10) ** (_cost_field.max_digits - _cost_field.decimal_places)


def _unit_cost_fits(cost) -> bool:
    """A purchase order line's unit cost is a finite amount from 0 to less than ``UNIT_COST_LIMIT`` (the column's)."""
    return Decimal(cost).is_finite() and 0 <= cost < UNIT_COST_LIMIT


@dataclass(frozen=True)
class StockLine:
    variant_id: int
    location_id: int
    quantity: int


Key = tuple[int, int]


# --- helpers ------------------------------------------------------------------------------------


def _user(acting_user):
    return acting_user if getattr(acting_user, "is_authenticated", False) else None


def _expand(lines: Iterable[StockLine]) -> dict[Key, int]:
    """Validates lines, replaces kits by their components and sums quantities per (variant, location)."""
    lines = list(lines)
    if not lines:
        raise InvalidQuantity(_("No stock lines were given."))
    for line in lines:
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity <= 0:
            raise InvalidQuantity(_("Quantity must be a whole number above zero (got %(q)s).") % {"q": line.quantity})
    variant_ids = {line.variant_id for line in lines}
    kinds = dict(Variant.objects.filter(pk__in=variant_ids).values_list("pk", "is_kit"))
    missing = sorted(variant_ids - set(kinds))
    if missing:
        raise UnknownVariant(_("Unknown SKU id(s): %(ids)s") % {"ids": ", ".join(map(str, missing))})
    location_ids = {line.location_id for line in lines}
    found = set(Location.objects.filter(pk__in=location_ids).values_list("pk", flat=True))
    if location_ids - found:
        missing_locations = ", ".join(map(str, sorted(location_ids - found)))
        raise UnknownLocation(_("Unknown location id(s): %(ids)s") % {"ids": missing_locations})
    components: dict[int, list[tuple[int, int]]] = defaultdict(list)
    kit_ids = [pk for pk, is_kit in kinds.items() if is_kit]
    if kit_ids:
        for kit_id, component_id, qty in KitComponent.objects.filter(kit_id__in=kit_ids).values_list(
            "kit_id", "component_id", "quantity"
        ):
            components[kit_id].append((component_id, qty))
    wanted: dict[Key, int] = defaultdict(int)
    for line in lines:
        if kinds[line.variant_id]:
            if not components[line.variant_id]:
                raise UnknownVariant(_("Kit #%(id)s has no components.") % {"id": line.variant_id})
            for component_id, qty in components[line.variant_id]:
                wanted[(component_id, line.location_id)] += qty * line.quantity
        else:
            wanted[(line.variant_id, line.location_id)] += line.quantity
    return dict(wanted)


def _check_single(variant_id: int, location_id: int) -> None:
    """Validates one stocked (non-kit) SKU and a location for adjust/count/safety changes."""
    variant = Variant.objects.filter(pk=variant_id).values_list("is_kit", flat=True).first()
    if variant is None:
        raise UnknownVariant(_("Unknown SKU id %(id)s.") % {"id": variant_id})
    if variant:
        raise InvalidQuantity(_("A kit holds no stock of its own; change its components instead."))
    if not Location.objects.filter(pk=location_id).exists():
        raise UnknownLocation(_("Unknown location id %(id)s.") % {"id": location_id})


def _lock_levels(keys: Iterable[Key], *, create: bool) -> dict[Key, StockLevel]:
    """Locks the stock rows of ``keys`` in primary-key order; creates missing rows first if asked."""
    keys = sorted(set(keys))
    condition = Q()
    for variant_id, location_id in keys:
        condition |= Q(variant_id=variant_id, location_id=location_id)
    if create:
        existing = set(StockLevel.objects.filter(condition).values_list("variant_id", "location_id"))
        missing = [StockLevel(variant_id=v, location_id=loc) for v, loc in keys if (v, loc) not in existing]
        if missing:
            StockLevel.objects.bulk_create(missing, ignore_conflicts=True)
    rows = StockLevel.objects.select_for_update(of=("self",)).filter(condition).order_by("pk")
    return {(row.variant_id, row.location_id): row for row in rows}


# The deltas of several locked rows in one statement. Written in SQL because the ORM's form of it (a CASE
# WHEN per row and column) cost a millisecond of CPU for three rows, in the path of every placement.
APPLY_DELTAS_SQL = """
    UPDATE inventory_stocklevel AS level
       SET on_hand = level.on_hand + delta.on_hand, reserved = level.reserved + delta.reserved, updated_at = %s
      FROM unnest(%s::bigint[], %s::integer[], %s::integer[]) AS delta (id, on_hand, reserved)
     WHERE level.id = delta.id
"""


def _apply(levels: dict[Key, StockLevel], changes: dict[Key, tuple[int, int]], *, reason: str, reference: str,
           acting_user, note: str = "") -> list[StockMovement]:
    """Applies (on_hand, reserved) deltas to locked rows and writes one movement per row."""
    user = _user(acting_user)
    movements = []
    keys = [key for key in sorted(changes) if changes[key] != (0, 0)]
    for key in keys:  # the stock and ledger columns are integers: a change past them is refused by name
        level, (on_hand_delta, reserved_delta) = levels[key], changes[key]
        if max(abs(on_hand_delta), abs(reserved_delta), abs(level.on_hand + on_hand_delta),
               abs(level.reserved + reserved_delta)) > INT_MAX:
            sku = Variant.objects.filter(pk=key[0]).values_list("sku", flat=True).first()
            code = Location.objects.filter(pk=key[1]).values_list("code", flat=True).first()
            raise InvalidQuantity(_("%(sku)s at %(location)s cannot hold more than %(max)s units.")
                                  % {"sku": sku, "location": code, "max": INT_MAX})
    if keys:  # one UPDATE for every row (they are locked already): the locks are held for less time
        with connection.cursor() as cursor:
            cursor.execute(APPLY_DELTAS_SQL, [timezone.now(), [levels[key].pk for key in keys],
                                              [changes[key][0] for key in keys], [changes[key][1] for key in keys]])
    for key in keys:
        on_hand_delta, reserved_delta = changes[key]
        level = levels[key]
        level.on_hand += on_hand_delta
        level.reserved += reserved_delta
        movements.append(StockMovement(
            variant_id=key[0], location_id=key[1], on_hand_delta=on_hand_delta, reserved_delta=reserved_delta,
            reason=reason, reference=reference[:64], note=note[:255], user=user,
        ))
    return StockMovement.objects.bulk_create(movements)


def _names(keys: Iterable[Key]) -> dict[Key, tuple[str, str]]:
    """The (SKU, location code) of each (variant, location): refusals name what a person knows, not row ids."""
    keys = list(keys)
    skus = dict(Variant.objects.filter(pk__in={v for v, _loc in keys}).values_list("pk", "sku"))
    codes = dict(Location.objects.filter(pk__in={loc for _v, loc in keys}).values_list("pk", "code"))
    return {(v, loc): (skus.get(v, f"#{v}"), codes.get(loc, f"#{loc}")) for v, loc in keys}


def _out_of_stock(shortages: list[tuple[int, int, int, int]]) -> OutOfStock:
    return OutOfStock(shortages, names=_names((v, loc) for v, loc, _r, _a in shortages))


def _free(level: StockLevel | None, *, respect_safety_stock: bool) -> int:
    if level is None:
        return 0
    safety = level.safety_stock if respect_safety_stock else 0
    return max(level.on_hand - level.reserved - safety, 0)


# --- stock services -----------------------------------------------------------------------------


def stock_reserve(*, lines: list[StockLine], reference: str, acting_user, respect_safety_stock: bool = True) -> None:
    """Reserves every line or none (raises ``OutOfStock`` listing every shortage)."""
    with transaction.atomic():
        wanted = _expand(lines)
        levels = _lock_levels(wanted, create=False)
        shortages = []
        for (variant_id, location_id), quantity in sorted(wanted.items()):
            free = _free(levels.get((variant_id, location_id)), respect_safety_stock=respect_safety_stock)
            if free < quantity:
                shortages.append((variant_id, location_id, quantity, free))
        if shortages:
            raise _out_of_stock(shortages)
        _apply(levels, {key: (0, qty) for key, qty in wanted.items()}, reason=Reason.RESERVATION,
               reference=reference, acting_user=acting_user)


def _take_reserved(wanted: dict[Key, int], levels: dict[Key, StockLevel]) -> None:
    short = [(k, q, levels[k].reserved if k in levels else 0) for k, q in sorted(wanted.items())
             if k not in levels or levels[k].reserved < q]
    if short:
        names = _names(k for k, _q, _r in short)
        details = "; ".join(
            _("%(sku)s at %(location)s: %(q)s asked, %(r)s reserved")
            % {"sku": names[k][0], "location": names[k][1], "q": q, "r": r}
            for k, q, r in short
        )
        raise InsufficientReserved(_("Not enough reserved stock. %(details)s") % {"details": details})


def stock_release(*, lines: list[StockLine], reference: str, acting_user) -> None:
    """Gives back reserved stock (order cancelled or changed)."""
    with transaction.atomic():
        wanted = _expand(lines)
        levels = _lock_levels(wanted, create=False)
        _take_reserved(wanted, levels)
        _apply(levels, {key: (0, -qty) for key, qty in wanted.items()}, reason=Reason.RELEASE,
               reference=reference, acting_user=acting_user)


def stock_consume(*, lines: list[StockLine], reference: str, acting_user) -> None:
    """Ships reserved stock: on hand and reserved both drop."""
    with transaction.atomic():
        wanted = _expand(lines)
        levels = _lock_levels(wanted, create=False)
        _take_reserved(wanted, levels)
        _apply(levels, {key: (-qty, -qty) for key, qty in wanted.items()}, reason=Reason.SHIPMENT,
               reference=reference, acting_user=acting_user)


def stock_sell(*, lines: list[StockLine], reference: str, acting_user) -> None:
    """Sells unreserved stock on the spot (store counter): on hand drops, never below what is reserved."""
    with transaction.atomic():
        wanted = _expand(lines)
        levels = _lock_levels(wanted, create=False)
        shortages = [(k[0], k[1], q, _free(levels.get(k), respect_safety_stock=False))
                     for k, q in sorted(wanted.items()) if _free(levels.get(k), respect_safety_stock=False) < q]
        if shortages:
            raise _out_of_stock(shortages)
        _apply(levels, {key: (-qty, 0) for key, qty in wanted.items()}, reason=Reason.SALE,
               reference=reference, acting_user=acting_user)


def _stock_in(*, lines, reference, acting_user, reason, note="") -> None:
    with transaction.atomic():
        wanted = _expand(lines)
        levels = _lock_levels(wanted, create=True)
        _apply(levels, {key: (qty, 0) for key, qty in wanted.items()}, reason=reason, reference=reference,
               acting_user=acting_user, note=note)


def stock_return(*, lines: list[StockLine], reference: str, acting_user) -> None:
    """Returned goods back on the shelf: on hand rises."""
    _stock_in(lines=lines, reference=reference, acting_user=acting_user, reason=Reason.RETURN)


def stock_receive(*, lines: list[StockLine], reference: str, acting_user, note: str = "") -> None:
    """Goods received (purchase order, supplier delivery): on hand rises."""
    _stock_in(lines=lines, reference=reference, acting_user=acting_user, reason=Reason.RECEIPT, note=note)


def stock_adjust(*, variant_id: int, location_id: int, delta: int, reason: str, acting_user,
                 reference: str = "") -> StockLevel:
    """Corrects on-hand stock by ``delta`` (damage, found, shrinkage); audited with its reason."""
    if not isinstance(delta, int) or delta == 0 or abs(delta) > INT_MAX:
        raise InvalidQuantity(_("The adjustment must be a whole number other than zero, from -%(max)s to %(max)s.")
                              % {"max": INT_MAX}, field="delta")
    if not reason.strip():
        raise InvalidQuantity(_("Give a reason for the adjustment."), field="reason")
    with transaction.atomic():
        _check_single(variant_id, location_id)
        levels = _lock_levels([(variant_id, location_id)], create=True)
        level = levels[(variant_id, location_id)]
        if _sent_before(level, reason=Reason.ADJUSTMENT, reference=reference):
            raise AlreadyRecorded(_("This adjustment is already recorded (the form was sent twice); on hand is "
                                    "%(on_hand)s.") % {"on_hand": level.on_hand})
        before = level.on_hand
        if level.on_hand + delta < level.reserved:
            raise InvalidQuantity(
                _("On hand would become %(new)s, below the %(reserved)s units reserved.")
                % {"new": level.on_hand + delta, "reserved": level.reserved},
                field="delta",
            )
        _apply(levels, {(variant_id, location_id): (delta, 0)}, reason=Reason.ADJUSTMENT,
               reference=reference or f"adjust:{level.pk}", acting_user=acting_user, note=reason)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=level, verb="stock_adjust",
                     changes={"on_hand": [before, level.on_hand]}, reason=reason)
        return level


def _sent_before(level: StockLevel, *, reason: str, reference: str) -> bool:
    """Whether the form copy named by ``reference`` already moved this (locked) stock level: the same form sent
    twice (a double click), its first copy committed before this lock was granted."""
    return bool(reference) and StockMovement.objects.filter(
        variant_id=level.variant_id, location_id=level.location_id, reason=reason, reference=reference).exists()


def stock_count(*, variant_id: int, location_id: int, counted: int, acting_user, note: str = "",
                reference: str = "") -> StockLevel:
    """Cycle count: sets on hand to what was counted and records the difference. ``reference`` names the form copy:
    sent twice, the second copy changes nothing (stock that moved meanwhile is not counted over)."""
    if not isinstance(counted, int) or not 0 <= counted <= INT_MAX:
        raise InvalidQuantity(_("The counted quantity must be a whole number from 0 to %(max)s.") % {"max": INT_MAX},
                              field="counted")
    with transaction.atomic():
        _check_single(variant_id, location_id)
        levels = _lock_levels([(variant_id, location_id)], create=True)
        level = levels[(variant_id, location_id)]
        if _sent_before(level, reason=Reason.COUNT, reference=reference):
            raise AlreadyRecorded(_("This count is already recorded (the form was sent twice); on hand is "
                                    "%(on_hand)s.") % {"on_hand": level.on_hand})
        before = level.on_hand
        if counted < level.reserved:
            raise CountBelowReserved(
                _("%(counted)s counted, but %(reserved)s units are reserved for orders: release or reallocate "
                  "them first.") % {"counted": counted, "reserved": level.reserved},
            )
        _apply(levels, {(variant_id, location_id): (counted - before, 0)}, reason=Reason.COUNT,
               reference=reference or f"count:{level.pk}", acting_user=acting_user, note=note)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=level, verb="stock_count",
                     changes={"on_hand": [before, counted]}, reason=note)
        return level


def stock_set_safety(*, variant_id: int, location_id: int, safety_stock: int, acting_user) -> StockLevel:
    if not isinstance(safety_stock, int) or not 0 <= safety_stock <= INT_MAX:
        raise InvalidQuantity(_("Safety stock must be a whole number from 0 to %(max)s.") % {"max": INT_MAX},
                              field="safety_stock")
    with transaction.atomic():
        _check_single(variant_id, location_id)
        level = _lock_levels([(variant_id, location_id)], create=True)[(variant_id, location_id)]
        before = level.safety_stock
        StockLevel.objects.filter(pk=level.pk).update(safety_stock=safety_stock)
        level.safety_stock = safety_stock
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=level, verb="stock_set_safety",
                     changes={"safety_stock": [before, safety_stock]})
        return level


# --- ledger verification ------------------------------------------------------------------------

LEDGER_DRIFT_SQL = """
SELECT COALESCE(l.variant_id, m.variant_id), COALESCE(l.location_id, m.location_id),
       COALESCE(l.on_hand, 0), COALESCE(m.on_hand, 0), COALESCE(l.reserved, 0), COALESCE(m.reserved, 0)
FROM inventory_stocklevel l
FULL OUTER JOIN (
    SELECT variant_id, location_id, SUM(on_hand_delta) AS on_hand, SUM(reserved_delta) AS reserved
    FROM inventory_stockmovement GROUP BY variant_id, location_id
) m ON m.variant_id = l.variant_id AND m.location_id = l.location_id
WHERE COALESCE(l.on_hand, 0) <> COALESCE(m.on_hand, 0) OR COALESCE(l.reserved, 0) <> COALESCE(m.reserved, 0)
ORDER BY 1, 2
"""


@dataclass(frozen=True)
class LedgerDrift:
    variant_id: int
    location_id: int
    level_on_hand: int
    ledger_on_hand: int
    level_reserved: int
    ledger_reserved: int


def ledger_drift() -> list[LedgerDrift]:
    """Every stock level whose on hand or reserved differs from the sum of its movements."""
    with connection.cursor() as cursor:
        cursor.execute(LEDGER_DRIFT_SQL)
        return [LedgerDrift(*map(int, row)) for row in cursor.fetchall()]


# --- transfers ----------------------------------------------------------------------------------

TRANSFER_TRANSITIONS = {
    Transfer.Status.REQUESTED: {Transfer.Status.IN_TRANSIT, Transfer.Status.CANCELLED},
    Transfer.Status.IN_TRANSIT: {Transfer.Status.RECEIVED},
    Transfer.Status.RECEIVED: set(),
    Transfer.Status.CANCELLED: set(),
}


def _transfer_transition(transfer: Transfer, *, to: str, acting_user, changes: dict | None = None) -> None:
    """The one place a transfer changes status (on a locked row)."""
    if to == transfer.status:  # a second click, or two people at once: the first did it
        raise InvalidTransition(
            _("Nothing was changed: transfer %(number)s is already %(status)s (someone did it meanwhile, or the "
              "button was pressed twice).") % {"number": transfer.number,
                                                "status": str(Transfer.Status(to).label).lower()})
    if to not in TRANSFER_TRANSITIONS[transfer.status]:
        raise InvalidTransition(
            _("Transfer %(number)s cannot go from %(old)s to %(new)s.")
            % {"number": transfer.number, "old": Transfer.Status(transfer.status).label,
               "new": Transfer.Status(to).label}
        )
    old = transfer.status
    transfer.status = to
    stamp = {Transfer.Status.IN_TRANSIT: "shipped_at", Transfer.Status.RECEIVED: "received_at",
             Transfer.Status.CANCELLED: "cancelled_at"}[to]
    setattr(transfer, stamp, timezone.now())
    transfer.save(update_fields=["status", stamp])
    audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, obj=transfer, verb=f"transfer_{to}",
                 changes={"status": [old, to], **(changes or {})})


def _transfer_hooks(event: str, transfer: Transfer, acting_user) -> None:
    """Lets an app that ties transfers to its own records react in the same transaction (``settings.
    INVENTORY_TRANSFER_HOOKS``: dotted paths of ``f(*, event, transfer, acting_user)``; event is shipped,
    receiving, received or cancelled). Orders use it to reserve a transfer's units for the order waiting at the
    destination, and to refuse the cancellation of a transfer an order still waits for (the hook raises an
    ``InventoryError``). ``receiving`` comes before the destination's stock rows are locked, so a hook can lock its
    own rows first, in the order its other transactions lock them (an order, then its lines, then stock)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    for path in getattr(settings, "INVENTORY_TRANSFER_HOOKS", ()):
        import_string(path)(event=event, transfer=transfer, acting_user=acting_user)


def _lock_transfer(transfer_id: int) -> Transfer:
    transfer = Transfer.objects.select_for_update(of=("self",)).filter(pk=transfer_id).first()
    if transfer is None:
        raise InvalidTransition(_("Transfer #%(id)s does not exist.") % {"id": transfer_id})
    return transfer


def _transfer_lines(transfer: Transfer, location_id: int) -> list[StockLine]:
    return [StockLine(line.variant_id, location_id, line.quantity) for line in transfer.lines.all()]


def transfer_create(*, from_location_id: int, to_location_id: int, lines: list[tuple[int, int]], acting_user,
                    reference: str = "", notes: str = "", request_key: str | None = None) -> Transfer:
    """Requests a transfer and reserves its stock at the source (``lines``: (variant_id, quantity)).

    ``request_key`` names the form copy it comes from: the same copy sent twice returns the first transfer."""
    if from_location_id == to_location_id:
        raise InvalidQuantity(_("Choose two different locations."), field="to_location")
    merged: dict[int, int] = defaultdict(int)
    for variant_id, quantity in lines:
        if not isinstance(quantity, int) or quantity <= 0:
            raise InvalidQuantity(_("Quantity must be a whole number above zero."))
        merged[variant_id] += quantity
        if merged[variant_id] > INT_MAX:
            raise InvalidQuantity(_("A quantity can be at most %(max)s.") % {"max": INT_MAX})
    if not merged:
        raise InvalidQuantity(_("Add at least one line."))
    with transaction.atomic():
        if (sent_before := created_by_request(Transfer, request_key)) is not None:
            return sent_before
        if Variant.objects.filter(pk__in=merged, is_kit=True).exists():
            raise InvalidQuantity(_("Kits cannot be transferred; transfer their components."))
        transfer = Transfer.objects.create(from_location_id=from_location_id, to_location_id=to_location_id,
                                           reference=reference, notes=notes, created_by=_user(acting_user),
                                           request_key=request_key or None)
        TransferLine.objects.bulk_create(
            [TransferLine(transfer=transfer, variant_id=v, quantity=q) for v, q in sorted(merged.items())]
        )
        stock_reserve(lines=[StockLine(v, from_location_id, q) for v, q in sorted(merged.items())],
                      reference=f"transfer:{transfer.pk}", acting_user=acting_user, respect_safety_stock=False)
        skus = dict(Variant.objects.filter(pk__in=merged).values_list("pk", "sku"))
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=transfer, verb="transfer_create",
                     changes={"lines": {skus[v]: q for v, q in sorted(merged.items())}})
        return transfer


def transfer_ship(*, transfer_id: int, acting_user) -> Transfer:
    """Stock leaves the source: its reservation is consumed and the transfer is in transit."""
    with transaction.atomic():
        transfer = _lock_transfer(transfer_id)
        _transfer_transition(transfer, to=Transfer.Status.IN_TRANSIT, acting_user=acting_user)
        wanted = _expand(_transfer_lines(transfer, transfer.from_location_id))
        levels = _lock_levels(wanted, create=False)
        _take_reserved(wanted, levels)
        _apply(levels, {k: (-q, -q) for k, q in wanted.items()}, reason=Reason.TRANSFER_OUT,
               reference=f"transfer:{transfer.pk}", acting_user=acting_user)
        _transfer_hooks("shipped", transfer, acting_user)
        return transfer


def transfer_receive(*, transfer_id: int, acting_user, received: dict[int, int] | None = None) -> Transfer:
    """Stock arrives at the destination: ``received`` is ``{line_id: units that arrived}`` (a line left out arrived
    as shipped; None: every line did). Fewer units than shipped (short, 0 for a lost parcel) or more (over) are
    put on hand as counted at the door, never as shipped; the differences are audited with the receipt."""
    received = dict(received or {})
    for quantity in received.values():
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= INT_MAX:
            raise InvalidQuantity(_("Received quantities must be whole numbers from 0 to %(max)s.") % {"max": INT_MAX})
    with transaction.atomic():
        transfer = _lock_transfer(transfer_id)
        lines = list(transfer.lines.select_related("variant").order_by("pk"))
        unknown = sorted(set(received) - {line.pk for line in lines})
        if unknown:
            raise InvalidQuantity(_("Transfer %(number)s has no line %(ids)s. Nothing was received.")
                                  % {"number": transfer.number, "ids": ", ".join(map(str, unknown))})
        for line in lines:
            line.quantity_received = received.get(line.pk, line.quantity)
        differences = {line.variant.sku: {"shipped": line.quantity, "received": line.quantity_received}
                       for line in lines if line.quantity_received != line.quantity}
        _transfer_transition(transfer, to=Transfer.Status.RECEIVED, acting_user=acting_user,
                             changes={"differences": differences} if differences else None)
        _transfer_hooks("receiving", transfer, acting_user)  # rows of other apps are locked before the stock's
        TransferLine.objects.bulk_update(lines, ["quantity_received"])
        arrived = [StockLine(line.variant_id, transfer.to_location_id, line.quantity_received)
                   for line in lines if line.quantity_received]
        if arrived:
            _stock_in(lines=arrived, reference=f"transfer:{transfer.pk}", acting_user=acting_user,
                      reason=Reason.TRANSFER_IN)
        _transfer_hooks("received", transfer, acting_user)
        return transfer


def transfer_cancel(*, transfer_id: int, acting_user) -> Transfer:
    """Cancels a transfer not yet shipped and releases what it held at the source."""
    with transaction.atomic():
        transfer = _lock_transfer(transfer_id)
        _transfer_transition(transfer, to=Transfer.Status.CANCELLED, acting_user=acting_user)
        _transfer_hooks("cancelled", transfer, acting_user)
        stock_release(lines=_transfer_lines(transfer, transfer.from_location_id),
                      reference=f"transfer:{transfer.pk}", acting_user=acting_user)
        return transfer


# --- purchase orders ----------------------------------------------------------------------------

PO_TRANSITIONS = {
    PurchaseOrder.Status.DRAFT: {PurchaseOrder.Status.SENT, PurchaseOrder.Status.CANCELLED},
    PurchaseOrder.Status.SENT: {PurchaseOrder.Status.PARTIALLY_RECEIVED, PurchaseOrder.Status.RECEIVED,
                                PurchaseOrder.Status.CANCELLED},
    # A supplier that delivers short: the rest is cancelled, what came stays received.
    PurchaseOrder.Status.PARTIALLY_RECEIVED: {PurchaseOrder.Status.PARTIALLY_RECEIVED,
                                              PurchaseOrder.Status.RECEIVED, PurchaseOrder.Status.CANCELLED},
    PurchaseOrder.Status.RECEIVED: set(),
    PurchaseOrder.Status.CANCELLED: set(),
}


def _po_transition(po: PurchaseOrder, *, to: str, acting_user) -> None:
    """The one place a purchase order changes status (on a locked row)."""
    if to not in PO_TRANSITIONS[po.status]:
        raise InvalidTransition(
            _("Purchase order %(number)s cannot go from %(old)s to %(new)s.")
            % {"number": po.number, "old": PurchaseOrder.Status(po.status).label,
               "new": PurchaseOrder.Status(to).label}
        )
    old = po.status
    po.status = to
    fields = ["status", "updated_at"]
    stamp = {PurchaseOrder.Status.SENT: "sent_at", PurchaseOrder.Status.RECEIVED: "received_at",
             PurchaseOrder.Status.CANCELLED: "cancelled_at"}.get(to)
    if stamp:
        setattr(po, stamp, timezone.now())
        fields.append(stamp)
    po.save(update_fields=fields)
    if old != to:
        audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, obj=po, verb=f"po_{to}",
                     changes={"status": [old, to]})


def _lock_po(po_id: int) -> PurchaseOrder:
    po = PurchaseOrder.objects.select_for_update(of=("self",)).filter(pk=po_id).first()
    if po is None:
        raise InvalidTransition(_("Purchase order #%(id)s does not exist.") % {"id": po_id})
    return po


def po_create(*, supplier_id: int, location_id: int, lines: list[tuple[int, int, Decimal | None]], acting_user,
              expected_on: date | None = None, notes: str = "", request_key: str | None = None) -> PurchaseOrder:
    """Drafts a purchase order; ``lines`` are (variant_id, quantity, unit_cost or None for the supplier's).

    ``expected_on``, when given, is from today to ``EXPECTED_WITHIN_DAYS`` ahead. ``request_key`` names the form
    copy it comes from: the same copy sent twice returns the first purchase order."""
    if expected_on is not None:
        today = timezone.localdate()
        if expected_on < today:
            raise InventoryError(_("The expected date cannot be before today."), field="expected_on")
        if (expected_on - today).days > EXPECTED_WITHIN_DAYS:
            raise InventoryError(_("The expected date can be at most two years ahead."), field="expected_on")
    with transaction.atomic():
        if (sent_before := created_by_request(PurchaseOrder, request_key)) is not None:
            return sent_before
        supplier = Supplier.objects.get(pk=supplier_id)
        po = PurchaseOrder.objects.create(supplier=supplier, location_id=location_id, currency=supplier.currency,
                                          expected_on=expected_on, notes=notes, created_by=_user(acting_user),
                                          request_key=request_key or None)
        po_add_lines(po_id=po.pk, lines=lines, acting_user=acting_user)
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=po, verb="po_create")
        return po


GROW_PO_LINES_SQL = """
    UPDATE inventory_purchaseorderline AS line
       SET quantity_ordered = line.quantity_ordered + grow.quantity, unit_cost = grow.unit_cost
      FROM unnest(%s::bigint[], %s::integer[], %s::numeric[]) AS grow (id, quantity, unit_cost)
     WHERE line.id = grow.id
"""


def po_add_lines(*, po_id: int, lines: list[tuple[int, int, Decimal | None]], acting_user) -> PurchaseOrder:
    """Adds quantities to a draft (an existing line of the same SKU grows)."""
    with transaction.atomic():
        po = _lock_po(po_id)
        if po.status != PurchaseOrder.Status.DRAFT:
            raise InvalidTransition(_("Only draft purchase orders can be changed."))
        costs = dict(po.supplier.items.values_list("variant_id", "cost"))
        fallback = dict(Variant.objects.filter(pk__in=[v for v, _q, _c in lines]).values_list("pk", "cost"))
        existing = {line.variant_id: line for line in po.lines.all()}
        new: dict[int, PurchaseOrderLine] = {}
        added: dict[int, int] = {}  # variant id -> units added to its existing line
        for variant_id, quantity, unit_cost in lines:
            if not isinstance(quantity, int) or quantity <= 0:
                raise InvalidQuantity(_("Quantity must be a whole number above zero."))
            if variant_id not in fallback:
                raise UnknownVariant(_("Unknown SKU id %(id)s.") % {"id": variant_id})
            cost = unit_cost if unit_cost is not None else costs.get(variant_id, fallback[variant_id])
            if not _unit_cost_fits(cost):
                raise InvalidQuantity(_("A unit cost must be a number from 0 to less than %(limit)s.")
                                      % {"limit": UNIT_COST_LIMIT})
            line = existing.get(variant_id) or new.get(variant_id)
            ordered = quantity + (line.quantity_ordered if line else 0)
            if ordered > INT_MAX:
                raise InvalidQuantity(_("A quantity can be at most %(max)s.") % {"max": INT_MAX})
            if line is None:
                new[variant_id] = PurchaseOrderLine(purchase_order=po, variant_id=variant_id,
                                                    quantity_ordered=quantity, unit_cost=cost)
                continue
            line.quantity_ordered, line.unit_cost = ordered, cost
            if variant_id in existing:
                added[variant_id] = added.get(variant_id, 0) + quantity
        # One INSERT for the new lines and one UPDATE for the lines that grew, however many lines are added.
        PurchaseOrderLine.objects.bulk_create(new.values())
        if added:
            with connection.cursor() as cursor:
                cursor.execute(GROW_PO_LINES_SQL, [[existing[v].pk for v in added], list(added.values()),
                                                   [existing[v].unit_cost for v in added]])
        po.save(update_fields=["updated_at"])
        return po


def po_change_lines(*, po_id: int, lines: dict[int, tuple[int, Decimal]], remove: Iterable[int] = (),
                    add: list[tuple[int, int, Decimal | None]] = (), acting_user) -> PurchaseOrder:
    """Changes a draft before it is sent, all or nothing: ``lines`` sets ``{line_id: (quantity, unit cost)}``,
    ``remove`` takes lines off, ``add`` adds SKUs as ``po_add_lines`` does. A reorder alert drafted on a line taken
    off is dismissed (the buyer decided against it: the next scan does not draft it again until stock has been
    above its point). Audited with each line's before and after."""
    from inventory.models import ReorderAlert

    remove = set(remove)
    with transaction.atomic():
        po = _lock_po(po_id)
        if po.status != PurchaseOrder.Status.DRAFT:
            raise InvalidTransition(_("Only draft purchase orders can be changed."))
        current = {line.pk: line for line in po.lines.select_related("variant")}
        unknown = sorted((set(lines) | remove) - set(current))
        if unknown:
            raise InventoryError(_("Purchase order %(number)s has no line %(ids)s (changed meanwhile?). Nothing was "
                                   "changed.") % {"number": po.number, "ids": ", ".join(map(str, unknown))})
        changes, changed = {}, []
        for line_id, (quantity, unit_cost) in lines.items():
            line = current[line_id]
            if line_id in remove or (line.quantity_ordered, line.unit_cost) == (quantity, unit_cost):
                continue
            if not isinstance(quantity, int) or not 0 < quantity <= INT_MAX:
                raise InvalidQuantity(_("%(sku)s: the quantity must be a whole number from 1 to %(max)s.")
                                      % {"sku": line.variant.sku, "max": INT_MAX})
            if not _unit_cost_fits(unit_cost):
                raise InvalidQuantity(_("%(sku)s: a unit cost must be a number from 0 to less than %(limit)s.")
                                      % {"sku": line.variant.sku, "limit": UNIT_COST_LIMIT})
            changes[line.variant.sku] = {"quantity": [line.quantity_ordered, quantity],
                                         "unit_cost": [str(line.unit_cost), str(unit_cost)]}
            line.quantity_ordered, line.unit_cost = quantity, unit_cost
            changed.append(line)
        PurchaseOrderLine.objects.bulk_update(changed, ["quantity_ordered", "unit_cost"])
        if remove:
            removed = [current[pk] for pk in sorted(remove)]
            changes.update({line.variant.sku: {"removed": line.quantity_ordered} for line in removed})
            alerts = ReorderAlert.objects.filter(
                purchase_order=po, status=ReorderAlert.Status.DRAFTED,
                variant_id__in=[line.variant_id for line in removed], location_id=po.location_id)
            _alert_transition(alerts.values_list("pk", flat=True), to=ReorderAlert.Status.DISMISSED)
            PurchaseOrderLine.objects.filter(pk__in=remove).delete()
        if add:
            po_add_lines(po_id=po.pk, lines=add, acting_user=acting_user)
            skus = dict(Variant.objects.filter(pk__in=[v for v, _q, _c in add]).values_list("pk", "sku"))
            changes["added"] = {skus[variant_id]: quantity for variant_id, quantity, _cost in add}
        if changes:
            po.save(update_fields=["updated_at"])
            audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=po, verb="po_edit", changes=changes)
        return po


def po_send(*, po_id: int, acting_user) -> PurchaseOrder:
    with transaction.atomic():
        po = _lock_po(po_id)
        if po.status == PurchaseOrder.Status.DRAFT and not po.lines.exists():
            raise InvalidTransition(_("Add at least one line before sending."))
        _po_transition(po, to=PurchaseOrder.Status.SENT, acting_user=acting_user)
        return po


def po_cancel(*, po_id: int, acting_user) -> PurchaseOrder:
    """Cancels what is still expected: a draft or sent order whole, a partly received one for the rest (the units
    received stay on hand); either way nothing of it counts as on order any more."""
    with transaction.atomic():
        po = _lock_po(po_id)
        _po_transition(po, to=PurchaseOrder.Status.CANCELLED, acting_user=acting_user)
        return po


# A receipt's lines in one statement, however many lines the purchase order has (as the stock levels' deltas).
RECEIVE_SQL = """
    UPDATE inventory_purchaseorderline AS line
       SET quantity_received = line.quantity_received + receipt.quantity
      FROM unnest(%s::bigint[], %s::integer[]) AS receipt (id, quantity)
     WHERE line.id = receipt.id
"""


def po_receive(*, po_id: int, quantities: dict[int, int], acting_user,
               received_before: dict[int, int] | None = None) -> PurchaseOrder:
    """Receives ``{line_id: quantity}`` into the PO's location; partial receipts are allowed.

    ``received_before`` (``{line_id: quantity received}`` as the receiving page showed it) makes the receipt
    count once: if a line has received more since, the page was sent twice (a double click) or a colleague
    recorded the same delivery, and nothing is recorded."""
    with transaction.atomic():
        po = _lock_po(po_id)
        lines = {line.pk: line for line in po.lines.select_for_update(of=("self",)).order_by("pk")}
        # First what changed since the page was opened: the last delivery sent twice finds the order received.
        for line_id, seen in sorted((received_before or {}).items()):
            line = lines.get(line_id)
            if line is not None and line.quantity_received != seen:
                raise ReceiptOutdated(
                    _("%(sku)s: %(received)s received now, %(seen)s when this page was opened (sent twice, or "
                      "someone else recorded a receipt). Nothing was recorded: check the quantities and record "
                      "again.") % {"sku": line.variant.sku, "received": line.quantity_received, "seen": seen})
        if po.status == PurchaseOrder.Status.RECEIVED:
            raise InvalidTransition(_("%(number)s is already received in full; nothing more is expected.")
                                    % {"number": po.number})
        if po.status not in (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIALLY_RECEIVED):
            raise InvalidTransition(_("Only sent purchase orders can be received."))
        receipts = []
        for line_id, quantity in sorted(quantities.items()):
            if quantity == 0:
                continue
            if line_id not in lines:
                raise InvalidQuantity(_("Line #%(id)s is not on this purchase order.") % {"id": line_id})
            if not isinstance(quantity, int) or quantity < 0:
                raise InvalidQuantity(_("Received quantities must be whole numbers, zero or more."))
            line = lines[line_id]
            if quantity > line.quantity_open:
                raise ReceiptTooLarge(
                    _("%(sku)s: %(q)s received but only %(open)s still expected.")
                    % {"sku": line.variant.sku, "q": quantity, "open": line.quantity_open}
                )
            receipts.append((line, quantity))
        if not receipts:
            raise InvalidQuantity(_("Enter at least one received quantity."))
        with connection.cursor() as cursor:  # one UPDATE for every received line (locked above)
            cursor.execute(RECEIVE_SQL, [[line.pk for line, _q in receipts], [q for _line, q in receipts]])
        for line, quantity in receipts:
            line.quantity_received += quantity
        stock_receive(lines=[StockLine(line.variant_id, po.location_id, q) for line, q in receipts],
                      reference=f"po:{po.pk}", acting_user=acting_user)
        complete = all(line.quantity_open == 0 for line in lines.values())
        _po_transition(po, to=PurchaseOrder.Status.RECEIVED if complete else PurchaseOrder.Status.PARTIALLY_RECEIVED,
                       acting_user=acting_user)
        # News for the supplier invoices waiting for these goods (payments matches them again).
        outbox_enqueue(topic="inventory.po_received", payload={"po_id": po.pk})
        return po


# --- catalogue search text ----------------------------------------------------------------------

SEARCH_TEXT_SQL = """
UPDATE inventory_variant v SET search_text = LOWER(CONCAT_WS(' ', v.sku, NULLIF(v.barcode, ''), p.code, v.name,
                                                       p.name, b.name, c.path))
FROM inventory_product p
LEFT JOIN inventory_brand b ON b.id = p.brand_id
LEFT JOIN inventory_category c ON c.id = p.category_id
WHERE p.id = v.product_id
"""


def variant_refresh_search_text(*, variant_ids: Iterable[int] | None = None, product_ids: Iterable[int] | None = None
                                ) -> int:
    """Rebuilds the search text of some (or all) SKUs in one statement; returns the rows updated."""
    sql, params = SEARCH_TEXT_SQL, []
    if variant_ids is not None:
        sql += " AND v.id = ANY(%s)"
        params.append(list(variant_ids))
    if product_ids is not None:
        sql += " AND v.product_id = ANY(%s)"
        params.append(list(product_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- reorder ------------------------------------------------------------------------------------

REORDER_LOCK = 7_301_001  # pg advisory lock key: one reorder scan at a time


@dataclass
class ReorderScanResult:
    raised: int = 0
    resolved: int = 0
    drafted_alerts: int = 0
    purchase_orders: list[int] | None = None


def _alert_transition(alert_ids: Iterable[int], *, to: str, **fields) -> int:
    """The one place reorder alerts change status."""
    from inventory.models import ReorderAlert

    if to in (ReorderAlert.Status.RESOLVED, ReorderAlert.Status.DISMISSED):
        fields.setdefault("closed_at", timezone.now())
    return ReorderAlert.objects.filter(pk__in=list(alert_ids)).update(status=to, **fields)


def reorder_scan(*, acting_user, draft: bool = True) -> ReorderScanResult:
    """Raises an alert for every active rule whose available + on order is at or below its reorder point,
    closes alerts whose need is gone, and (``draft``) drafts purchase orders grouped by supplier.

    The need of a rule is raised once: one live alert per rule (a database constraint) and quantities
    already on draft or sent purchase orders count as on order.
    """
    from inventory.models import ReorderAlert, ReorderRule, SupplierItem
    from inventory.selectors import on_order, reorder_suppliers

    result = ReorderScanResult(purchase_orders=[])
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REORDER_LOCK])
        rules = list(ReorderRule.objects.filter(is_active=True, variant__is_active=True, location__is_active=True))
        keys = [(r.variant_id, r.location_id) for r in rules]
        levels = {
            (v, loc): on_hand - reserved
            for v, loc, on_hand, reserved in StockLevel.objects.filter(
                variant_id__in={v for v, _l in keys}).values_list("variant_id", "location_id", "on_hand", "reserved")
        }
        incoming = on_order(keys=keys)
        live = {a.rule_id: a for a in ReorderAlert.objects.select_related("purchase_order").filter(
            status__in=[ReorderAlert.Status.OPEN, ReorderAlert.Status.DRAFTED, ReorderAlert.Status.DISMISSED])}
        moqs = {(i.supplier_id, i.variant_id): i.min_order_quantity
                for i in SupplierItem.objects.filter(variant_id__in={v for v, _l in keys})}
        # A preferred supplier no longer active is passed over, as the purchase order form passes it over.
        suppliers = reorder_suppliers(rules)
        # The need of a rule turned off (or of a SKU or location no longer active) is gone: its alert is closed, so
        # the drafting below (which takes every open alert) does not order it.
        ruled = {rule.pk for rule in rules}
        resolved, new_alerts = [alert.pk for rule_id, alert in live.items() if rule_id not in ruled], []
        for rule in rules:
            key = (rule.variant_id, rule.location_id)
            available = levels.get(key, 0)
            position = available + incoming.get(key, 0)
            alert = live.get(rule.pk)
            if alert is not None and alert.status == ReorderAlert.Status.DISMISSED:
                # A dismissed need stays quiet until stock rises above the point again.
                if position > rule.reorder_point:
                    resolved.append(alert.pk)
                continue
            if alert is not None:
                po = alert.purchase_order
                po_closed = alert.status == ReorderAlert.Status.DRAFTED and (
                    po is None or po.status in (PurchaseOrder.Status.RECEIVED, PurchaseOrder.Status.CANCELLED))
                if po_closed or (alert.status == ReorderAlert.Status.OPEN and position > rule.reorder_point):
                    resolved.append(alert.pk)
                    alert = None
                else:
                    continue
            if position > rule.reorder_point:
                continue
            supplier_id = suppliers[rule.pk]
            moq = moqs.get((supplier_id, rule.variant_id), 1)
            need = rule.order_up_to - position
            quantity = max(need, moq)
            new_alerts.append(ReorderAlert(rule=rule, variant_id=rule.variant_id, location_id=rule.location_id,
                                           available=available, on_order=incoming.get(key, 0),
                                           suggested_quantity=quantity, supplier_id=supplier_id))
        result.resolved = _alert_transition(resolved, to=ReorderAlert.Status.RESOLVED) if resolved else 0
        created = ReorderAlert.objects.bulk_create(new_alerts, ignore_conflicts=True)
        result.raised = len(created)
        if created:
            _notify_buyers(len(created))
        if draft:
            drafted = reorder_draft_purchase_orders(acting_user=acting_user)
            result.drafted_alerts, result.purchase_orders = drafted
    return result


def reorder_draft_purchase_orders(*, acting_user, alert_ids: Iterable[int] | None = None) -> tuple[int, list[int]]:
    """Drafts purchase orders for open alerts that have a supplier, one per (supplier, location); an open
    draft for the same supplier and location is extended instead of starting another."""
    from inventory.models import ReorderAlert

    with transaction.atomic():
        alerts = ReorderAlert.objects.select_for_update(of=("self",)).filter(
            status=ReorderAlert.Status.OPEN, supplier__isnull=False).order_by("pk")
        if alert_ids is not None:
            alerts = alerts.filter(pk__in=list(alert_ids))
        groups: dict[tuple[int, int], list] = defaultdict(list)
        for alert in alerts:
            groups[(alert.supplier_id, alert.location_id)].append(alert)
        po_ids = []
        for (supplier_id, location_id), group in sorted(groups.items()):
            po = PurchaseOrder.objects.filter(supplier_id=supplier_id, location_id=location_id,
                                              status=PurchaseOrder.Status.DRAFT).order_by("pk").first()
            lines = [(a.variant_id, a.suggested_quantity, None) for a in group]
            if po is None:
                # No note: the notes are the supplier's (printed on the PDF); the page says which alerts drafted it.
                po = po_create(supplier_id=supplier_id, location_id=location_id, lines=lines, acting_user=acting_user)
            else:
                po_add_lines(po_id=po.pk, lines=lines, acting_user=acting_user)
            _alert_transition([a.pk for a in group], to=ReorderAlert.Status.DRAFTED, purchase_order=po)
            po_ids.append(po.pk)
        return sum(len(g) for g in groups.values()), po_ids


def reorder_alert_dismiss(*, alert_id: int, acting_user) -> None:
    from inventory.models import ReorderAlert

    with transaction.atomic():
        if not _alert_transition(
            ReorderAlert.objects.filter(pk=alert_id, status=ReorderAlert.Status.OPEN).values_list("pk", flat=True),
            to=ReorderAlert.Status.DISMISSED,
        ):
            raise InvalidTransition(_("Only open alerts can be dismissed."))
        audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, object_type="inventory.reorderalert",
                     object_id=str(alert_id), verb="reorder_alert_dismiss")


def reorder_rule_points_set(*, points: dict[int, tuple[int, int]], acting_user) -> int:
    """Sets ``{rule_id: (reorder point, order up to)}`` on those reorder rules, all or none; returns how many
    changed. The next reorder scan raises and closes alerts by the new points."""
    from inventory.models import ReorderRule

    with transaction.atomic():
        rules = list(ReorderRule.objects.select_for_update(of=("self",)).select_related("variant", "location")
                     .filter(pk__in=list(points)).order_by("pk"))
        missing = sorted(set(points) - {rule.pk for rule in rules})
        if missing:
            raise InventoryError(_("These reorder rules no longer exist: %(ids)s. Nothing was changed.")
                                 % {"ids": ", ".join(map(str, missing))})
        changed, changes = [], {}
        for rule in rules:
            new = point, up_to = points[rule.pk]
            if not (isinstance(point, int) and isinstance(up_to, int) and 0 <= point < up_to <= INT_MAX):
                raise InvalidQuantity(_("%(rule)s: the order-up-to level (%(up_to)s) must be above the reorder point "
                                        "(%(point)s), both whole numbers of 0 or more. Nothing was changed.")
                                      % {"rule": rule, "point": point, "up_to": up_to})
            if (rule.reorder_point, rule.order_up_to) != new:
                changes[str(rule)] = {"from": [rule.reorder_point, rule.order_up_to], "to": list(new)}
                rule.reorder_point, rule.order_up_to = new
                changed.append(rule)
        if changed:
            ReorderRule.objects.bulk_update(changed, ["reorder_point", "order_up_to"])
            audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, object_type="inventory.reorderrule",
                         verb="reorder_rule_points", changes=changes)
    return len(changed)


def _notify_buyers(count: int) -> None:
    from django.contrib.auth import get_user_model

    from oms.mail import absolute_url, email_enqueue, staff_recipients

    buyers = get_user_model().objects.filter(
        Q(groups__permissions__codename="manage_purchasing") | Q(is_superuser=True), is_active=True,
    ).exclude(email="").distinct()
    email_enqueue(
        to=staff_recipients(buyers), subject=stored_text(gettext_noop("%(count)s new reorder alert(s)"), count=count),
        body=stored_join("\n\n", [stored_text(gettext_noop(
            "%(count)s SKU(s) fell to their reorder point. Review them on the reorder alerts page."), count=count),
            absolute_url("inventory:reorder_alerts")]))


# --- bulk stock import (COPY into a temporary table, then set-based updates) ---------------------


IMPORT_COPY_CHUNK = 5000


def stock_import_levels(*, rows: list[tuple[int, int, int, int | None]], reference: str, acting_user,
                        mode: str = "set", progress=None) -> int:
    """Imports stock for ``(variant_id, location_id, quantity, safety)`` rows in one transaction.

    ``mode="set"`` (count style) sets on hand to ``quantity`` and records the difference as an ``import``
    movement; ``mode="add"`` (receipt style) adds ``quantity`` to on hand as a ``receipt`` movement.
    ``safety`` (or None) sets safety stock. Rows whose new on hand would fall below what is reserved fail
    the whole import. ``progress(rows_done)`` is called as rows are loaded. Returns the movements written.
    """
    if mode not in ("set", "add"):
        raise InvalidQuantity(_("Unknown stock import mode %(mode)s.") % {"mode": mode})
    user = _user(acting_user)
    new_on_hand = "i.quantity" if mode == "set" else "l.on_hand + i.quantity"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS inventory_import_stock")
        cursor.execute(
            "CREATE TEMP TABLE inventory_import_stock (variant_id bigint, location_id bigint, quantity integer, "
            "safety integer) ON COMMIT DROP"
        )
        with cursor.cursor.copy(
            "COPY inventory_import_stock (variant_id, location_id, quantity, safety) FROM STDIN"
        ) as copy:
            for number, row in enumerate(rows, start=1):
                copy.write_row(row)
                if progress is not None and number % IMPORT_COPY_CHUNK == 0:
                    progress(number)
        cursor.execute("ALTER TABLE inventory_import_stock ADD PRIMARY KEY (variant_id, location_id)")
        cursor.execute("ANALYZE inventory_import_stock")
        cursor.execute(
            "INSERT INTO inventory_stocklevel (variant_id, location_id, on_hand, reserved, safety_stock, updated_at) "
            "SELECT variant_id, location_id, 0, 0, 0, NOW() FROM inventory_import_stock "
            "ORDER BY variant_id, location_id ON CONFLICT (variant_id, location_id) DO NOTHING"
        )
        cursor.execute(
            "SELECT l.id FROM inventory_stocklevel l JOIN inventory_import_stock i "
            "ON i.variant_id = l.variant_id AND i.location_id = l.location_id ORDER BY l.id FOR UPDATE OF l"
        )
        cursor.execute(
            f"SELECT v.sku, loc.code, {new_on_hand}, l.reserved FROM inventory_stocklevel l "  # noqa: S608
            "JOIN inventory_import_stock i ON i.variant_id = l.variant_id AND i.location_id = l.location_id "
            "JOIN inventory_variant v ON v.id = l.variant_id JOIN inventory_location loc ON loc.id = l.location_id "
            f"WHERE {new_on_hand} < l.reserved ORDER BY v.sku LIMIT 20"
        )
        below = cursor.fetchall()
        if below:
            details = "; ".join(
                _("%(sku)s at %(loc)s: %(new)s below %(reserved)s reserved")
                % {"sku": sku, "loc": loc, "new": new, "reserved": reserved}
                for sku, loc, new, reserved in below
            )
            raise InvalidQuantity(_("On hand cannot go below reserved stock. %(details)s") % {"details": details})
        cursor.execute(
            "INSERT INTO inventory_stockmovement (variant_id, location_id, on_hand_delta, reserved_delta, reason, "
            "reference, note, user_id, created_at) "
            f"SELECT i.variant_id, i.location_id, {new_on_hand} - l.on_hand, 0, %s, %s, '', %s, NOW() "  # noqa: S608
            "FROM inventory_stocklevel l JOIN inventory_import_stock i "
            f"ON i.variant_id = l.variant_id AND i.location_id = l.location_id WHERE {new_on_hand} <> l.on_hand",
            [Reason.IMPORT if mode == "set" else Reason.RECEIPT, reference[:64], user.pk if user else None],
        )
        written = cursor.rowcount
        cursor.execute(
            f"UPDATE inventory_stocklevel l SET on_hand = {new_on_hand}, "  # noqa: S608
            "safety_stock = COALESCE(i.safety, l.safety_stock), updated_at = NOW() FROM inventory_import_stock i "
            "WHERE i.variant_id = l.variant_id AND i.location_id = l.location_id "
            f"AND ({new_on_hand} <> l.on_hand OR i.safety IS DISTINCT FROM NULL AND i.safety <> l.safety_stock)"
        )
        audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, object_type="inventory.stocklevel",
                     verb="stock_import", changes={"rows": len(rows), "movements": written, "mode": mode},
                     reason=reference)
        if progress is not None:
            progress(len(rows))
        return written


# --- catalogue, locations and purchasing records ------------------------------------------------

AUDIT_EXCLUDE = {"id", "search_text", "created_at", "updated_at", "path"}


def _record_fields(obj) -> list[str]:
    return [f.name for f in obj._meta.concrete_fields if f.name not in AUDIT_EXCLUDE]


def _category_descendants(category_id: int) -> list[int]:
    from inventory.models import Category

    found, frontier = [], [category_id]
    while frontier:
        frontier = list(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        found.extend(frontier)
    return found


# A SKU refused where stock is counted, imported or planned (stock, supplier items, reorder rules).
KIT_HOLDS_NO_STOCK = gettext_noop("%(value)s is a kit; it holds no stock of its own.")


# Working days a location takes to hand a parcel over: more is a typing slip (1000 for 10), which would promise
# orders years ahead, and a few million would push dates past the calendar (every sourcing decision failing).
MAX_HANDLING_DAYS = 60
# Days a supplier takes to deliver: the forecast reaches that far ahead, so a slip (the largest number the box
# takes) would make it count past the calendar's last day.
MAX_LEAD_TIME_DAYS = 365


def catalogue_rules(obj) -> dict[str, list[str]]:
    """``{field: [messages]}`` for the rules a catalogue, location or purchasing record breaks beyond its own
    fields (``catalogue_object_save`` applies them; so do the Django admin's forms and import resources)."""
    return _business_rules(obj)


def _business_rules(obj) -> dict[str, list[str]]:
    """Rules that span rows or that the database would only report as a bare constraint name."""
    from inventory.models import Category, KitComponent, PersonalizationField, ReorderRule, SupplierItem

    errors: dict[str, list[str]] = defaultdict(list)
    if isinstance(obj, Location | Supplier) and obj.code:
        # Imports read location and supplier codes in any case: two that differ only in case would be one.
        same = type(obj).objects.filter(code__iexact=obj.code).exclude(pk=obj.pk).exclude(code=obj.code)
        if taken := same.values_list("code", flat=True).first():
            errors["code"].append(_("%(code)s already exists; codes that differ only in upper and lower case are the "
                                    "same code.") % {"code": taken})
    if isinstance(obj, Supplier | SupplierItem) and (obj.lead_time_days or 0) > MAX_LEAD_TIME_DAYS:
        errors["lead_time_days"].append(_("A supplier delivers within at most %(max)s days.")
                                        % {"max": MAX_LEAD_TIME_DAYS})
    if isinstance(obj, Variant):
        # SKUs are looked up in any case (forms, line lists, imports): two that differ only in case are one.
        same = Variant.objects.filter(sku__iexact=obj.sku).exclude(pk=obj.pk).exclude(sku=obj.sku)
        if obj.sku and (taken := same.values_list("sku", flat=True).first()):
            errors["sku"].append(_("SKU %(sku)s already exists; SKUs that differ only in upper and lower case are the "
                                   "same SKU.") % {"sku": taken})
        if obj.barcode and Variant.objects.filter(barcode=obj.barcode).exclude(pk=obj.pk).exists():
            errors["barcode"].append(_("Barcode %(value)s is already used by another SKU.") % {"value": obj.barcode})
        for name in ("cost", "base_price"):
            if getattr(obj, name) is not None and getattr(obj, name) < 0:
                errors[name].append(_("Cannot be negative."))
        if obj.pk:
            was_kit = Variant.objects.filter(pk=obj.pk).values_list("is_kit", flat=True).first()
            if obj.is_kit and not was_kit and StockLevel.objects.filter(
                    Q(on_hand__gt=0) | Q(reserved__gt=0), variant_id=obj.pk).exists():
                errors["is_kit"].append(_("This SKU holds stock; a kit holds none. Move or count its stock to zero "
                                          "first."))
            if was_kit and not obj.is_kit and KitComponent.objects.filter(kit_id=obj.pk).exists():
                errors["is_kit"].append(_("Remove the kit's components first."))
    elif isinstance(obj, Category) and obj.pk and obj.parent_id:
        if obj.parent_id == obj.pk or obj.parent_id in _category_descendants(obj.pk):
            errors["parent"].append(_("A category cannot sit under itself or one of its own subcategories."))
    elif isinstance(obj, Location):
        if obj.latitude is not None and not -90 <= obj.latitude <= 90:
            errors["latitude"].append(_("Latitude must be between -90 and 90."))
        if obj.longitude is not None and not -180 <= obj.longitude <= 180:
            errors["longitude"].append(_("Longitude must be between -180 and 180."))
        if obj.state and not (len(obj.state) == 2 and obj.state.isalpha()):
            errors["state"].append(_("Use the two-letter region code, e.g. SP."))
        if obj.handling_days is not None and obj.handling_days > MAX_HANDLING_DAYS:
            errors["handling_days"].append(_("A location hands a parcel over within at most %(max)s working days.")
                                           % {"max": MAX_HANDLING_DAYS})
    elif isinstance(obj, KitComponent):
        if obj.kit_id and not Variant.objects.filter(pk=obj.kit_id, is_kit=True).exists():
            errors["kit"].append(_("This SKU is not marked as a kit."))
        if obj.component_id and Variant.objects.filter(pk=obj.component_id, is_kit=True).exists():
            errors["component"].append(_("A kit cannot be a component of another kit."))
        if obj.kit_id and obj.kit_id == obj.component_id:
            errors["component"].append(_("A kit cannot contain itself."))
        if obj.quantity is not None and obj.quantity <= 0:
            errors["quantity"].append(_("Must be at least 1."))
    elif isinstance(obj, PersonalizationField):
        if obj.max_length is not None and obj.max_length <= 0:
            errors["max_length"].append(_("Must be at least 1."))
        if obj.extra_price is not None and obj.extra_price < 0:
            errors["extra_price"].append(_("Cannot be negative."))
    elif isinstance(obj, SupplierItem):
        if obj.cost is not None and obj.cost < 0:
            errors["cost"].append(_("Cannot be negative."))
        if obj.min_order_quantity is not None and obj.min_order_quantity <= 0:
            errors["min_order_quantity"].append(_("Must be at least 1."))
    elif isinstance(obj, ReorderRule):
        kit_sku = (Variant.objects.filter(pk=obj.variant_id, is_kit=True).values_list("sku", flat=True).first()
                   if obj.variant_id else None)
        if kit_sku is not None:  # a kit is stocked (and reordered) as its components
            errors["variant"].append(_(KIT_HOLDS_NO_STOCK) % {"value": kit_sku})
        if None not in (obj.reorder_point, obj.order_up_to) and obj.order_up_to <= obj.reorder_point:
            errors["order_up_to"].append(_("Must be above the reorder point (%(point)s).")
                                         % {"point": obj.reorder_point})
    return {k: v for k, v in errors.items() if v}


def _after_save(obj) -> None:
    """Keeps derived columns right: category paths and the SKU search text."""
    from inventory.models import Brand, Category, Product

    if isinstance(obj, Category):
        todo = [obj.pk, *_category_descendants(obj.pk)]
        # Parents first: walk the tree from the saved node down.
        queue = [obj.pk]
        while queue:
            nodes = list(Category.objects.filter(pk__in=queue).select_related("parent"))
            for node in nodes:
                path = f"{node.parent.path} / {node.name}" if node.parent_id else node.name
                if path != node.path:
                    Category.objects.filter(pk=node.pk).update(path=path[:500])
            queue = list(Category.objects.filter(parent_id__in=queue).values_list("pk", flat=True))
        variant_refresh_search_text(product_ids=Product.objects.filter(category_id__in=todo).values_list("pk",
                                                                                                        flat=True))
    elif isinstance(obj, Brand):
        variant_refresh_search_text(product_ids=Product.objects.filter(brand_id=obj.pk).values_list("pk", flat=True))
    elif isinstance(obj, Product):
        variant_refresh_search_text(product_ids=[obj.pk])
    elif isinstance(obj, Variant):
        variant_refresh_search_text(variant_ids=[obj.pk])


def kit_change_check(*, kit_id: int) -> None:
    """Raises an ``InventoryError`` (``InUse``) while a kit's components may not change: the one rule for every
    way of editing them (the kit's pages, the Django admin). Apps that hold stock for kits refuse through
    ``settings.INVENTORY_KIT_HOOKS`` (dotted paths of ``f(*, kit_id)`` raising an ``InventoryError``). A kit is
    reserved as the components its recipe names then, and released or shipped by expanding it again: a recipe
    changed in between would leave the old components reserved and refuse the release. Orders refuse while a
    line of the kit holds stock."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    for path in getattr(settings, "INVENTORY_KIT_HOOKS", ()):
        import_string(path)(kit_id=kit_id)


def catalogue_object_save(*, obj, acting_user, reason: str = ""):
    """Validates and saves one catalogue, location or purchasing record (brand, category, product, SKU,
    kit component, personalization field, location, supplier, supplier item, reorder rule), with an audit
    entry holding the changed fields (cost and price changes included). Raises ``CatalogueInvalid``
    naming each bad field; nothing is saved then."""
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError

    from inventory.errors import CatalogueInvalid
    from oms.audit import diff, snapshot

    with transaction.atomic(durable=True):
        before = {}
        if obj.pk:
            current = type(obj).objects.select_for_update(of=("self",)).filter(pk=obj.pk).first()
            if current is None:
                raise CatalogueInvalid({"__all__": [_("This record no longer exists.")]})
            before = snapshot(current, _record_fields(current))
        errors: dict[str, list[str]] = {}
        try:
            obj.full_clean()
        except ValidationError as exc:
            errors = {name: list(messages) for name, messages in exc.message_dict.items()}
        for name, messages in _business_rules(obj).items():
            errors.setdefault(name, [])
            errors[name] += [m for m in messages if m not in errors[name]]
        if errors:
            # Bare constraint messages are replaced by the field-level ones the business rules give.
            if len(errors) > 1 and "__all__" in errors:
                errors["__all__"] = [m for m in errors["__all__"] if "inventory_" not in m]
                if not errors["__all__"]:
                    del errors["__all__"]
            raise CatalogueInvalid(errors)
        creating = obj.pk is None
        if isinstance(obj, KitComponent) and (creating or diff(before, snapshot(obj, _record_fields(obj)))):
            for kit_id in sorted({obj.kit_id, before.get("kit", obj.kit_id)}):
                kit_change_check(kit_id=kit_id)
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError as exc:
            raise CatalogueInvalid({"__all__": [_("This conflicts with an existing record (%(detail)s).")
                                                % {"detail": str(exc).splitlines()[0]}]}) from exc
        _after_save(obj)
        obj.refresh_from_db()  # compare stored values: 12.50 typed over 12.5000 stored is no change
        changes = diff(before, snapshot(obj, _record_fields(obj)))
        if creating or changes:
            audit_record(actor=acting_user, action=AuditEntry.Action.CREATE if creating else AuditEntry.Action.UPDATE,
                         obj=obj, verb="catalogue_save", changes=changes, reason=reason)
        return obj


def catalogue_object_delete(*, obj, acting_user) -> None:
    """Deletes a kit component, personalization field, supplier item or reorder rule (audited)."""
    from django.db.models import ProtectedError

    from inventory.errors import InUse
    from oms.audit import snapshot

    with transaction.atomic(durable=True):
        if isinstance(obj, KitComponent):
            kit_change_check(kit_id=obj.kit_id)
        audit_record(actor=acting_user, action=AuditEntry.Action.DELETE, obj=obj, verb="catalogue_delete",
                     changes=snapshot(obj, _record_fields(obj)))
        try:
            with transaction.atomic():
                obj.delete()
        except ProtectedError as exc:
            raise InUse(_("%(obj)s is still in use and cannot be deleted.") % {"obj": obj}) from exc

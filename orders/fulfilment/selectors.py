"""Read queries of fulfilment for dashboards and reports (reports reads these; it writes nothing)."""

from datetime import datetime

from django.db.models import Count, F, Sum

from orders.fulfilment.models import AtRiskFlag, ReturnLine, Shipment, ShipmentLine
from orders.models import OrderLine

SHIPPED_STATUSES = [Shipment.Status.SHIPPED, Shipment.Status.DELIVERED, Shipment.Status.FAILED_DELIVERY]


def at_risk_count(*, channel_id: int | None = None) -> int:
    """Orders with at least one open at-risk flag (the KPIs tile; of one channel when given)."""
    flags = AtRiskFlag.objects.filter(cleared_at__isnull=True)
    if channel_id:
        flags = flags.filter(order__channel_id=channel_id)
    return flags.values("order_id").distinct().count()


def return_reasons(*, since: datetime | None = None, until: datetime | None = None,
                   channel_id: int | None = None) -> list[dict]:
    """Returned units per reason code (returns not rejected; of one channel's orders when given), most frequent
    first."""
    rows = ReturnLine.objects.exclude(rma__status="rejected")
    if channel_id:
        rows = rows.filter(rma__order__channel_id=channel_id)
    if since:
        rows = rows.filter(rma__created_at__gte=since)
    if until:
        rows = rows.filter(rma__created_at__lt=until)
    return list(rows.values("reason").annotate(units=Sum("quantity"), returns=Count("rma", distinct=True))
                .order_by("-units", "reason"))


def return_rates(*, since: datetime | None = None, until: datetime | None = None) -> list[dict]:
    """Per SKU: units shipped, units returned and the rate (returned / shipped), highest rate first."""
    shipped = ShipmentLine.objects.filter(shipment__status__in=[Shipment.Status.SHIPPED, Shipment.Status.DELIVERED,
                                                                Shipment.Status.FAILED_DELIVERY])
    returned = ReturnLine.objects.exclude(rma__status="rejected")
    if since:
        shipped = shipped.filter(shipment__shipped_at__gte=since)
        returned = returned.filter(rma__created_at__gte=since)
    if until:
        shipped = shipped.filter(shipment__shipped_at__lt=until)
        returned = returned.filter(rma__created_at__lt=until)
    out = {sku: {"sku": sku, "shipped": units, "returned": 0}
           for sku, units in shipped.values_list("order_line__sku").annotate(u=Sum("quantity"))}
    for sku, units in returned.values_list("order_line__sku").annotate(u=Sum("quantity")):
        out.setdefault(sku, {"sku": sku, "shipped": 0, "returned": 0})["returned"] = units
    for row in out.values():
        row["rate"] = row["returned"] / row["shipped"] if row["shipped"] else None
    return sorted(out.values(), key=lambda r: (-(r["rate"] or 0), r["sku"]))


def step_durations(*, since: datetime | None = None) -> dict[str, float | None]:
    """Average hours of each fulfilment step over orders placed since ``since``: placed -> allocated,
    allocated -> shipped (all of it), shipped -> delivered. ``None`` when no order made that step."""
    from django.db.models import Avg, DurationField, ExpressionWrapper, F

    from orders.fulfilment.models import OrderMilestones

    rows = OrderMilestones.objects.all()
    if since:
        rows = rows.filter(order__placed_at__gte=since)

    def hours(start, end):
        return Avg(ExpressionWrapper(F(end) - F(start), output_field=DurationField()))

    result = rows.aggregate(to_allocate=hours("order__placed_at", "allocated_at"),
                            to_ship=hours("allocated_at", "shipped_at"),
                            to_deliver=hours("shipped_at", "delivered_at"))
    return {k: (v.total_seconds() / 3600 if v is not None else None) for k, v in result.items()}


def fill_rate(*, since: datetime | None = None, until: datetime | None = None,
              channel_id: int | None = None) -> dict:
    """Order lines shipped complete as they were sourced (one shipment from each location reserved for them: a
    line split 6 + 4 across two locations counts once both parcels left), out of all order lines that shipped
    (lines placed in ``[since, until)``, of one channel's orders when given)."""
    from django.db.models import Exists, F, IntegerField, OuterRef, Subquery

    from orders.models import OrderLineAllocation

    sent = ShipmentLine.objects.filter(order_line=OuterRef("pk"), shipment__status__in=SHIPPED_STATUSES).order_by()
    parts = OrderLineAllocation.objects.filter(line=OuterRef("pk")).order_by()

    def per_line(qs, key: str, aggregate):
        return Subquery(qs.values(key).annotate(n=aggregate).values("n"), output_field=IntegerField())

    lines = OrderLine.objects.filter(Exists(sent))
    if since:
        lines = lines.filter(order__placed_at__gte=since)
    if until:
        lines = lines.filter(order__placed_at__lt=until)
    if channel_id:
        lines = lines.filter(order__channel_id=channel_id)
    total = lines.count()
    complete = lines.annotate(
        shipments=per_line(sent, "order_line", Count("shipment", distinct=True)),
        shipped=per_line(sent, "order_line", Sum("quantity")),
        reserved_at=per_line(parts, "line", Count("location", distinct=True)),
        elsewhere=Exists(sent.exclude(shipment__location_id__in=OrderLineAllocation.objects.filter(
            line=OuterRef(OuterRef("pk"))).values("location_id"))),
    ).filter(shipments=F("reserved_at"), shipped=F("quantity"), elsewhere=False).count()
    return {"lines": total, "complete": complete, "rate": complete / total * 100 if total else None}


def order_transfers(order) -> list:
    """The inventory transfers moving an order's items between locations (pick-up store, consolidation), each
    with ``units``, ``shipment_id`` (the shipment waiting for it) and its locations; oldest first."""
    from inventory.models import Transfer
    from orders.fulfilment.models import InboundTransfer

    shipment_of = dict(InboundTransfer.objects.filter(shipment__order=order).values_list("transfer_id", "shipment_id"))
    if not shipment_of:
        return []
    transfers = list(Transfer.objects.filter(pk__in=list(shipment_of)).select_related("from_location", "to_location")
                     .annotate(units=Sum("lines__quantity")).order_by("pk"))
    for transfer in transfers:
        transfer.shipment_id = shipment_of[transfer.pk]
    return transfers


def pick_rows(*, location_id: int, wave: str = "") -> list[dict]:
    """What is still to pick at a location (of the chosen wave), a row a SKU: the units not yet packed, and the
    shipments they go to with each one's units still to pick."""
    lines = (ShipmentLine.objects.filter(shipment__location_id=location_id, packed_quantity__lt=F("quantity"),
                                         shipment__status__in=[Shipment.Status.PENDING, Shipment.Status.PICKING])
             .select_related("order_line__variant", "shipment"))
    if wave:
        lines = lines.filter(shipment__wave=wave)
    rows: dict[str, dict] = {}
    for sl in lines.order_by("order_line__sku", "shipment_id"):
        line = sl.order_line
        row = rows.setdefault(line.sku, {"sku": line.sku, "name": line.name, "barcode": line.variant.barcode,
                                         "quantity": 0, "shipments": []})
        row["quantity"] += sl.quantity - sl.packed_quantity
        row["shipments"].append(f"{sl.shipment} ({sl.quantity - sl.packed_quantity})")
    return list(rows.values())

"""Fulfilment demo data: shipments for the demo's open orders, a few packed and shipped, at-risk flags, the
national holidays, and the refunded returns of the orders the orders seed wrote as returned.

Run after ``orders.demo.seed`` (the orders seed calls it, or ``seed_demo`` lists it after orders). Idempotent:
it does nothing when shipments already exist. Everything goes through the fulfilment services except the
shipments of orders the orders seed left "allocated" without any, which are created in bulk.
"""

import random
from datetime import date, timedelta

from django.utils import timezone

from orders.errors import OrderError
from orders.fulfilment.models import Holiday, Return, ReturnLine, Shipment, ShipmentEvent, ShipmentLine
from orders.models import Channel, Order, OrderLine


def seed(*, stdout) -> None:
    from orders.fulfilment import services

    added = seed_holidays()
    if added:
        stdout.write(f"Fulfilment: {added} national holidays in the shipping calendar.")
    returns = seed_returns()
    if returns:
        stdout.write(f"Fulfilment: {returns} refunded returns for the returned orders.")
    if Shipment.objects.exists():
        stdout.write("Fulfilment demo data already present.")
        return
    # The phone channel sources to the nearest location, so a phone order shows its reason on the order page.
    Channel.objects.filter(code="phone", sourcing_strategy="first_available").update(sourcing_strategy="nearest")
    _routes()
    allocated = list(Order.objects.filter(status=Order.Status.ALLOCATED, shipments__isnull=True)
                     .prefetch_related("lines__allocations"))
    shipments, lines = [], []
    for order in allocated:
        by_location: dict[int, list[tuple[OrderLine, int]]] = {}
        for line in order.lines.all():
            if line.status == OrderLine.Status.RESERVED:
                for part in line.allocations.all():
                    by_location.setdefault(part.location_id, []).append((line, part.quantity))
        for location_id, group in sorted(by_location.items()):
            shipment = Shipment(order=order, location_id=location_id, currency=order.currency, wave="demo",
                                service=order.shipping_service, arrives_on=order.promised_date)
            shipments.append(shipment)
            lines.append((shipment, group))
    Shipment.objects.bulk_create(shipments)
    ShipmentLine.objects.bulk_create([ShipmentLine(shipment=s, order_line=line, quantity=quantity)
                                      for s, group in lines for line, quantity in group])
    ShipmentEvent.objects.bulk_create([ShipmentEvent(shipment=s, to_status=s.status, reason="demo")
                                       for s in shipments])
    released = 0
    for order_id in Order.objects.filter(status=Order.Status.CONFIRMED).order_by("placed_at").values_list(
            "pk", flat=True)[:30]:
        try:
            services.order_allocate(order_id=order_id, acting_user=None, wave="demo")
            released += 1
        except services.FulfilmentError:
            continue
    shipped = 0
    for shipment in Shipment.objects.filter(status=Shipment.Status.PENDING, kind=Shipment.Kind.SHIP).order_by(
            "pk")[:8]:
        try:
            for sl in shipment.lines.select_related("order_line"):
                for _unit in range(sl.quantity):
                    services.shipment_scan(shipment_id=shipment.pk, code=sl.order_line.sku, acting_user=None)
            services.shipment_ship(shipment_id=shipment.pk, carrier="Correios", service=shipment.service or "pac",
                                   tracking_number=f"DEMO{shipment.pk:08d}BR", acting_user=None)
            shipped += 1
        except OrderError:
            continue
    risk = services.at_risk_scan()
    stdout.write(f"Fulfilment: {len(shipments)} shipments for allocated orders, {released} orders released, "
                 f"{shipped} shipped, {risk['raised']} at-risk flags.")


def _routes() -> None:
    """Every store may forward its units to the first distribution centre, which consolidates the parcel."""
    from decimal import Decimal

    from inventory.models import Location
    from orders.fulfilment import services

    hub = Location.objects.filter(kind=Location.Kind.DC, is_active=True, can_ship=True).order_by("code").first()
    if hub is None:
        return
    for store_id in Location.objects.filter(kind=Location.Kind.STORE, is_active=True).order_by("code").values_list(
            "pk", flat=True):
        services.consolidation_route_save(from_location_id=store_id, to_location_id=hub.pk, transfer_days=1,
                                          cost=Decimal("6.00"), acting_user=None)


HOLIDAY_YEARS = (2026, 2027)
FIXED_HOLIDAYS = [((1, 1), "Confraternização Universal"), ((4, 21), "Tiradentes"), ((5, 1), "Dia do Trabalho"),
                  ((9, 7), "Independência do Brasil"), ((10, 12), "Nossa Senhora Aparecida"), ((11, 2), "Finados"),
                  ((11, 15), "Proclamação da República"), ((11, 20), "Dia Nacional de Zumbi e da Consciência Negra"),
                  ((12, 25), "Natal")]
EASTER_HOLIDAYS = [(-48, "Carnaval (segunda-feira)"), (-47, "Carnaval (terça-feira)"), (-2, "Sexta-feira Santa"),
                   (60, "Corpus Christi")]  # days from Easter Sunday


def easter(year: int) -> date:
    """Easter Sunday of ``year`` (Gregorian calendar, the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def national_holidays(year: int) -> list[tuple[date, str]]:
    """Brazil's national holidays of ``year``, with Carnival Monday and Tuesday and Corpus Christi (optional
    points that retailers and carriers close on)."""
    sunday = easter(year)
    days = [(date(year, month, day), name) for (month, day), name in FIXED_HOLIDAYS]
    days += [(sunday + timedelta(days=offset), name) for offset, name in EASTER_HOLIDAYS]
    return sorted(days)


def seed_holidays() -> int:
    """The national holidays of ``HOLIDAY_YEARS`` that are not in the calendar yet; returns how many were added."""
    known = set(Holiday.objects.filter(location__isnull=True, date__year__in=HOLIDAY_YEARS)
                .values_list("date", flat=True))
    new = [Holiday(date=day, name=name) for year in HOLIDAY_YEARS for day, name in national_holidays(year)
           if day not in known]
    Holiday.objects.bulk_create(new)
    return len(new)


def seed_returns() -> int:
    """A refunded return for each demo order written as returned (all its lines) or partly returned (the lines
    marked returned) that has none, refunded within 20 days of the order and before now, so the returns list,
    the order pages and net revenue show them. Like the orders themselves, they are history written as rows, not
    through the return services (the demo's delivered orders have no shipments to receive against). Returns how
    many."""
    rng = random.Random(5005)  # noqa: S311 - demo data only
    now = timezone.now()
    orders = (Order.objects.filter(status__in=[Order.Status.RETURNED, Order.Status.PARTIALLY_RETURNED],
                                   returns__isnull=True)
              .order_by("placed_at").prefetch_related("lines"))
    made = []
    for order in orders:
        returned = [line for line in order.lines.all() if line.status == OrderLine.Status.RETURNED]
        if not returned:
            continue
        closed = order.placed_at + min(timedelta(days=20), now - order.placed_at) * rng.uniform(0.4, 0.95)
        made.append((Return(order=order, status=Return.Status.REFUNDED, location_id=None,
                            refund_amount=sum(line.line_total for line in returned),
                            refund_method=rng.choice(["original", "original", "store_credit"]),
                            approved_at=closed - (closed - order.placed_at) * 0.6,
                            received_at=closed - (closed - order.placed_at) * 0.3,
                            inspected_at=closed - (closed - order.placed_at) * 0.1, closed_at=closed), returned))
    rmas = Return.objects.bulk_create([rma for rma, _lines in made])
    for rma in rmas:
        rma.created_at = rma.approved_at - (rma.approved_at - rma.order.placed_at) * 0.5
    Return.objects.bulk_update(rmas, ["created_at"])
    reasons = [choice for choice, _label in ReturnLine.Reason.choices]
    ReturnLine.objects.bulk_create([
        ReturnLine(rma=rma, order_line=line, quantity=line.quantity, reason=rng.choice(reasons),
                   condition=ReturnLine.Condition.RESELL, restocked_quantity=line.quantity)
        for rma, lines in made for line in lines])
    return len(rmas)

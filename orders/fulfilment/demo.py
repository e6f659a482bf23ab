"""Fulfilment demo data: shipments for the demo's open orders, a few packed and shipped, and at-risk flags.

Run after ``orders.demo.seed`` (the orders seed calls it, or ``seed_demo`` lists it after orders). Idempotent:
it does nothing when shipments already exist. Everything goes through the fulfilment services except the
shipments of orders the orders seed left "allocated" without any, which are created in bulk.
"""

from orders.errors import OrderError
from orders.fulfilment.models import Shipment, ShipmentEvent, ShipmentLine
from orders.models import Channel, Order, OrderLine


def seed(*, stdout) -> None:
    from orders.fulfilment import services

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

"""What marketing needs from order history, registered at start-up (``OrdersConfig.ready``).

Marketing keeps segment rules and the what-if arithmetic but may not import orders; these two
providers read customers and orders for it: the segment evaluator and the order history.
"""

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketing.pricing import PriceLineInput
from marketing.segments import SegmentCustomer
from marketing.whatif import HistoricOrder
from orders.models import Address, Customer, Order, OrderLine
from orders.services.core import redemption_reference

COUNTED = Q(orders__placed_at__isnull=False) & ~Q(orders__status=Order.Status.CANCELLED)
NUMBER_OPS = {"gte": "gte", "lte": "lte", "gt": "gt", "lt": "lt", "eq": "exact"}


def _counted_orders() -> QuerySet:
    return Order.objects.filter(placed_at__isnull=False).exclude(status=Order.Status.CANCELLED)


class OrdersSegmentEvaluator:
    """Evaluates marketing's segment rules (all must hold) against customers and their orders."""

    def queryset(self, *, rules: list[dict]) -> QuerySet:
        region = Address.objects.filter(customer=OuterRef("pk")).order_by("-is_default", "id").values("state")[:1]
        customers = Customer.objects.annotate(
            order_count=Count("orders", filter=COUNTED),
            total_spent=Coalesce(Sum("orders__total", filter=COUNTED), 0, output_field=DecimalField()),
            first_order_at=Min("orders__placed_at", filter=COUNTED),
            last_order_at=Max("orders__placed_at", filter=COUNTED),
            region=Subquery(region),
            seen_source_codes=ArrayAgg("orders__source_code", filter=COUNTED & ~Q(orders__source_code=""),
                                       distinct=True, default=Value([])),
        )
        for rule in rules:
            customers = customers.filter(self._condition(rule))
        return customers

    def _condition(self, rule: dict) -> Q:
        field, op, value = rule["field"], rule["op"], rule["value"]
        if field in {"total_spent", "order_count"}:
            return Q(**{f"{field}__{NUMBER_OPS[op]}": value})
        if field in {"last_order_date", "first_order_date"}:
            column = field.replace("_date", "_at")
            if op in {"within_days", "not_within_days"}:
                since = timezone.now() - timedelta(days=int(value))
                inside = Q(**{f"{column}__gte": since})
                return inside if op == "within_days" else ~inside
            return Q(**{f"{column}__date__{op}": date.fromisoformat(str(value))})
        if field == "region":
            condition = Q(region__in=value)
        elif field == "group":
            condition = Q(group_code__in=value)
        else:
            lookup = {"channel": "channel__code__in", "source_code": "source_code__in"}[field]
            condition = Q(Exists(_counted_orders().filter(customer=OuterRef("pk"), **{lookup: value})))
        return condition if op == "in" else ~condition

    def count(self, *, rules: list[dict]) -> int:
        return self.queryset(rules=rules).count()

    def customers(self, *, rules: list[dict]) -> Iterator[SegmentCustomer]:
        rows = self.queryset(rules=rules).order_by("pk")
        for customer in rows.iterator(chunk_size=2000):
            yield SegmentCustomer(
                customer_id=customer.pk, name=customer.name, region=customer.region or "",
                # the list campaigns are mailed from: no address of a customer who did not agree to marketing
                email=customer.email if customer.marketing_consent else "",
                group=customer.group_code, order_count=customer.order_count, total_spent=customer.total_spent,
                first_order_at=customer.first_order_at, last_order_at=customer.last_order_at,
                source_codes=sorted(customer.seen_source_codes),
            )


def order_history(*, since: datetime, until: datetime, latest: int | None = None) -> Iterator[HistoricOrder]:
    """Orders placed in ``[since, until)`` as marketing's what-if re-prices them, oldest first; with ``latest``,
    only the last ``latest`` of them (newest first)."""
    live_lines = OrderLine.objects.exclude(status=OrderLine.Status.CANCELLED).order_by("position", "pk")
    orders = (_counted_orders().filter(placed_at__gte=since, placed_at__lt=until)
              .select_related("channel", "customer").prefetch_related(Prefetch("lines", queryset=live_lines)))
    orders = orders.order_by("placed_at", "pk") if latest is None else orders.order_by("-placed_at", "-pk")[:latest]
    for order in orders.iterator(chunk_size=500):
        # The lines as priced: a price the agent set stays final (no item promotion reaches it) and a
        # personalisation surcharge stays part of the unit price.
        lines = [PriceLineInput(variant_id=line.variant_id, quantity=line.quantity,
                                override_unit_price=line.override_unit_price,
                                extra_unit_price=line.extra_unit_price or Decimal(0))
                 for line in order.lines.all()]
        yield HistoricOrder(
            reference=order.number or f"order:{order.pk}", placed_at=order.placed_at,
            channel_code=order.channel.code, customer_id=order.customer_id,
            customer_group=order.customer.group_code if order.customer else "", source_code=order.source_code,
            ship_to_region=(order.shipping_address or {}).get("state", ""), currency=order.currency, lines=lines,
            coupons=list(order.coupons or []), shipping_service=order.shipping_service or None,
            order_reference=redemption_reference(order),
        )

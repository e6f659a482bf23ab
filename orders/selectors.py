"""Read queries for the orders pages, other apps and reports (no writes); query counts pinned in tests."""

import re
import unicodedata
from datetime import timedelta
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Max, Prefetch, Q, QuerySet, Sum, When
from django.utils import timezone

from oms.numbers import parse_id
from oms.query import query_choice, query_date
from orders.models import Channel, Customer, Order, OrderEvent, OrderHold, OrderLine, OrderLineAllocation
from orders.validators import digits, phone_forms

S = Order.Status
PHONE_LIKE = re.compile(r"^[\d\s()+./-]+$")
OPEN_STATUSES = [S.PLACED, S.ON_HOLD, S.CONFIRMED, S.BACKORDERED, S.ALLOCATED, S.PARTIALLY_SHIPPED]
LISTED_STATUSES = {status for status in S.values if status != S.DRAFT}  # the order list's status box
ORDER_SORTS = {"number": "number", "placed": "placed_at", "total": "total", "status": "status",
               "customer": "customer__name", "channel": "channel__name", "promised": "promised_date"}


ORDER_NUMBER_LIKE = re.compile(r"^(?P<prefix>[A-Z0-9]*[A-Z][A-Z0-9]*?)[\s-]*(?P<number>\d{1,12})$")


def order_number_match(query: str) -> Q:
    """Orders whose number or channel reference is ``query``, the number also as people shorten or space it:
    "ph-1", "PH 000001" and "PH1" find PH-000001 (numbers are the channel's prefix and six digits at least)."""
    query = query.strip()
    match = Q(number__iexact=query) | Q(external_ref__iexact=query)
    if shortened := ORDER_NUMBER_LIKE.match(query.upper()):
        match |= Q(number=f"{shortened['prefix']}-{int(shortened['number']):06d}")
    return match


def order_list(*, params) -> QuerySet[Order]:
    """Placed orders filtered by the list page's parameters (status, channel, dates, customer, agent, at-risk, open
    orders late or due soon: ``PROMISED_FILTERS``)."""
    orders = Order.objects.exclude(status=S.DRAFT).select_related("channel", "customer", "placed_by")
    if q := (params.get("q") or "").strip():
        orders = orders.filter(order_number_match(q) | name_match("customer__name", q) | Q(email__iexact=q))
    if status := query_choice(params, "status", LISTED_STATUSES):
        orders = orders.filter(status=status)
    if channel := (params.get("channel") or "").strip():
        known = Channel.objects.filter(code=channel).values_list("code", flat=True)
        orders = orders.filter(channel__code=query_choice(params, "channel", set(known)))
    if since := query_date(params, "since"):
        orders = orders.filter(placed_at__date__gte=since)
    if until := query_date(params, "until"):
        orders = orders.filter(placed_at__date__lte=until)
    if customer := (params.get("customer") or "").strip():
        orders = orders.filter(customer_id=customer_id) if (customer_id := parse_id(customer)) else orders.filter(
            name_match("customer__name", customer))
    if agent := (params.get("agent") or "").strip():
        orders = orders.filter(placed_by__username__iexact=agent)
    if params.get("at_risk", "") not in ("", "0"):  # the box sends 1; a link may say at_risk=0 for "not only those"
        orders = at_risk(orders)
    if promised := query_choice(params, "promised", PROMISED_FILTERS):
        orders = orders.filter(PROMISED_FILTERS[promised](timezone.localdate()), status__in=OPEN_STATUSES)
    return orders


# Open orders by their promised date, as the dashboard counts them: "late" (promised before today) and "soon"
# (promised today or tomorrow).
PROMISED_FILTERS = {
    "late": lambda today: Q(promised_date__lt=today),
    "soon": lambda today: Q(promised_date__gte=today, promised_date__lte=today + timedelta(days=1)),
}


def at_risk(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Open orders that are late or about to be: on hold, backordered, promised by tomorrow, or open > 3 days."""
    today = timezone.localdate()
    return orders.filter(status__in=OPEN_STATUSES).filter(
        Q(status__in=[S.ON_HOLD, S.BACKORDERED]) | Q(promised_date__lte=today + timedelta(days=1))
        | Q(placed_at__lt=timezone.now() - timedelta(days=3))
    )


def order_detail(*, pk: int) -> Order:
    return (
        Order.objects.select_related("channel", "customer", "placed_by", "pickup_location")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("variant__product").order_by("position", "pk")
                     .prefetch_related("variant__product__personalization_fields", Prefetch(
                         "allocations", queryset=OrderLineAllocation.objects.select_related("location")))),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("-created_at", "-pk")),
            Prefetch("holds", queryset=OrderHold.objects.select_related("decided_by")),
        )
        .get(pk=pk)
    )


def order_payments(order: Order) -> list:
    from payments.models import Payment

    return list(Payment.objects.filter(order=order).order_by("pk"))


def draft_for_screen(*, pk: int) -> Order:
    return (
        Order.objects.select_related("channel", "customer", "pickup_location")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("variant__product")
                                   .prefetch_related("variant__product__personalization_fields")
                                   .order_by("position", "pk")))
        .get(pk=pk)
    )


def approval_queue() -> QuerySet[OrderHold]:
    return (
        OrderHold.objects.filter(status=OrderHold.Status.OPEN, order__status=S.ON_HOLD)
        .select_related("order", "order__customer", "order__channel", "order__placed_by")
        .order_by("created_at", "pk")
    )


def without_accents(text: str) -> str:
    """``text`` without the accents of its letters ("Conceição" -> "Conceicao"), as PostgreSQL's unaccent does."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def name_match(field: str, typed: str) -> Q:
    """A name containing ``typed``, typed with or without its accents ("fatima conceicao", "João" for a Joao)."""
    return Q(**{f"{field}__icontains": typed}) | Q(**{f"{field}__unaccent__icontains": without_accents(typed)})


def customer_search(*, query: str, limit: int = 10) -> list[Customer]:
    """The first ``limit`` of ``customer_matches``."""
    return list(customer_matches(query=query)[:limit])


def customer_matches(*, query: str) -> QuerySet[Customer]:
    """Customers by phone, e-mail, tax id or name; exact contact matches first, marked ``contact_rank`` 0. None for
    fewer than two characters. A query set, so the customer list can page through every match."""
    query = (query or "").strip()
    if len(query) < 2:
        return Customer.objects.none()
    number = digits(query)
    condition = name_match("name", query) | Q(email__iexact=query)
    exact = Q(email__iexact=query)
    if "@" in query:
        condition |= Q(email__icontains=query)
    if len(number) >= 4 and PHONE_LIKE.match(query):
        # A phone typed with or without +55 (and with any punctuation) finds it kept either way; it is an exact
        # match when it is the whole number, not only its end.
        needle, forms = phone_forms(query)
        condition |= Q(phone__contains=needle) | Q(phone_alt__contains=needle) | Q(tax_id__startswith=number)
        exact |= Q(phone__in=forms) | Q(phone_alt__in=forms) | Q(tax_id=number)
    # An erased customer only keeps past orders: a new order needs a new customer. A duplicate merged into another
    # customer is found as that customer.
    return (Customer.objects.filter(condition, erased_at__isnull=True, merged_into__isnull=True)
            .annotate(contact_rank=Case(When(exact, then=0), default=1, output_field=IntegerField()))
            .order_by("contact_rank", "name", "pk"))


def customer_merge_preview(*, customer_id: int) -> Customer:
    """A customer with what a merge would move from it counted: ``order_count``, ``address_count``."""
    return (Customer.objects
            .annotate(order_count=Count("orders", distinct=True), address_count=Count("addresses", distinct=True))
            .get(pk=customer_id))


def customer_360(*, customer: Customer) -> dict:
    """Everything an agent sees about a customer: orders, totals, source codes, notes, payments, gift cards."""
    placed = Order.objects.filter(customer=customer).exclude(status=S.DRAFT)
    stats = placed.exclude(status=S.CANCELLED).aggregate(
        lifetime=Sum("total"), count=Count("pk"), last=Max("placed_at")
    )
    orders = list(placed.select_related("channel").order_by("-placed_at", "-pk")[:20])
    sources = sorted(set(placed.exclude(source_code="").values_list("source_code", flat=True).distinct()[:20]))
    notes = list(OrderEvent.objects.filter(order__customer=customer, kind=OrderEvent.Kind.NOTE)
                 .exclude(reason__in=["Draft started"]).select_related("order", "actor")
                 .order_by("-created_at")[:10])
    from orders.fulfilment.models import Return
    from payments.models import GiftCard, Payment

    payments = list(Payment.objects.filter(order__customer=customer).select_related("order").order_by("-pk")[:20])
    # Every return of theirs, open or closed (what the customer calls about), newest first.
    returns = list(Return.objects.filter(order__customer=customer).select_related("order")
                   .order_by("-created_at", "-pk")[:10])
    # Gift cards sold on their orders and the store credit their returns were refunded with.
    giftcards = list(GiftCard.objects.filter(
        Q(order__customer=customer)
        | Q(reference__in=[f"return:{pk}" for pk in Return.objects.filter(order__customer=customer)
                           .values_list("pk", flat=True)])).order_by("-created_at", "-pk")[:10])
    return {
        "orders": orders,
        "lifetime_value": stats["lifetime"] or Decimal(0),
        "order_count": stats["count"],
        "last_order_at": stats["last"],
        "source_codes": sources,
        "notes": notes,
        "payments": payments,
        "giftcards": giftcards,
        "returns": returns,
        "open_orders": [o for o in orders if o.status in OPEN_STATUSES],
    }

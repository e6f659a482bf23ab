"""Read queries behind the dashboard, the KPIs and the top-N reports.

Every function issues a fixed number of queries whatever the number of orders: complete days come
from the daily rollups, the days after them (normally only today) from the same SQL run live.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.db import connection
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Func, Q, Sum
from django.db.models.functions import ExtractIsoWeekDay
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oms.money import default_currency
from reports import rollups
from reports.models import DailyDimensionSales, DailyProductSales, DailySales

ZERO = Decimal("0")
OPEN_STATUSES = ["placed", "on_hold", "confirmed", "backordered", "allocated", "partially_shipped"]


@dataclass(frozen=True)
class ReportFilter:
    start: date
    end: date  # inclusive
    channel_id: int | None = None
    location_id: int | None = None
    # Money is read in one currency at a time (``Totals``, ``top``); None: the store's base currency.
    currency: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def money_currency(self) -> str:
        return self.currency or default_currency()

    def previous(self) -> "ReportFilter":
        """The period of the same length just before this one."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def year_before(self) -> "ReportFilter":
        """The same dates one year earlier (52 weeks, so weekdays line up)."""
        return replace(self, start=self.start - timedelta(weeks=52), end=self.end - timedelta(weeks=52))

    def comparison(self, compare: str) -> "ReportFilter":
        return self.year_before() if compare == "year" else self.previous()


@dataclass
class SalesRow:
    day: date
    channel_id: int
    currency: str
    orders: int = 0
    units: int = 0
    revenue: Decimal = ZERO
    discount: Decimal = ZERO
    tax: Decimal = ZERO
    cancelled: int = 0
    gift_cards: int = 0  # gift cards sold as a product: in revenue, not in units
    gift_card_value: Decimal = ZERO
    returns: int = 0  # returns refunded on this day (whatever day their orders were placed)
    refunded: Decimal = ZERO


SALES_FIELDS = ("day", "channel_id", "currency", "orders", "units", "revenue", "discount", "tax", "cancelled",
                "gift_cards", "gift_card_value", "returns", "refunded")


def daily_sales(filters: ReportFilter, *, covered: date | None) -> list[SalesRow]:
    """Per day x channel x currency sales for the filter's range (every currency: ``Totals`` keeps money apart):
    rollups up to ``covered``, live after. Two queries."""
    rows: list[SalesRow] = []
    split = _last_rolled_up_day(filters, covered)
    if split >= filters.start:
        rollup_qs = DailySales.objects.filter(day__gte=filters.start, day__lte=split)
        if filters.channel_id:
            rollup_qs = rollup_qs.filter(channel_id=filters.channel_id)
        rows.extend(SalesRow(*r) for r in rollup_qs.values_list(*SALES_FIELDS))
    live_start = split + timedelta(days=1)
    if live_start <= filters.end:
        sql, params = rollups.sales_select_sql(channel_id=filters.channel_id, location_id=filters.location_id)
        params.update(start=rollups.day_start(live_start), end=rollups.day_start(filters.end + timedelta(days=1)))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for (day, channel_id, currency, orders, units, revenue, discount, tax, _ship, cancelled, cards,
                 card_value, returns, refunded) in cursor.fetchall():
                rows.append(SalesRow(day, channel_id, currency, int(orders), int(units), revenue, discount, tax,
                                     int(cancelled), int(cards), card_value, int(returns), refunded))
    return rows


def _last_rolled_up_day(filters: ReportFilter, covered: date | None) -> date:
    """The last day of the filter's range read from the rollups (the day before the range when none is): those up
    to ``covered``, none for a location (rollups are not kept per location)."""
    split = filters.start - timedelta(days=1)
    if covered is not None and not filters.location_id:
        split = min(max(covered, split), filters.end)
    return split


@dataclass
class Totals:
    """Sales of a period. Money is never added across currencies: ``revenue``, ``discount``, ``gift_card_value``
    and ``refunded`` (and the counts shown with them: ``gift_cards``, ``returns``) are those of ``currency``'s
    orders; ``orders``, ``units`` and ``cancelled`` count every currency (the work done), and ``currency_orders``
    the orders in ``currency`` (the average order value divides by these)."""

    currency: str = ""
    orders: int = 0
    units: int = 0
    cancelled: int = 0
    currency_orders: int = 0
    revenue: Decimal = ZERO
    discount: Decimal = ZERO
    gift_cards: int = 0
    gift_card_value: Decimal = ZERO
    returns: int = 0
    refunded: Decimal = ZERO
    # Orders in the other currencies: {currency: orders} (what the page says is left out of its money).
    other_currencies: dict = field(default_factory=dict)

    def add(self, row: SalesRow) -> None:
        self.orders += row.orders
        self.units += row.units
        self.cancelled += row.cancelled
        if row.currency != self.currency:
            if row.orders or row.returns:
                self.other_currencies[row.currency] = self.other_currencies.get(row.currency, 0) + row.orders
            return
        self.currency_orders += row.orders
        self.revenue += row.revenue
        self.discount += row.discount
        self.gift_cards += row.gift_cards
        self.gift_card_value += row.gift_card_value
        self.returns += row.returns
        self.refunded += row.refunded

    @property
    def net_revenue(self) -> Decimal:
        """Revenue less the value refunded on returns in the same period."""
        return self.revenue - self.refunded

    @property
    def aov(self) -> Decimal:
        return (self.revenue / self.currency_orders) if self.currency_orders else ZERO


def totals(rows: list[SalesRow], start: date, end: date, currency: str | None = None) -> Totals:
    """The rows' totals from ``start`` to ``end``, money in ``currency`` (default: the base currency)."""
    out = Totals(currency or default_currency())
    for row in rows:
        if start <= row.day <= end:
            out.add(row)
    return out


def change(current, previous) -> float | None:
    """Percent change, or None when there is nothing to compare with."""
    if not previous:
        return None
    return float((Decimal(current) - Decimal(previous)) / Decimal(previous) * 100)


@dataclass
class Period:
    label: str
    current: Totals
    previous: Totals
    start: date | None = None
    end: date | None = None

    @property
    def orders_change(self):
        return change(self.current.orders, self.previous.orders)

    @property
    def revenue_change(self):
        return change(self.current.revenue, self.previous.revenue)


def optional_model(app_label: str, *names: str):
    """The first of the named models that exists, or None (apps land at different times)."""
    if not apps.is_installed(app_label):
        return None
    for name in names:
        try:
            return apps.get_model(app_label, name)
        except LookupError:
            continue
    return None


def _field_names(model) -> set[str]:
    return {f.name for f in model._meta.get_fields()}


def held_at(location_id: int):
    """Orders with a line held at the location, each order once (an EXISTS, not a join: a join repeats an order
    per line held there, and counts grouped over it count the order that many times)."""
    from django.db.models import Exists, OuterRef

    from orders.models import OrderLineAllocation

    return Exists(OrderLineAllocation.objects.filter(line__order=OuterRef("pk"), location_id=location_id))


@dataclass
class Dashboard:
    filters: ReportFilter
    custom_range: bool
    periods: list[Period]
    by_channel: list[tuple[str, int, Decimal]]
    by_status: list[tuple[str, str, int]]
    by_day: list[tuple[date, int, Decimal]]
    open_orders: dict
    low_stock: int | None
    reorder_alerts: int | None
    payments_failing: int | None = None
    returns_open: int | None = None
    covered: date | None = None
    extras: dict = field(default_factory=dict)
    # Orders of the shown range in currencies other than the page's: {currency: orders}.
    other_currencies: dict = field(default_factory=dict)


def dashboard(filters: ReportFilter, *, custom_range: bool, channels: dict[int, str]) -> Dashboard:
    """Everything the dashboard shows; a fixed number of queries (see tests)."""
    from inventory.models import ReorderAlert, StockLevel
    from orders.models import Order

    today = timezone.localdate()
    covered = rollups.complete_through()
    currency = filters.money_currency
    if custom_range:
        main = filters
        span = replace(filters, start=filters.previous().start)
    else:
        main = replace(filters, start=today - timedelta(days=29), end=today)
        span = replace(filters, start=today - timedelta(days=59), end=today)
    rows = daily_sales(span, covered=covered)

    if custom_range:
        prev = main.previous()
        periods = [Period(_("Selected period"), totals(rows, main.start, main.end, currency),
                          totals(rows, prev.start, prev.end, currency), main.start, main.end)]
    else:
        periods = []
        for label, n in ((_("Today"), 1), (_("Last 7 days"), 7), (_("Last 30 days"), 30)):
            start = today - timedelta(days=n - 1)
            periods.append(Period(label, totals(rows, start, today, currency),
                                  totals(rows, start - timedelta(days=n), start - timedelta(days=1), currency),
                                  start, today))

    # Revenue per channel and per day in the page's currency; orders per day of every currency.
    per_channel: dict[int, list] = defaultdict(lambda: [0, ZERO])
    per_day: dict[date, list] = {main.start + timedelta(days=i): [0, ZERO] for i in range(main.days)}
    for row in rows:
        if main.start <= row.day <= main.end:
            per_day[row.day][0] += row.orders
            if row.currency == currency:
                per_channel[row.channel_id][0] += row.orders
                per_channel[row.channel_id][1] += row.revenue
                per_day[row.day][1] += row.revenue
    by_channel = sorted(((channels.get(cid, str(cid)), v[0], v[1]) for cid, v in per_channel.items()),
                        key=lambda t: (-t[2], t[0]))
    by_day = [(d, v[0], v[1]) for d, v in sorted(per_day.items())]

    orders = Order.objects.exclude(status=Order.Status.DRAFT)
    if filters.channel_id:
        orders = orders.filter(channel_id=filters.channel_id)
    if filters.location_id:
        orders = orders.filter(held_at(filters.location_id))
    status_labels = dict(Order.Status.choices)
    in_range = orders.filter(placed_at__gte=rollups.day_start(main.start),
                             placed_at__lt=rollups.day_start(main.end + timedelta(days=1)))
    by_status = [(s, status_labels.get(s, s), n) for s, n in
                 in_range.order_by().values_list("status").annotate(n=Count("id")).order_by("-n", "status")]
    open_orders = orders.filter(status__in=OPEN_STATUSES).aggregate(
        open=Count("id"),
        on_hold=Count("id", filter=Q(status=Order.Status.ON_HOLD)),
        late=Count("id", filter=Q(promised_date__lt=today)),
        at_risk=Count("id", filter=Q(promised_date__gte=today, promised_date__lte=today + timedelta(days=1))),
        backordered=Count("id", filter=Q(status=Order.Status.BACKORDERED)),
    )

    levels = StockLevel.objects.filter(variant__is_active=True)
    alerts = ReorderAlert.objects.filter(status=ReorderAlert.Status.OPEN)
    if filters.location_id:
        levels = levels.filter(location_id=filters.location_id)
        alerts = alerts.filter(location_id=filters.location_id)
    low_stock = levels.filter(on_hand__lte=F("reserved") + F("safety_stock")).count()
    reorder_alerts = alerts.count()

    board = Dashboard(filters=main, custom_range=custom_range, periods=periods, by_channel=by_channel,
                      by_status=by_status, by_day=by_day, open_orders=open_orders, low_stock=low_stock,
                      reorder_alerts=reorder_alerts, covered=covered,
                      other_currencies=totals(rows, main.start, main.end, currency).other_currencies)

    payment = optional_model("payments", "Payment")
    if payment is not None and {"status", "created_at"} <= _field_names(payment):
        failed = [v for v, _label in getattr(payment._meta.get_field("status"), "choices", None) or []
                  if v in ("failed", "declined", "error")]
        if failed:
            board.payments_failing = payment.objects.filter(
                status__in=failed, created_at__gte=timezone.now() - timedelta(days=1)).count()
    returns = optional_model("orders", "ReturnRequest", "Return", "RMA")
    if returns is not None and "status" in _field_names(returns):
        closed = {"closed", "completed", "refunded", "rejected", "cancelled"}
        choices = getattr(returns._meta.get_field("status"), "choices", None) or []
        board.returns_open = returns.objects.filter(status__in=[v for v, _l in choices if v not in closed]).count()
    return board


# ----------------------------------------------------------------------------------------------- top-N

MONEY = DecimalField(max_digits=18, decimal_places=4)


@dataclass(frozen=True)
class Dimension:
    """A top-N dimension. ``source`` says where complete days are read from:
    ``product`` (DailyProductSales), ``sales`` (DailySales, cost from DailyProductSales),
    ``dimension`` (DailyDimensionSales) or ``live`` (high-cardinality: ranked in SQL with LIMIT)."""

    code: str
    label: str
    order_path: str | None  # group key on Order (None: line-level only)
    line_path: str  # group key on OrderLine
    rollup_path: str | None = None  # group key on the rollup table
    source: str = "product"
    weekday: bool = False


DIMENSIONS = {
    d.code: d for d in [
        Dimension("products", _("Products"), None, "variant_id", "variant_id"),
        Dimension("brands", _("Brands"), None, "variant__product__brand_id", "key", source="dimension"),
        Dimension("categories", _("Categories"), None, "variant__product__category_id", "key", source="dimension"),
        Dimension("channels", _("Channels"), "channel_id", "order__channel_id", "channel_id", source="sales"),
        Dimension("weekdays", _("Days of the week"), "weekday", "weekday", "key", source="dimension", weekday=True),
        Dimension("customers", _("Customers"), "customer_id", "order__customer_id", source="live"),
        Dimension("orders", _("Orders"), "id", "order_id", source="live"),
        Dimension("states", _("States"), "shipping_address__state", "order__shipping_address__state", "key",
                  source="dimension"),
        Dimension("agents", _("Agents"), "placed_by_id", "order__placed_by_id", "key", source="dimension"),
        Dimension("source_codes", _("Source codes"), "source_code", "order__source_code", "key",
                  source="dimension"),
        Dimension("campaigns", _("Campaigns"), "campaign_id", "order__campaign_id", "key", source="dimension"),
        Dimension("hours", _("Hours of the day"), "hour", "hour", "key", source="dimension"),
    ]
}
SORT_KEYS = ["label", "orders", "units", "revenue", "refunded", "net_revenue", "cost", "margin", "previous_revenue",
             "change"]
COST_SORT_KEYS = {"cost", "margin"}


def sort_known(sort) -> bool:
    """Whether ``sort`` names a top-N column (``-`` before it: descending); empty is the default sort."""
    return not sort or str(sort).removeprefix("-") in SORT_KEYS


def sort_for(sort: str, *, show_cost: bool) -> str:
    """The top-N sort a reader gets: by revenue when they asked for cost or margin without seeing costs (a list
    ranked by a hidden cost still tells it), for the page and for the file made from it alike, or for a column
    there is not (``sort_known``: the page and the file refuse those with a message first)."""
    sort = str(sort or "-revenue")[:30]
    if not sort_known(sort):
        return "-revenue"
    return "-revenue" if not show_cost and sort.lstrip("-") in COST_SORT_KEYS else sort


@dataclass
class TopRow:
    key: object
    label: str = ""
    orders: int = 0
    units: int = 0
    revenue: Decimal = ZERO  # gross
    # Returns refunded in the period on the row's orders (products, brands, categories: its returned lines' share)
    # in the same currency, whatever day they were sold, as the dashboard's returns (``rollups.refunds_select_sql``).
    refunded: Decimal = ZERO
    line_revenue: Decimal = ZERO
    cost: Decimal = ZERO
    previous_revenue: Decimal = ZERO
    previous_orders: int = 0
    # Agents only: the clock hours in which they placed at least one order, and the orders they placed, in every
    # currency (the hours worked cannot be split between currencies; orders per hour is the agent's pace).
    active_hours: int | None = None
    agent_orders: int | None = None

    @property
    def net_revenue(self) -> Decimal:
        """Gross revenue less the returns refunded in the period (as the dashboard's net revenue)."""
        return self.revenue - self.refunded

    @property
    def orders_per_hour(self) -> float | None:
        """The agent's orders in every currency per active hour (both counted over the same orders)."""
        return self.agent_orders / self.active_hours if self.active_hours else None

    @property
    def revenue_per_hour(self) -> Decimal | None:
        """The row's gross revenue (in the page's currency) per active hour of the agent's (every currency)."""
        return self.revenue / self.active_hours if self.active_hours else None

    @property
    def margin(self) -> Decimal:
        return self.line_revenue - self.cost

    @property
    def margin_pct(self) -> float | None:
        return float(self.margin / self.line_revenue * 100) if self.line_revenue else None

    @property
    def change(self) -> float | None:
        return change(self.revenue, self.previous_revenue)


def _line_cost():
    return ExpressionWrapper(F("quantity") * F("variant__cost"), output_field=MONEY)


def _live_orders(f: ReportFilter, start: date):
    from orders.models import Order

    qs = Order.objects.filter(placed_at__gte=rollups.day_start(start),
                              placed_at__lt=rollups.day_start(f.end + timedelta(days=1)))
    qs = qs.exclude(status__in=[Order.Status.DRAFT, Order.Status.CANCELLED])
    if f.channel_id:
        qs = qs.filter(channel_id=f.channel_id)
    if f.currency:
        qs = qs.filter(currency=f.currency)
    return qs.order_by()


def _live_lines(f: ReportFilter, start: date):
    from orders.models import OrderLine

    qs = OrderLine.objects.filter(order__placed_at__gte=rollups.day_start(start),
                                  order__placed_at__lt=rollups.day_start(f.end + timedelta(days=1)))
    qs = qs.exclude(order__status__in=["draft", "cancelled"]).exclude(status="cancelled")
    qs = qs.exclude(variant__is_gift_card=True)  # gift cards sold are not merchandise (see ``rollups``)
    if f.channel_id:
        qs = qs.filter(order__channel_id=f.channel_id)
    if f.currency:
        qs = qs.filter(order__currency=f.currency)
    return qs.order_by()


def _hour_of(path: str):
    from django.db.models.functions import ExtractHour

    from reports.rollups import local_tz

    return ExtractHour(path, tzinfo=local_tz())


def _weekday_of(path: str):
    from django.db.models.functions import TruncDate

    from reports.rollups import local_tz

    return ExtractIsoWeekDay(TruncDate(path, tzinfo=local_tz()))


def _line_metrics(qs, path: str):
    return qs.values_list(path).annotate(n_orders=Count("order_id", distinct=True), n_units=Sum("quantity"),
                                         s_revenue=Sum("line_total"), s_cost=Sum(_line_cost()))


def _collect(dim: Dimension, f: ReportFilter, covered: date | None, *, refunds: bool = True) -> dict:
    """key -> TopRow for one period: rollups for complete days, live queries for the rest (2-5 queries; the
    returns refunded on the days after the rollups are one of them, not read when ``refunds`` is False)."""
    rows: dict = {}
    text_keys = dim.source == "dimension"

    def row(key) -> TopRow:
        if text_keys:
            key = "" if key is None else str(key)
        if key not in rows:
            rows[key] = TopRow(key)
        return rows[key]

    split = f.start - timedelta(days=1)
    if covered is not None:
        split = min(max(covered, split), f.end)
    if split >= f.start:
        products = DailyProductSales.objects.filter(day__gte=f.start, day__lte=split)
        sales = DailySales.objects.filter(day__gte=f.start, day__lte=split)
        dims = DailyDimensionSales.objects.filter(dimension=dim.code, day__gte=f.start, day__lte=split)
        if f.channel_id:
            products = products.filter(channel_id=f.channel_id)
            sales = sales.filter(channel_id=f.channel_id)
            dims = dims.filter(channel_id=f.channel_id)
        if f.currency:
            products = products.filter(currency=f.currency)
            sales = sales.filter(currency=f.currency)
            dims = dims.filter(currency=f.currency)
        if dim.source in ("product", "sales"):
            for key, orders, units, revenue, cost, refunded in products.order_by().values_list(
                    dim.rollup_path).annotate(n_orders=Sum("orders"), n_units=Sum("units"), s_revenue=Sum("revenue"),
                                              s_cost=Sum("cost"), s_refunded=Sum("refunded")):
                r = row(key)
                r.units += units or 0
                r.line_revenue += revenue or ZERO
                r.cost += cost or ZERO
                if dim.source == "product":
                    r.orders += orders or 0
                    r.revenue += revenue or ZERO
                    r.refunded += refunded or ZERO
        if dim.source == "sales":
            for key, orders, revenue, refunded in sales.order_by().values_list(dim.rollup_path).annotate(
                    n_orders=Sum("orders"), s_revenue=Sum("revenue"), s_refunded=Sum("refunded")):
                r = row(key)
                r.orders += orders or 0
                r.revenue += revenue or ZERO
                r.refunded += refunded or ZERO
        if dim.source == "dimension":
            for key, orders, units, revenue, line_revenue, cost, refunded in dims.order_by().values_list(
                    "key").annotate(n_orders=Sum("orders"), n_units=Sum("units"), s_revenue=Sum("revenue"),
                                    s_line=Sum("line_revenue"), s_cost=Sum("cost"), s_refunded=Sum("refunded")):
                r = row(key)
                r.orders += orders or 0
                r.units += units or 0
                r.revenue += revenue or ZERO
                r.line_revenue += line_revenue or ZERO
                r.cost += cost or ZERO
                r.refunded += refunded or ZERO
    live_start = split + timedelta(days=1)
    if live_start > f.end:
        return rows
    lines = _live_lines(f, live_start)
    if dim.weekday:
        lines = lines.annotate(weekday=_weekday_of("order__placed_at"))
    if dim.code == "hours":
        lines = lines.annotate(hour=_hour_of("order__placed_at"))
    for key, orders, units, revenue, cost in _line_metrics(lines, dim.line_path):
        r = row(key)
        r.units += units or 0
        r.line_revenue += revenue or ZERO
        r.cost += cost or ZERO
        if dim.order_path is None:
            r.orders += orders or 0
            r.revenue += revenue or ZERO
    if dim.order_path is not None:
        orders_qs = _live_orders(f, live_start)
        if dim.weekday:
            orders_qs = orders_qs.annotate(weekday=_weekday_of("placed_at"))
        if dim.code == "hours":
            orders_qs = orders_qs.annotate(hour=_hour_of("placed_at"))
        for key, orders, revenue in orders_qs.values_list(dim.order_path).annotate(
                n_orders=Count("id"), s_revenue=Sum("total")):
            r = row(key)
            r.orders += orders or 0
            r.revenue += revenue or ZERO
    if refunds:
        for key, refunded in _live_refunds(dim, f, live_start):
            row(key).refunded += refunded or ZERO
    return rows


def _live_refunds(dim: Dimension, f: ReportFilter, start: date) -> list[tuple]:
    """[(key, refunded)] of the returns refunded from ``start`` to the filter's end (one query)."""
    sql, params = rollups.refunds_by_key_sql(dim.code, channel_id=f.channel_id, currency=f.currency)
    params.update(start=rollups.day_start(start), end=rollups.day_start(f.end + timedelta(days=1)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _top_live(dim: Dimension, f: ReportFilter, *, rank_by: str, limit: int, compare: str = "previous") -> dict:
    """High-cardinality dimensions (customers, orders): PostgreSQL ranks and cuts to ``limit`` rows (by orders,
    gross revenue, returns refunded or net revenue), then the line metrics and the previous period are read for
    those keys only. Four queries (five ranked by orders or gross: the listed keys' returns).

    A key with a refund in the period and no order placed in it is a row too (no orders, no gross, a negative
    net), as on the dashboard. Ranked by orders or gross revenue, the keys with sales come first and such keys fill
    the list after them (by key); the returns are then read for the listed keys only (an index lookup, not the
    period's returns). Ranked by returns or net revenue, the orders placed in the period grouped by key are joined
    to the refunds made in it, grouped by key, and ranked together."""
    t = rollups._tables()
    column = {"customers": "customer_id", "orders": "id"}[dim.code]
    by_money = rank_by in ("refunded", "net_revenue")
    where = "AND o.channel_id = %(channel_id)s " if f.channel_id else ""
    where += "AND o.currency = %(currency)s" if f.currency else ""
    period = {"start": rollups.day_start(f.start), "end": rollups.day_start(f.end + timedelta(days=1)),
              "limit": limit}
    if by_money:
        metric = "refunded" if rank_by == "refunded" else "revenue - refunded"
        refunds, params = rollups.refunds_by_key_sql(dim.code, channel_id=f.channel_id, currency=f.currency)
        # An order is its own key: no grouping of a period's orders (at a million orders the grouping cost more
        # than the rest of the statement).
        per_key = ("1 AS orders, o.total AS revenue" if dim.code == "orders" else
                   "COUNT(*) AS orders, SUM(o.total) AS revenue")
        grouped = "" if dim.code == "orders" else "GROUP BY 1"
        sql = f"""
            SELECT key, orders, revenue, refunded FROM (
                SELECT COALESCE(s.key, r.key) AS key, COALESCE(s.orders, 0) AS orders,
                       COALESCE(s.revenue, 0) AS revenue, COALESCE(r.refunded, 0) AS refunded
                FROM (
                    SELECT o.{column} AS key, {per_key}
                    FROM {t['order']} o
                    WHERE o.placed_at >= %(start)s AND o.placed_at < %(end)s
                      AND o.status NOT IN ('draft', 'cancelled') AND o.{column} IS NOT NULL {where}
                    {grouped}
                ) s
                FULL JOIN ({refunds}) r (key, refunded) ON r.key = s.key
                WHERE COALESCE(s.key, r.key) IS NOT NULL
            ) ranked
            ORDER BY {metric} DESC, key LIMIT %(limit)s"""
        with connection.cursor() as cursor:
            cursor.execute(sql, {**params, **period})
            rows = {key: TopRow(key, orders=orders, revenue=revenue or ZERO, refunded=refunded or ZERO)
                    for key, orders, revenue, refunded in cursor.fetchall()}
    else:
        ranked = _live_orders(f, f.start).exclude(**{f"{dim.order_path}__isnull": True}).values_list(
            dim.order_path).annotate(n_orders=Count("id"), s_revenue=Sum("total"))
        ranked = ranked.order_by("-n_orders" if rank_by == "orders" else "-s_revenue", dim.order_path)[:limit]
        rows = {key: TopRow(key, orders=orders, revenue=revenue or ZERO) for key, orders, revenue in ranked}
        # The listed keys' refunds, and while the list has room, those of keys with a refund and no sale.
        room = limit - len(rows)
        listed = ("r.order_id = ANY(%(keys)s)" if dim.code == "orders" else  # the returns' order_id index
                  f"r.order_id IN (SELECT c.id FROM {t['order']} c WHERE c.customer_id = ANY(%(keys)s))")
        refunds, params = rollups.refunds_by_key_sql(dim.code, channel_id=f.channel_id, currency=f.currency,
                                                     where=f"AND ({listed}{' OR TRUE' if room else ''})")
        with connection.cursor() as cursor:
            cursor.execute(refunds, {**params, **period, "keys": list(rows)})
            found = cursor.fetchall()
        for key, refunded in sorted(found, key=lambda kr: (kr[0] not in rows, kr[0] if kr[0] is not None else 0)):
            if key in rows:
                rows[key].refunded = refunded or ZERO
            elif key is not None and room > 0:
                rows[key] = TopRow(key, refunded=refunded or ZERO)
                room -= 1
    keys = list(rows)
    lines = _live_lines(f, f.start).filter(**{f"{dim.line_path}__in": keys})
    for key, _orders, units, revenue, cost in _line_metrics(lines, dim.line_path):
        rows[key].units, rows[key].line_revenue, rows[key].cost = units or 0, revenue or ZERO, cost or ZERO
    prev = f.comparison(compare)
    previous = _live_orders(prev, prev.start).filter(**{f"{dim.order_path}__in": keys}).values_list(
        dim.order_path).annotate(n_orders=Count("id"), s_revenue=Sum("total"))
    for key, orders, revenue in previous:
        rows[key].previous_orders, rows[key].previous_revenue = orders, revenue or ZERO
    return rows


WEEKDAYS = {1: _("Monday"), 2: _("Tuesday"), 3: _("Wednesday"), 4: _("Thursday"), 5: _("Friday"),
            6: _("Saturday"), 7: _("Sunday")}


def _labels(dim: Dimension, keys: list) -> dict:
    """key -> label, one query at most."""
    from django.contrib.auth import get_user_model

    from inventory.models import Brand, Category, Variant
    from orders.models import Channel, Customer, Order

    keys = [k for k in keys if k not in (None, "")]
    if dim.code in ("agents", "campaigns", "brands", "categories"):  # text keys from the dimension rollup
        ints = {int(k): k for k in keys if str(k).isdigit()}
        inner = _labels(Dimension(dim.code + "_by_id", "", None, ""), list(ints))
        return {ints[pk]: label for pk, label in inner.items()}
    if dim.code == "hours":
        return {k: f"{int(k):02d}:00" for k in keys if str(k).isdigit()}
    if dim.code == "weekdays":  # ISO weekday numbers as text, from the dimension rollup
        return {k: str(WEEKDAYS.get(int(k), k)) for k in keys if str(k).isdigit()}
    if dim.code in ("states", "source_codes"):
        return {k: str(k) for k in keys}
    if dim.code == "campaigns_by_id":
        campaign = optional_model("marketing", "Campaign")
        if campaign is None:
            return {}
        return {pk: f"{code} · {name}" for pk, code, name in
                campaign.objects.filter(pk__in=keys).values_list("pk", "code", "name")}
    if dim.code == "products":
        return {pk: f"{sku} · {name}" for pk, sku, name in
                Variant.objects.filter(pk__in=keys).values_list("pk", "sku", "name")}
    if dim.code == "agents_by_id":
        User = get_user_model()
        return {pk: (f"{first} {last}".strip() or username) for pk, username, first, last in
                User.objects.filter(pk__in=keys).values_list("pk", "username", "first_name", "last_name")}
    if dim.code == "orders":
        return {pk: number or f"#{pk}" for pk, number in Order.objects.filter(pk__in=keys).values_list("pk", "number")}
    if dim.code == "customers":  # two customers of one name are told apart by their e-mail (or number)
        rows = list(Customer.objects.filter(pk__in=keys).values_list("pk", "name", "email"))
        names = Counter(name for _pk, name, _email in rows)
        return {pk: f"{name} · {email or f'#{pk}'}" if names[name] > 1 else name for pk, name, email in rows}
    model = {"brands_by_id": Brand, "categories_by_id": Category, "channels": Channel}[dim.code]
    return {pk: str(name) for pk, name in model.objects.filter(pk__in=keys).values_list("pk", "name")}


def top(dim_code: str, filters: ReportFilter, *, sort: str = "-revenue", limit: int = 20,
        compare: str = "previous") -> list[TopRow]:
    """The top ``limit`` rows of a dimension for the period, with the previous period's revenue.

    One currency at a time (``filters.currency``, else the store's base currency): a row's orders, units and money
    are those of its orders in that currency, so it is ranked within the currency. Revenue is gross; ``refunded``
    the returns refunded in the period on the row's orders or, for products, brands and categories, its returned
    lines' share of them (the dashboard's returns, per key), and ``net_revenue`` the difference.
    For customers and orders the database picks the top ``limit`` by revenue (or by orders, returns or net revenue
    when sorted by them) and the page then orders those rows by the chosen column.
    """
    dim = DIMENSIONS[dim_code]
    filters = replace(filters, currency=filters.money_currency)
    key = sort.lstrip("-") if sort.lstrip("-") in SORT_KEYS else "revenue"
    descending = sort.startswith("-") or sort.lstrip("-") not in SORT_KEYS
    covered = None
    if dim.source == "live":
        current = _top_live(dim, filters, rank_by=key if key in ("orders", "refunded", "net_revenue") else "revenue",
                            limit=limit, compare=compare)
    else:
        covered = rollups.complete_through()
        current = _collect(dim, filters, covered)
        previous = _collect(dim, filters.comparison(compare), covered, refunds=False)
        for k, prev in previous.items():
            if k in current:
                current[k].previous_revenue = prev.revenue
                current[k].previous_orders = prev.orders
    rows = list(current.values())
    if key == "label" or dim.source == "live":
        chosen = rows
    else:
        def metric(r):
            value = getattr(r, key)
            return value if value is not None else -10**12
        chosen = sorted(rows, key=lambda r: (metric(r), str(r.key)), reverse=descending)[:limit]
    if dim.code == "agents":
        hours = agent_active_hours(filters, covered)
        for r in chosen:
            r.active_hours, r.agent_orders = hours.get(r.key, (None, None))
    labels = _labels(dim, [r.key for r in chosen])
    for r in chosen:
        r.label = labels.get(r.key, str(_("(none)")) if r.key in (None, "") else str(r.key))
    if key == "label":
        chosen = sorted(chosen, key=lambda r: r.label.lower(), reverse=descending)[:limit]
    elif dim.source == "live":
        chosen = sorted(chosen, key=lambda r: (getattr(r, key) if getattr(r, key) is not None else -10**12,
                                               str(r.key)), reverse=descending)
    return chosen


def currencies_sold(filters: ReportFilter) -> dict[str, int]:
    """{currency: orders} of the period in every currency. Three queries: the rollup state, the rolled-up days'
    order counts and the later days' orders (counted from the orders alone: ``daily_sales`` would sum their lines
    too, 60 ms for a day of 5,000 orders where this takes a few)."""
    filters = replace(filters, location_id=None, currency=None)
    split = _last_rolled_up_day(filters, rollups.complete_through())
    sold: dict[str, int] = defaultdict(int)
    if split >= filters.start:
        rolled = DailySales.objects.filter(day__gte=filters.start, day__lte=split)
        if filters.channel_id:
            rolled = rolled.filter(channel_id=filters.channel_id)
        for currency, orders in rolled.order_by().values_list("currency").annotate(n=Sum("orders")):
            sold[currency] += orders or 0
    if split < filters.end:
        live = _live_orders(filters, split + timedelta(days=1))
        for currency, orders in live.values_list("currency").annotate(n=Count("id")):
            sold[currency] += orders
    return {currency: orders for currency, orders in sold.items() if orders}


def agent_active_hours(f: ReportFilter, covered: date | None) -> dict[str, tuple[int, int]]:
    """Agent id (as text) -> (distinct local clock hours with at least one order placed, orders placed), both in
    every currency: the hours are the agent's whatever the currency sold in, and the orders those hours hold.
    Orders placed by no agent (web, marketplaces) have no hours. Two queries."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat, TruncHour

    from reports.rollups import local_tz

    hours: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    split = f.start - timedelta(days=1)
    if covered is not None:
        split = min(max(covered, split), f.end)
    if split >= f.start:
        rolled = DailyDimensionSales.objects.filter(dimension="agent_hours", day__gte=f.start, day__lte=split)
        rolled = rolled.exclude(key__startswith=":")  # ":<hour>": orders of no agent, as the live part leaves out
        if f.channel_id:
            rolled = rolled.filter(channel_id=f.channel_id)
        agent = Func(F("key"), Value(":"), Value(1), function="split_part", output_field=CharField())
        slot = Concat(Cast("day", CharField()), F("key"), output_field=CharField())
        for key, n, orders in rolled.order_by().annotate(agent=agent).values_list("agent").annotate(
                n=Count(slot, distinct=True), n_orders=Sum("orders")):
            hours[key][0] += n
            hours[key][1] += orders or 0
    if split + timedelta(days=1) <= f.end:
        live = _live_orders(replace(f, currency=None), split + timedelta(days=1)).exclude(placed_by__isnull=True)
        for agent_id, n, orders in live.values_list("placed_by_id").annotate(
                n=Count(TruncHour("placed_at", tzinfo=local_tz()), distinct=True), n_orders=Count("id")):
            hours[str(agent_id)][0] += n
            hours[str(agent_id)][1] += orders
    return {key: (n, orders) for key, (n, orders) in hours.items()}


# ----------------------------------------------------------------------------------------------- KPIs

def kpis(filters: ReportFilter) -> dict:
    """Headline KPIs for the period (three queries). Money in ``filters.currency`` (else the base currency),
    counts of every currency (``Totals``)."""
    from orders.models import Order, OrderEvent

    rows = daily_sales(filters, covered=rollups.complete_through())
    t = totals(rows, filters.start, filters.end, filters.money_currency)
    placed = t.orders + t.cancelled
    result = {
        "currency": t.currency, "other_currencies": t.other_currencies,
        "orders": t.orders, "units": t.units, "revenue": t.revenue, "aov": t.aov, "discount": t.discount,
        "returns": t.returns, "refunded": t.refunded, "net_revenue": t.net_revenue,
        "orders_per_day": t.orders / filters.days, "cancelled": t.cancelled,
        "cancellation_rate": (t.cancelled / placed * 100) if placed else None,
        "gift_cards": t.gift_cards, "gift_card_value": t.gift_card_value,
    }
    start, end = rollups.day_start(filters.start), rollups.day_start(filters.end + timedelta(days=1))
    orders = Order.objects.filter(placed_at__gte=start, placed_at__lt=end).exclude(status=Order.Status.DRAFT)
    if filters.channel_id:
        orders = orders.filter(channel_id=filters.channel_id)
    counts = orders.aggregate(
        held=Count("id", filter=Q(holds__isnull=False), distinct=True),
        with_promise=Count("id", filter=Q(promised_date__isnull=False)),
        agents=Count("placed_by_id", distinct=True),
    )
    result["hold_rate"] = (counts["held"] / placed * 100) if placed else None
    result["agents"] = counts["agents"]
    # Average step durations from the order history (first time each status was reached), in SQL.
    event_table, order_table = OrderEvent._meta.db_table, Order._meta.db_table
    channel_sql = "AND o.channel_id = %(channel_id)s" if filters.channel_id else ""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT AVG(EXTRACT(EPOCH FROM (allocated - placed))) / 3600,
                   AVG(EXTRACT(EPOCH FROM (shipped - allocated))) / 3600,
                   AVG(EXTRACT(EPOCH FROM (delivered - shipped))) / 3600,
                   COUNT(delivered), COUNT(delivered) FILTER (WHERE delivered_day <= promised),
                   COUNT(*) FILTER (WHERE shipped IS NOT NULL OR split), COUNT(*) FILTER (WHERE split),
                   COUNT(*) FILTER (WHERE failed), COUNT(*) FILTER (WHERE returned),
                   COUNT(shipped) FILTER (WHERE shipped_day <= promised)
            FROM (
                SELECT e.order_id, MAX(o.promised_date) AS promised,
                       MIN(e.created_at) FILTER (WHERE e.to_status = 'placed') AS placed,
                       MIN(e.created_at) FILTER (WHERE e.to_status = 'allocated') AS allocated,
                       MIN(e.created_at) FILTER (WHERE e.to_status = 'shipped') AS shipped,
                       MIN(e.created_at) FILTER (WHERE e.to_status = 'delivered') AS delivered,
                       (MIN(e.created_at) FILTER (WHERE e.to_status = 'delivered') AT TIME ZONE %(tz)s)::date
                           AS delivered_day,
                       (MIN(e.created_at) FILTER (WHERE e.to_status = 'shipped') AT TIME ZONE %(tz)s)::date
                           AS shipped_day,
                       BOOL_OR(e.to_status = 'partially_shipped') AS split,
                       BOOL_OR(e.to_status = 'delivery_failed') AS failed,
                       BOOL_OR(e.to_status IN ('returned', 'partially_returned')) AS returned
                FROM {event_table} e JOIN {order_table} o ON o.id = e.order_id
                WHERE o.placed_at >= %(start)s AND o.placed_at < %(end)s AND e.kind = 'status' {channel_sql}
                GROUP BY e.order_id
            ) s""", {"start": start, "end": end, "tz": rollups.local_tz().key, "channel_id": filters.channel_id})
        (placed_alloc, alloc_ship, ship_deliv, delivered, on_time, shipped, split, failed, returned,
         shipped_on_time) = cursor.fetchone()

    def rate(n, d):
        return (n / d * 100) if d else None

    result["step_hours"] = {"placed_allocated": placed_alloc, "allocated_shipped": alloc_ship,
                            "shipped_delivered": ship_deliv}
    result.update(delivered=delivered, on_time_rate=rate(on_time, delivered), shipped=shipped,
                  split_rate=rate(split, shipped), failed_delivery_rate=rate(failed, shipped),
                  return_rate=rate(returned, delivered), shipped_on_time_rate=rate(shipped_on_time, shipped))
    # Stock turnover and days of cover: units sold in the period against the units on hand now.
    from inventory.models import StockLevel

    on_hand = StockLevel.objects.filter(on_hand__gt=0).aggregate(n=Sum("on_hand"))["n"] or 0
    per_day = t.units / filters.days
    result["on_hand"] = on_hand
    result["days_of_cover"] = (on_hand / per_day) if per_day else None
    result["turnover_per_year"] = (per_day * 365 / on_hand) if on_hand else None
    # Fulfilment's own records: fill rate, return reasons and open at-risk flags.
    from orders.fulfilment import selectors as fulfilment

    result["fill"] = fulfilment.fill_rate(since=start, until=end, channel_id=filters.channel_id)
    from orders.fulfilment.models import ReturnLine

    reasons = dict(ReturnLine.Reason.choices)  # the reason's name in the reader's language, not its code
    result["return_reasons"] = [
        {**row, "label": reasons.get(row["reason"], row["reason"])}
        for row in fulfilment.return_reasons(since=start, until=end, channel_id=filters.channel_id)[:5]]
    result["at_risk_open"] = fulfilment.at_risk_count(channel_id=filters.channel_id)
    return result

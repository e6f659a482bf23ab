"""Daily sales rollups: one SQL pass per refresh, so long report ranges cost the same at any history size.

A day is a local calendar day (``settings.TIME_ZONE``). An order counts on the day it was placed;
drafts never count; cancelled orders count in ``cancelled`` and nowhere else. Days up to
``RollupState.complete_through`` are read from the rollups, later days (today) are read live with the
same SQL, so a report never mixes two definitions.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reports.models import DailyDimensionSales, DailyProductSales, DailySales, RollupState

LOCK_KEY = 0x5245504F  # "REPO": one refresh at a time
DEFAULT_REFRESH_DAYS = 7


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    """The aware instant a local day starts."""
    return datetime.combine(day, time.min, tzinfo=local_tz())


def _tables() -> dict[str, str]:
    from inventory.models import Product, Variant
    from orders.models import Order, OrderLine, OrderLineAllocation, Return, ReturnLine

    return {"order": Order._meta.db_table, "line": OrderLine._meta.db_table, "variant": Variant._meta.db_table,
            "product": Product._meta.db_table, "return": Return._meta.db_table,
            "return_line": ReturnLine._meta.db_table,
            "allocation": OrderLineAllocation._meta.db_table,
            "sales": DailySales._meta.db_table, "product_sales": DailyProductSales._meta.db_table,
            "dimension": DailyDimensionSales._meta.db_table}


# Low-cardinality order attributes rolled up per day x channel (key as text; "" for none).
DIMENSION_KEYS = {
    "states": "COALESCE(o.shipping_address->>'state', '')",
    "agents": "COALESCE(o.placed_by_id::text, '')",
    "source_codes": "o.source_code",
    "campaigns": "COALESCE(o.campaign_id::text, '')",
    "hours": "EXTRACT(HOUR FROM o.placed_at AT TIME ZONE %(tz)s)::int::text",
    # "agent:hour" -> the number of such rows per agent and day is the agent's active hours (productivity).
    "weekdays": "EXTRACT(ISODOW FROM o.placed_at AT TIME ZONE %(tz)s)::int::text",
    "agent_hours": ("COALESCE(o.placed_by_id::text, '') || ':'"
                    " || EXTRACT(HOUR FROM o.placed_at AT TIME ZONE %(tz)s)::int"),
}
# "agent_hours" rows are the hours an agent placed orders in: a refund is no hour worked.
REFUNDED_DIMENSIONS = [name for name in DIMENSION_KEYS if name != "agent_hours"]


def refunds_select_sql(where: str = "") -> str:
    """SELECT day, channel_id, currency, key columns ``k_<dimension>`` and ``refund_amount`` of each return refunded
    from %(start)s to %(end)s (``Return.closed_at``, as ``DailySales.refunded``): the day is the refund's, the keys
    are those of its order (the hour and weekday it was placed, its agent, state...). ``where``: more conditions on
    the order ``o``.

    Each return looks its order up by id (``OFFSET 0`` keeps the lookup from being flattened into a join): with a
    year of returns the planner otherwise hashed them against a scan of every order (a year's net ranking of
    customers at 100,000 orders: 79 ms, 56 ms with the lookups)."""
    t = _tables()
    keys = ", ".join(f"{DIMENSION_KEYS[name]} AS k_{name}" for name in REFUNDED_DIMENSIONS)
    return f"""
        SELECT (r.closed_at AT TIME ZONE %(tz)s)::date AS day, o.channel_id, o.currency, r.refund_amount,
               o.customer_id, o.id AS order_id, {keys}
        FROM {t['return']} r
        CROSS JOIN LATERAL (SELECT * FROM {t['order']} x WHERE x.id = r.order_id OFFSET 0) o
        WHERE r.status = 'refunded' AND r.closed_at >= %(start)s AND r.closed_at < %(end)s {where}"""


def refunded_lines_sql(where: str = "") -> str:
    """SELECT day, channel_id, currency, variant_id, refunded: the returned lines of each return refunded from
    %(start)s to %(end)s, each with its share of the refund (``Return.refund_amount``) by the value returned (the
    returned units' share of the line's total, as ``return_value`` computes the refund; by units when that value
    is nil). Shares are rounded so that a return's lines add up to its refund exactly (each line takes the rounded
    running total less the rounded total before it). A refund with no returned lines belongs to no SKU.
    ``where``: more conditions on the order ``o``."""
    t = _tables()
    return f"""
        SELECT day, channel_id, currency, variant_id,
               ROUND(refund_amount * upto / whole, 4) - ROUND(refund_amount * (upto - w) / whole, 4) AS refunded
        FROM (
            SELECT *, SUM(w) OVER (PARTITION BY return_id ORDER BY line_id) AS upto,
                   SUM(w) OVER (PARTITION BY return_id) AS whole
            FROM (
                SELECT *, CASE WHEN SUM(value) OVER (PARTITION BY return_id) > 0 THEN value ELSE quantity END AS w
                FROM (
                    SELECT r.id AS return_id, rl.id AS line_id, (r.closed_at AT TIME ZONE %(tz)s)::date AS day,
                           o.channel_id, o.currency, r.refund_amount, ol.variant_id, rl.quantity,
                           ol.line_total * rl.quantity / GREATEST(ol.quantity, 1) AS value
                    FROM {t['return']} r
                    JOIN {t['order']} o ON o.id = r.order_id
                    JOIN {t['return_line']} rl ON rl.rma_id = r.id
                    JOIN {t['line']} ol ON ol.id = rl.order_line_id
                    WHERE r.status = 'refunded' AND r.closed_at >= %(start)s AND r.closed_at < %(end)s {where}
                ) returned
            ) weighed
        ) shared"""


def dimension_select_sql() -> str:
    """SELECT day, channel_id, currency, dimension, key, orders, units, revenue, line_revenue, cost, refunded for
    every dimension of ``DIMENSION_KEYS`` in one statement (live orders only; line totals aggregated once per order,
    merchandise lines only: gift cards are in the order's revenue but not in units, line revenue or margin).
    ``refunded``: the returns refunded that day on orders of the key (``refunds_select_sql``), not for
    "agent_hours"."""
    t = _tables()
    keys = ", ".join(f"{expr} AS k_{name}" for name, expr in DIMENSION_KEYS.items())

    def select(name: str) -> str:
        if name not in REFUNDED_DIMENSIONS:
            return (f"SELECT day, channel_id, currency, '{name}', LEFT(k_{name}, 64), COUNT(*), SUM(units),"
                    f" SUM(total), SUM(revenue), SUM(cost), 0 FROM base"
                    f" GROUP BY day, channel_id, currency, LEFT(k_{name}, 64)")
        return (f"SELECT day, channel_id, currency, '{name}', k, SUM(n), SUM(units), SUM(total), SUM(revenue),"
                f" SUM(cost), SUM(refunded) FROM ("
                f"SELECT day, channel_id, currency, LEFT(k_{name}, 64) AS k, 1 AS n, units, total, revenue, cost,"
                f" 0 AS refunded FROM base UNION ALL"
                f" SELECT day, channel_id, currency, LEFT(k_{name}, 64), 0, 0, 0, 0, 0, refund_amount FROM refunds"
                f") x GROUP BY day, channel_id, currency, k")

    selects = " UNION ALL ".join(select(name) for name in DIMENSION_KEYS)
    # Each order's line totals come from a LATERAL lookup on its own lines, as in ``sales_select_sql``: a
    # joined aggregate of all lines was planned as a nested loop re-aggregating every line per order whenever
    # the statistics said the day range held one order (stale after a bulk load), which made a refresh quadratic.
    return f"""
        WITH base AS MATERIALIZED (
            SELECT (o.placed_at AT TIME ZONE %(tz)s)::date AS day, o.channel_id, o.currency, o.total,
                   COALESCE(l.units, 0) AS units, COALESCE(l.revenue, 0) AS revenue, COALESCE(l.cost, 0) AS cost,
                   {keys}
            FROM {t['order']} o
            LEFT JOIN LATERAL (
                SELECT SUM(ol.quantity) AS units, SUM(ol.line_total) AS revenue, SUM(ol.quantity * v.cost) AS cost
                FROM {t['line']} ol JOIN {t['variant']} v ON v.id = ol.variant_id
                WHERE ol.order_id = o.id AND ol.status <> 'cancelled' AND NOT v.is_gift_card
            ) l ON TRUE
            WHERE o.placed_at >= %(start)s AND o.placed_at < %(end)s AND o.status NOT IN ('draft', 'cancelled')
        ),
        refunds AS MATERIALIZED ({refunds_select_sql()})
        {selects}"""


# Product attributes rolled up per day x channel: an order with two SKUs of one brand is one order of the brand,
# which adding up the SKUs' rows of ``DailyProductSales`` would count twice.
LINE_DIMENSION_KEYS = {
    "brands": "COALESCE(p.brand_id::text, '')",
    "categories": "COALESCE(p.category_id::text, '')",
}


def line_dimension_select_sql() -> str:
    """SELECT day, channel_id, currency, dimension, key, orders, units, revenue, line_revenue, cost, refunded for
    every dimension of ``LINE_DIMENSION_KEYS`` (live orders, merchandise lines: revenue is the lines' revenue, as the
    live reads; ``refunded``: the returned lines' shares of the refunds made that day, ``refunded_lines_sql``)."""
    return " UNION ALL ".join(f"""
        SELECT day, channel_id, currency, '{name}', k, SUM(n), SUM(units), SUM(revenue), SUM(revenue), SUM(cost),
               SUM(refunded)
        FROM ({_sold_and_refunded_sql(expr, with_product=True)}) s
        GROUP BY 1, 2, 3, 5""" for name, expr in LINE_DIMENSION_KEYS.items())


def _sold_and_refunded_sql(key: str, *, with_product: bool) -> str:
    """Rows of day, channel_id, currency, k, n, units, revenue, cost, refunded: the merchandise lines of live orders
    placed that day grouped by ``key`` (an expression on the SKU ``v``, or its product ``p`` ``with_product``),
    then the returned lines' shares of the refunds made that day (``refunded_lines_sql``) under the same key."""
    t = _tables()
    product = f"JOIN {t['product']} p ON p.id = v.product_id" if with_product else ""
    return f"""
            SELECT (o.placed_at AT TIME ZONE %(tz)s)::date AS day, o.channel_id, o.currency, {key} AS k,
                   COUNT(DISTINCT o.id) AS n, SUM(l.quantity) AS units, SUM(l.line_total) AS revenue,
                   SUM(l.quantity * v.cost) AS cost, 0 AS refunded
            FROM {t['line']} l
            JOIN {t['order']} o ON o.id = l.order_id
            JOIN {t['variant']} v ON v.id = l.variant_id
            {product}
            WHERE o.placed_at >= %(start)s AND o.placed_at < %(end)s
              AND o.status NOT IN ('draft', 'cancelled') AND l.status <> 'cancelled' AND NOT v.is_gift_card
            GROUP BY 1, 2, 3, 4
            UNION ALL
            SELECT rl.day, rl.channel_id, rl.currency, {key}, 0, 0, 0, 0, SUM(rl.refunded)
            FROM ({refunded_lines_sql()}) rl
            JOIN {t['variant']} v ON v.id = rl.variant_id
            {product}
            WHERE NOT v.is_gift_card
            GROUP BY 1, 2, 3, 4"""


# Where each top-N dimension's refunds are keyed: a column of ``refunds_select_sql`` (the refunded return's
# order), or an expression on the returned lines (``rl``, with their SKU ``v`` and its product ``p``).
ORDER_REFUND_KEYS = {"channels": "channel_id", "customers": "customer_id", "orders": "order_id",
                     **{name: f"LEFT(k_{name}, 64)" for name in REFUNDED_DIMENSIONS}}
LINE_REFUND_KEYS = {"products": "rl.variant_id", **LINE_DIMENSION_KEYS}


def refunds_by_key_sql(dimension: str, *, channel_id: int | None, currency: str | None,
                       where: str = "") -> tuple[str, dict]:
    """SELECT key, refunded: the returns refunded from %(start)s to %(end)s per key of a top-N dimension, with the
    same SQL the rollups use (the keys of order-level dimensions as text, as rolled up; channels, customers and
    orders as ids). ``where``: more conditions on the order ``o``."""
    params = {"tz": settings.TIME_ZONE}
    if channel_id:
        where += " AND o.channel_id = %(channel_id)s"
        params["channel_id"] = channel_id
    if currency:
        where += " AND o.currency = %(currency)s"
        params["currency"] = currency
    if dimension in LINE_REFUND_KEYS:
        t = _tables()
        return (f"""
            SELECT {LINE_REFUND_KEYS[dimension]}, SUM(rl.refunded)
            FROM ({refunded_lines_sql(where)}) rl
            JOIN {t['variant']} v ON v.id = rl.variant_id
            JOIN {t['product']} p ON p.id = v.product_id
            WHERE NOT v.is_gift_card
            GROUP BY 1""", params)
    return (f"SELECT {ORDER_REFUND_KEYS[dimension]}, SUM(refund_amount) FROM ({refunds_select_sql(where)}) r"
            " GROUP BY 1", params)


def sales_select_sql(*, channel_id: int | None = None, location_id: int | None = None) -> tuple[str, dict]:
    """SELECT day, channel_id, currency, orders, units, revenue, discount, tax, shipping, cancelled,
    gift_cards, gift_card_value, returns, refunded.

    Units are merchandise only: gift cards sold as a product (a liability, not a sale of goods) are counted
    apart in ``gift_cards`` (cards) and ``gift_card_value``; an order's revenue is still its total.

    Returns count on the day they were refunded (``Return.closed_at``), under their order's channel and currency,
    whatever day the order was placed: ``returns`` refunded returns and ``refunded`` the value given back
    (``Return.refund_amount``, to the payments or as store credit). A day x channel x currency with returns and no
    orders is a row with no orders."""
    t = _tables()
    where = ["o.placed_at >= %(start)s", "o.placed_at < %(end)s", "o.status <> 'draft'"]
    returned = ["r.status = 'refunded'", "r.closed_at >= %(start)s", "r.closed_at < %(end)s"]
    params: dict = {"tz": settings.TIME_ZONE}
    if channel_id:
        where.append("o.channel_id = %(channel_id)s")
        returned.append("o.channel_id = %(channel_id)s")
        params["channel_id"] = channel_id
    if location_id:
        held = (f"EXISTS (SELECT 1 FROM {t['line']} x JOIN {t['allocation']} a ON a.line_id = x.id"
                " WHERE x.order_id = o.id AND a.location_id = %(location_id)s)")
        where.append(held)
        returned.append(held)
        params["location_id"] = location_id
    live = "o.status <> 'cancelled'"
    sql = f"""
        SELECT day, channel_id, currency, SUM(orders), SUM(units), SUM(revenue), SUM(discount), SUM(tax),
               SUM(shipping), SUM(cancelled), SUM(cards), SUM(card_value), SUM(returns), SUM(refunded)
        FROM (
            SELECT (o.placed_at AT TIME ZONE %(tz)s)::date AS day, o.channel_id, o.currency,
                   COUNT(*) FILTER (WHERE {live}) AS orders,
                   COALESCE(SUM(l.units) FILTER (WHERE {live}), 0) AS units,
                   COALESCE(SUM(o.total) FILTER (WHERE {live}), 0) AS revenue,
                   COALESCE(SUM(o.discount_total) FILTER (WHERE {live}), 0) AS discount,
                   COALESCE(SUM(o.tax_total) FILTER (WHERE {live}), 0) AS tax,
                   COALESCE(SUM(o.shipping_total) FILTER (WHERE {live}), 0) AS shipping,
                   COUNT(*) FILTER (WHERE o.status = 'cancelled') AS cancelled,
                   COALESCE(SUM(l.cards) FILTER (WHERE {live}), 0) AS cards,
                   COALESCE(SUM(l.card_value) FILTER (WHERE {live}), 0) AS card_value,
                   0 AS returns, 0 AS refunded
            FROM {t['order']} o
            LEFT JOIN (
                SELECT ol.order_id, SUM(ol.quantity) FILTER (WHERE NOT v.is_gift_card) AS units,
                       SUM(ol.quantity) FILTER (WHERE v.is_gift_card) AS cards,
                       SUM(ol.line_total) FILTER (WHERE v.is_gift_card) AS card_value
                FROM {t['line']} ol
                JOIN {t['order']} lo ON lo.id = ol.order_id
                JOIN {t['variant']} v ON v.id = ol.variant_id
                WHERE lo.placed_at >= %(start)s AND lo.placed_at < %(end)s AND ol.status <> 'cancelled'
                GROUP BY ol.order_id
            ) l ON l.order_id = o.id
            WHERE {' AND '.join(where)}
            GROUP BY 1, 2, 3
            UNION ALL
            SELECT (r.closed_at AT TIME ZONE %(tz)s)::date, o.channel_id, o.currency,
                   0, 0, 0, 0, 0, 0, 0, 0, 0, COUNT(*), SUM(r.refund_amount)
            FROM {t['return']} r JOIN {t['order']} o ON o.id = r.order_id
            WHERE {' AND '.join(returned)}
            GROUP BY 1, 2, 3
        ) s
        GROUP BY 1, 2, 3"""
    return sql, params


def product_select_sql() -> str:
    """SELECT day, channel_id, currency, variant_id, orders, units, revenue, cost, refunded (live orders and
    merchandise lines only: gift cards sold as a product are not products sold; ``refunded``: the SKU's returned
    lines' shares of the refunds made that day, ``refunded_lines_sql``)."""
    return f"""
        SELECT day, channel_id, currency, k, SUM(n), SUM(units), SUM(revenue), SUM(cost), SUM(refunded)
        FROM ({_sold_and_refunded_sql("v.id", with_product=False)}) s
        GROUP BY 1, 2, 3, 4"""


def first_sales_day() -> date | None:
    from orders.models import Order

    first = Order.objects.exclude(placed_at__isnull=True).order_by("placed_at").values_list("placed_at", flat=True)
    first = first.first()
    return timezone.localtime(first, local_tz()).date() if first else None


# Orders changed in transactions that began this long before a refresh started may commit after it read them.
CHANGE_MARGIN = timedelta(minutes=30)


def changed_days(*, since: datetime, before: date) -> list[date]:
    """Local days before ``before`` holding an order with an event (status change, edit, cancellation...) since
    ``since``: days already rolled up whose figures that change may have moved. One query on the events' index."""
    from django.db.models.functions import TruncDate

    from orders.models import OrderEvent

    days = (OrderEvent.objects.filter(created_at__gte=since, order__placed_at__lt=day_start(before))
            .annotate(day=TruncDate("order__placed_at", tzinfo=local_tz())).order_by("day")
            .values_list("day", flat=True).distinct())
    return list(days)


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days: [(first, last), ...]."""
    runs: list[list[date]] = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


def _rebuild(start: date, end: date, result: dict) -> None:
    """Deletes and re-inserts the rollups of the local days ``start``..``end``."""
    t = _tables()
    params = {"start": day_start(start), "end": day_start(end + timedelta(days=1)), "tz": settings.TIME_ZONE}
    DailySales.objects.filter(day__gte=start, day__lte=end).delete()
    DailyProductSales.objects.filter(day__gte=start, day__lte=end).delete()
    DailyDimensionSales.objects.filter(day__gte=start, day__lte=end).delete()
    sales_sql, extra = sales_select_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {t['sales']} (day, channel_id, currency, orders, units, revenue, discount, tax,"
            f" shipping, cancelled, gift_cards, gift_card_value, returns, refunded) {sales_sql}", {**extra, **params})
        result["sales_rows"] += cursor.rowcount
        cursor.execute(
            f"INSERT INTO {t['product_sales']} (day, channel_id, currency, variant_id, orders, units, revenue, cost,"
            f" refunded) {product_select_sql()}", params)
        result["product_rows"] += cursor.rowcount
        cursor.execute(
            f"INSERT INTO {t['dimension']} (day, channel_id, currency, dimension, key, orders, units, revenue,"
            f" line_revenue, cost, refunded) {dimension_select_sql()}", params)
        result["dimension_rows"] += cursor.rowcount
        cursor.execute(
            f"INSERT INTO {t['dimension']} (day, channel_id, currency, dimension, key, orders, units, revenue,"
            f" line_revenue, cost, refunded) {line_dimension_select_sql()}", params)
        result["dimension_rows"] += cursor.rowcount


def refresh_rollups(*, days: int | None = DEFAULT_REFRESH_DAYS, full: bool = False, durable: bool = True) -> dict:
    """Recomputes the rollups of the last ``days`` complete days (all history when ``full`` or never run), and of
    every older day holding an order changed since the previous refresh (a cancellation or an edit weeks later).

    Idempotent: each run deletes and re-inserts its days in one transaction, under an advisory lock.
    ``durable=False`` only for callers that already run in a transaction (the demo seed).
    Returns what it did: ``{"start", "end", "changed_days", "sales_rows", "product_rows", "dimension_rows"}``.
    """
    today = timezone.localdate()
    end = today - timedelta(days=1)
    with transaction.atomic(durable=durable):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            cursor.execute("SET LOCAL jit = off")  # compiling costs more than these scans save
        state, _created = RollupState.objects.select_for_update().get_or_create(name="sales")
        started = timezone.now()
        if full or state.complete_through is None or days is None:
            start = first_sales_day() or today
        else:
            start = min(today - timedelta(days=days), state.complete_through + timedelta(days=1))
        older: list[date] = []
        if state.refreshed_at is not None and state.complete_through is not None:
            older = [d for d in changed_days(since=state.refreshed_at - CHANGE_MARGIN, before=min(start, today))
                     if d <= state.complete_through]
        result = {"start": start, "end": end, "changed_days": len(older), "sales_rows": 0, "product_rows": 0,
                  "dimension_rows": 0}
        for first, last in _runs(older):
            _rebuild(first, last, result)
        if start <= end:
            _rebuild(start, end, result)
        state.complete_through = max(end, state.complete_through or end)
        state.refreshed_at = started  # the next refresh looks for changes from here (less ``CHANGE_MARGIN``)
        state.save(update_fields=["complete_through", "refreshed_at"])
    return result


def complete_through() -> date | None:
    return RollupState.objects.filter(name="sales").values_list("complete_through", flat=True).first()

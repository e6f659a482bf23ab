from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from reports import rollups
from reports.models import DailyProductSales, DailySales, RollupState
from reports.selectors import ReportFilter, daily_sales, totals
from tests.reports.factories import days_ago, make_order


def _seed(world):
    make_order(channel=world["phone"], placed_at=days_ago(3), lines=[(world["shirt"], 2, "25.00")],
               customer=world["ana"], discount=Decimal("5"), tax=Decimal("3"))
    make_order(channel=world["phone"], placed_at=days_ago(3, hour=20), lines=[(world["mug"], 1, "12.00")])
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 1, "25.00"),
                                                                 (world["mug"], 3, "12.00")])
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["mug"], 9, "12.00")], status="cancelled")
    make_order(channel=world["web"], lines=[(world["mug"], 7, "12.00")], status="draft")
    make_order(channel=world["phone"], placed_at=days_ago(0), lines=[(world["shirt"], 1, "25.00")])


def test_refresh_builds_day_channel_rows_excluding_drafts_and_counting_cancellations_apart(world):
    _seed(world)
    result = rollups.refresh_rollups(days=None)
    assert result["end"] == timezone.localdate() - timedelta(days=1)
    rows = {(r.day, r.channel_id): r for r in DailySales.objects.all()}
    phone = rows[(days_ago(3).date(), world["phone"].pk)]
    assert (phone.orders, phone.units, phone.revenue, phone.discount, phone.tax, phone.cancelled) == (
        2, 3, Decimal("57.0000"), Decimal("5.0000"), Decimal("3.0000"), 0)
    web = rows[(days_ago(1).date(), world["web"].pk)]
    assert (web.orders, web.units, web.revenue, web.cancelled) == (1, 4, Decimal("61.0000"), 1)
    assert len(rows) == 2  # today is not rolled up
    mug = DailyProductSales.objects.get(day=days_ago(1).date(), variant=world["mug"])
    assert (mug.orders, mug.units, mug.revenue, mug.cost) == (1, 3, Decimal("36.0000"), Decimal("12.0000"))
    assert RollupState.objects.get().complete_through == timezone.localdate() - timedelta(days=1)


def test_refresh_is_idempotent(world):
    _seed(world)
    rollups.refresh_rollups(days=None)
    first = sorted(DailySales.objects.values_list("day", "channel_id", "orders", "revenue"))
    rollups.refresh_rollups(days=7)
    rollups.refresh_rollups(days=7)
    assert sorted(DailySales.objects.values_list("day", "channel_id", "orders", "revenue")) == first
    assert DailyProductSales.objects.count() == 4


def test_rollup_plus_live_equals_all_live(world):
    _seed(world)
    f = ReportFilter(timezone.localdate() - timedelta(days=10), timezone.localdate())
    live = totals(daily_sales(f, covered=None), f.start, f.end)
    rollups.refresh_rollups(days=None)
    mixed = totals(daily_sales(f, covered=rollups.complete_through()), f.start, f.end)
    assert (mixed.orders, mixed.units, mixed.revenue, mixed.cancelled) == (
        live.orders, live.units, live.revenue, live.cancelled) == (4, 8, Decimal("143.0000"), 1)


def test_refresh_picks_up_a_late_cancellation_within_the_window(world):
    order = make_order(channel=world["web"], placed_at=days_ago(2), lines=[(world["mug"], 1, "12.00")])
    rollups.refresh_rollups(days=None)
    assert DailySales.objects.get().orders == 1
    type(order).objects.filter(pk=order.pk).update(status="cancelled")
    rollups.refresh_rollups(days=7)
    row = DailySales.objects.get()
    assert (row.orders, row.cancelled, row.revenue) == (0, 1, Decimal("0"))


def test_location_filter_reads_live(world):
    from tests.reports.factories import LocationFactory

    loc = LocationFactory()
    order = make_order(channel=world["web"], placed_at=days_ago(2), lines=[(world["mug"], 1, "12.00")])
    make_order(channel=world["web"], placed_at=days_ago(2), lines=[(world["mug"], 2, "12.00")])
    from orders.models import OrderLineAllocation

    OrderLineAllocation.objects.bulk_create([OrderLineAllocation(line=line, location=loc, quantity=line.quantity)
                                             for line in order.lines.all()])
    rollups.refresh_rollups(days=None)
    f = ReportFilter(timezone.localdate() - timedelta(days=5), timezone.localdate(), location_id=loc.pk)
    t = totals(daily_sales(f, covered=rollups.complete_through()), f.start, f.end)
    assert (t.orders, t.units) == (1, 1)


def test_dimension_rollups_give_the_same_top_n_as_live(world, make_user):
    from reports.selectors import top

    agent = make_user("agent")
    for i in range(6):
        make_order(channel=world["web"], placed_at=days_ago(i), lines=[(world["shirt"], 1 + i, "25.00")],
                   agent=agent if i % 2 else None, state="RJ" if i % 3 else "SP", source_code=f"S{i % 2}")
    f = ReportFilter(timezone.localdate() - timedelta(days=10), timezone.localdate())

    def snapshot(dim):
        return sorted((r.label, r.orders, r.units, r.revenue, r.cost) for r in top(dim, f, limit=50))

    live = {dim: snapshot(dim) for dim in ("states", "agents", "source_codes", "campaigns", "channels", "brands",
                                           "hours", "weekdays")}
    rollups.refresh_rollups(days=None)
    assert {dim: snapshot(dim) for dim in live} == live
    assert live["states"] == [("RJ", 4, 16, Decimal("400.0000"), Decimal("160.0000")),
                              ("SP", 2, 5, Decimal("125.0000"), Decimal("50.0000"))]
    assert [label for label, *_rest in live["agents"]] == ["(none)", agent.get_full_name()]


def _rows_touched(plan: dict) -> int:
    """Rows a plan node and its children produced or threw away, over all their loops (EXPLAIN ANALYZE JSON)."""
    own = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
           + plan.get("Rows Removed by Join Filter", 0)) * plan.get("Actual Loops", 1)
    return own + sum(_rows_touched(child) for child in plan.get("Plans", []))


def test_dimension_refresh_work_grows_with_the_orders_even_when_statistics_say_the_days_are_empty(world):
    """The orders' statistics were taken before the latest days' orders came (their histogram ends earlier), so
    the planner takes the days being refreshed for about one order; the lines' statistics are current. The
    refresh must still read each order's lines once, not re-aggregate every line for every order."""
    orders = 300
    for i in range(orders):
        make_order(channel=world["phone"], placed_at=days_ago(1 + i % 3),
                   lines=[(world["shirt"], 1, "25.00"), (world["mug"], 2, "12.00")])
    params = {"start": rollups.day_start(timezone.localdate() - timedelta(days=4)),
              "end": rollups.day_start(timezone.localdate()), "tz": settings.TIME_ZONE}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_orderline, inventory_variant")
        cursor.execute("UPDATE orders_order SET placed_at = placed_at + interval '5 years'")
        cursor.execute("ANALYZE orders_order")
        cursor.execute("UPDATE orders_order SET placed_at = placed_at - interval '5 years'")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + rollups.dimension_select_sql(), params)
        plan = cursor.fetchone()[0][0]["Plan"]
    lines = 2 * orders
    assert _rows_touched(plan) < 20 * (orders + lines)  # about 5x; re-aggregating per order was 200x

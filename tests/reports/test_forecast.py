import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from orders.models import Order, OrderLine
from reports import rollups
from reports.forecast import fit, forecast_accuracy, forecast_series, forecast_variant, holt, project, wape
from reports.models import DailySales
from tests.reports.factories import days_ago, make_order


def test_holt_follows_a_linear_trend():
    series = [10 + 2 * i for i in range(30)]
    alpha, beta, level, trend = fit(series)
    assert project(level, trend, 3) == pytest.approx([70, 72, 74], abs=0.5)
    assert holt([], 0.5, 0.1) == (0.0, 0.0, 0.0)


def test_forecast_never_negative_and_wape():
    assert project(2.0, -1.0, 4) == [1.0, 0.0, 0.0, 0.0]
    assert wape([10, 10], [8, 13]) == pytest.approx(25.0)
    assert wape([0, 0], [1, 1]) is None


def test_backtest_needs_enough_history():
    _a, _b, daily, backtest = forecast_series([1.0] * 20, horizon=7, backtest_days=14)
    assert backtest is None and daily == pytest.approx([1.0] * 7)


def test_forecast_variant_reads_rollups_and_backtests(world):
    for day in range(1, 61):
        make_order(channel=world["web"], placed_at=days_ago(day), lines=[(world["mug"], 1 + day % 2, "12.00")])
    rollups.refresh_rollups(days=None)
    result = forecast_variant(variant_id=world["mug"].pk, horizon=14, history_days=60)
    assert len(result.history) == 60 and len(result.daily) == 14
    assert sum(result.history) == 90
    assert 1.0 <= result.per_day <= 2.0
    assert result.backtest_wape is not None and result.backtest_wape < 40
    accuracy = forecast_accuracy(top=5, history_days=60)
    assert accuracy["skus"] == 1


def test_bench_data_generates_orders_and_rollups(world, make_user):
    make_user("agent")
    call_command("bench_data", orders=30, days=10, refresh=True, stdout=io.StringIO())
    assert Order.objects.filter(number__startswith="BN").count() == 30
    assert OrderLine.objects.filter(order__number__startswith="BN").count() >= 30
    assert DailySales.objects.exists()
    assert Order.objects.filter(number__startswith="BN", placed_at__gt=timezone.now()).count() == 0


def test_bench_data_refunds_its_returned_orders_once(world, make_user):
    from django.db.models import Sum

    from orders.fulfilment.models import Return, ReturnLine

    make_user("agent")
    call_command("bench_data", orders=300, days=30, refresh=True, stdout=io.StringIO())
    returned = Order.objects.filter(number__startswith="BN", status="returned")
    assert returned.exists()
    returns = Return.objects.filter(order__in=returned, status="refunded")
    assert returns.count() == returned.count()
    assert all(r.refund_amount == r.order.total and r.closed_at <= timezone.now() for r in returns)
    assert ReturnLine.objects.filter(rma__in=returns).count() == OrderLine.objects.filter(order__in=returned).count()
    rolled_up = returns.filter(closed_at__date__lt=timezone.localdate())  # the rollups end yesterday
    assert DailySales.objects.aggregate(total=Sum("refunded"))["total"] == rolled_up.aggregate(
        total=Sum("refund_amount"))["total"]

    call_command("bench_data", orders=0, days=30, stdout=io.StringIO())
    assert Return.objects.filter(order__in=returned).count() == returned.count()


def test_demo_seed_is_idempotent(world):

    make_order(channel=world["web"], placed_at=days_ago(3), lines=[(world["mug"], 1, "12.00")])
    from django.db import transaction

    from reports.demo import seed

    with transaction.atomic():  # as seed_demo calls it
        seed(stdout=io.StringIO())
    first = list(DailySales.objects.values_list("day", "orders"))
    with transaction.atomic():
        seed(stdout=io.StringIO())
    assert list(DailySales.objects.values_list("day", "orders")) == first

"""Report figures against orders placed, edited and cancelled through the order services, compared with a direct
count over the orders and their lines."""

import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from inventory.services import StockLine, stock_receive
from orders.models import Order, OrderLine
from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place
from reports import rollups, selectors
from reports.selectors import ReportFilter
from tests.inventory.factories import LocationFactory, VariantFactory
from tests.marketing.factories import ShippingRateFactory, TaxRateFactory
from tests.orders.factories import AddressFactory, ChannelFactory
from tests.reports.factories import days_ago


@pytest.fixture
def shop(db, make_user):
    """A channel, a DC holding three SKUs (two of one product, so of one brand), SP tax, a shipping rate, a customer
    and an agent; ``shop["place"]([(variant, qty), ...], days=n)`` places an order and dates it ``n`` days ago."""
    dc = LocationFactory(code="RDC", name="DC Reports", kind="dc", can_ship=True)
    shirt = VariantFactory(base_price=Decimal("100.00"), cost=Decimal("40.00"))
    shirt_big = VariantFactory(product=shirt.product, base_price=Decimal("110.00"), cost=Decimal("44.00"))
    mug = VariantFactory(base_price=Decimal("20.00"), cost=Decimal("5.00"))
    stock_receive(lines=[StockLine(v.pk, dc.pk, 50) for v in (shirt, shirt_big, mug)], reference="test",
                  acting_user=None)
    TaxRateFactory(region="SP", rate=Decimal("18"))
    service = ShippingRateFactory(price=Decimal("15.00")).service.code
    customer = AddressFactory().customer
    channel = ChannelFactory()
    agent = make_user("agent")

    def place(lines, *, days: int = 0, hour: int = 12, at=None) -> Order:
        order = draft_create(channel_id=channel.pk, acting_user=agent, customer_id=customer.pk)
        for variant, qty in lines:
            draft_line_add(order_id=order.pk, variant_id=variant.pk, quantity=qty, acting_user=agent)
        draft_update(order_id=order.pk, acting_user=agent, payment_method="invoice", shipping_service=service)
        order = order_place(order_id=order.pk, idempotency_key=uuid.uuid4().hex, acting_user=agent,
                            payment=PaymentRequest(method="invoice"))
        Order.objects.filter(pk=order.pk).update(placed_at=at or days_ago(days, hour=hour))
        return Order.objects.get(pk=order.pk)

    return {"dc": dc, "shirt": shirt, "shirt_big": shirt_big, "mug": mug, "channel": channel, "agent": agent,
            "place": place}


def direct_count(start, end) -> dict:
    """Orders, cancellations, revenue and merchandise units of the local days ``start``..``end``, counted
    straight from the orders and their lines."""
    orders = Order.objects.filter(placed_at__gte=rollups.day_start(start),
                                  placed_at__lt=rollups.day_start(end + timedelta(days=1))).exclude(status="draft")
    live = orders.exclude(status="cancelled")
    units = OrderLine.objects.filter(order__in=live).exclude(status="cancelled").aggregate(n=Sum("quantity"))["n"]
    return {"orders": live.count(), "cancelled": orders.filter(status="cancelled").count(),
            "revenue": live.aggregate(s=Sum("total"))["s"] or Decimal("0"), "units": units or 0}


def report_totals(f: ReportFilter) -> dict:
    t = selectors.totals(selectors.daily_sales(f, covered=rollups.complete_through()), f.start, f.end)
    return {"orders": t.orders, "cancelled": t.cancelled, "revenue": t.revenue, "units": t.units}


def test_orders_by_status_at_a_location_counts_each_order_once(shop):
    """An order whose two lines are both held at the DC is one order on the dashboard's status chart, as in its
    order tiles; the chart counted it once per line held there."""
    two_lines = shop["place"]([(shop["shirt"], 1), (shop["mug"], 2)])
    shop["place"]([(shop["mug"], 1)])
    assert two_lines.lines.filter(allocations__location=shop["dc"]).count() == 2
    today = timezone.localdate()
    f = ReportFilter(today - timedelta(days=6), today, location_id=shop["dc"].pk)
    board = selectors.dashboard(f, custom_range=True, channels={})
    held_here = {o.pk: o.status for o in Order.objects.filter(lines__allocations__location=shop["dc"])}
    expected = sorted(Counter(held_here.values()).items())
    assert sorted((status, n) for status, _label, n in board.by_status) == expected
    assert sum(n for _s, _l, n in board.by_status) == board.periods[0].current.orders == 2


def test_rollups_follow_a_cancellation_and_an_edit_weeks_after_the_order(shop):
    """Orders placed 12 and 20 days ago, rolled up, then one cancelled and one edited (a quantity changed, a line
    removed, a line added): the next scheduled refresh recomputes their days, so the dashboard, the KPIs and the
    top SKUs equal a direct count again. Those days are outside the refresh's 7-day window and used to keep the
    figures of the orders as first placed."""
    from orders.services import order_cancel, order_edit

    place = shop["place"]
    kept = place([(shop["shirt"], 1)], days=20)
    cancelled = place([(shop["mug"], 3)], days=12)
    edited = place([(shop["shirt"], 1), (shop["mug"], 2)], days=12)
    today = timezone.localdate()
    month = ReportFilter(today - timedelta(days=29), today)
    rollups.refresh_rollups(days=None)
    before = direct_count(month.start, month.end)
    assert report_totals(month) == before

    order_cancel(order_id=cancelled.pk, reason="Customer changed their mind", acting_user=shop["agent"])
    shirt_line, mug_line = edited.lines.order_by("position")
    order_edit(order_id=edited.pk, acting_user=shop["agent"], reason="By phone",
               quantities={shirt_line.pk: 3, mug_line.pk: 0}, add=[(shop["shirt_big"].pk, 1)])
    rollups.refresh_rollups()  # what the beat runs every 10 minutes

    after = direct_count(month.start, month.end)
    assert after != before and after["cancelled"] == 1 and after["units"] == 1 + 3 + 1
    assert report_totals(month) == after
    assert selectors.kpis(month)["revenue"] == after["revenue"]
    board = selectors.dashboard(month, custom_range=True, channels={})
    assert (board.periods[0].current.orders, board.periods[0].current.revenue) == (after["orders"], after["revenue"])
    units = {r.key: r.units for r in selectors.top("products", month)}
    assert units == {shop["shirt"].pk: 1 + 3, shop["shirt_big"].pk: 1}
    assert Order.objects.get(pk=kept.pk).status != "cancelled"


def test_an_order_placed_just_before_midnight_counts_on_its_local_day(shop):
    """23:50 in São Paulo is 02:50 UTC the next day: the order belongs to the local day, live and rolled up."""
    from zoneinfo import ZoneInfo

    day = timezone.localdate() - timedelta(days=3)
    late = timezone.datetime.combine(day, timezone.datetime.min.time(), tzinfo=ZoneInfo("America/Sao_Paulo"))
    shop["place"]([(shop["mug"], 1)], at=late + timedelta(hours=23, minutes=50))
    shop["place"]([(shop["mug"], 2)], at=late + timedelta(days=1, minutes=5))
    f = ReportFilter(day - timedelta(days=1), day + timedelta(days=2))

    def per_day():
        board = selectors.dashboard(f, custom_range=True, channels={})
        return {d: n for d, n, _revenue in board.by_day if n}

    live = per_day()
    rollups.refresh_rollups(days=None)
    assert per_day() == live == {day: 1, day + timedelta(days=1): 1}
    assert {r.key: r.orders for r in selectors.top("weekdays", f)} == {
        str(day.isoweekday()): 1, str((day + timedelta(days=1)).isoweekday()): 1}  # keys as rolled up


@pytest.mark.parametrize("dim", ["brands", "categories"])
def test_brand_and_category_orders_count_an_order_once_when_rolled_up(shop, dim):
    """Two sizes of one shirt in one order are one order for the shirt's brand and category. Rolled-up days added
    up the per-SKU order counts (two); live days counted the order once, so the figure changed overnight."""
    shop["place"]([(shop["shirt"], 1), (shop["shirt_big"], 2), (shop["mug"], 1)], days=3)
    shop["place"]([(shop["shirt"], 1)], days=0)
    product = shop["shirt"].product
    key = product.brand_id if dim == "brands" else product.category_id
    assert key != (shop["mug"].product.brand_id if dim == "brands" else shop["mug"].product.category_id)
    today = timezone.localdate()
    f = ReportFilter(today - timedelta(days=6), today)

    def shirt_row():
        row = next(r for r in selectors.top(dim, f) if str(r.key) == str(key))
        return row.label, row.orders, row.units, row.revenue, row.cost

    live = shirt_row()
    rollups.refresh_rollups(days=None)
    assert shirt_row() == live
    lines = OrderLine.objects.filter(variant__product=product)
    assert live[1:] == (lines.values("order").distinct().count(), 4, lines.aggregate(s=Sum("line_total"))["s"],
                        Decimal("40.00") * 2 + Decimal("44.00") * 2)
    assert live[1] == 2


def test_forecast_reads_the_days_not_rolled_up_yet_live(shop):
    """Days after the rollups (none yet, or the beat job behind) were read as days with no sales: a SKU selling
    every day was forecast to sell nothing. They are read live, as on the other report pages."""
    from reports.forecast import forecast_variant

    for days in range(1, 6):
        shop["place"]([(shop["mug"], 2)], days=days)
    live = forecast_variant(variant_id=shop["mug"].pk, history_days=10)
    assert live.history[-5:] == [2.0] * 5 and sum(live.history) == 10
    assert live.per_day > 0
    rollups.refresh_rollups(days=None)
    assert forecast_variant(variant_id=shop["mug"].pk, history_days=10).history == live.history


def test_forecast_of_a_sku_with_no_history_or_a_single_day(shop):
    from reports.forecast import forecast_variant

    none = forecast_variant(variant_id=shop["shirt_big"].pk)
    assert none.total == 0 and none.backtest_wape is None and len(none.history) == 120
    shop["place"]([(shop["shirt"], 3)], days=1)
    rollups.refresh_rollups(days=None)
    one = forecast_variant(variant_id=shop["shirt"].pk)
    assert one.history[-1] == 3.0 and sum(one.history) == 3.0 and one.total >= 0


def test_a_return_refunded_through_the_return_flow_lowers_net_revenue(shop, make_user):
    """Net revenue reads what the return flow records as given back (``Return.refund_amount`` once refunded),
    here as store credit, on the day of the refund."""
    from orders.fulfilment import services as ful

    order = shop["place"]([(shop["shirt"], 2)], days=3)
    user = make_user("admin")
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    for sl in shipment.lines.select_related("order_line"):
        for _unit in range(sl.quantity):
            ful.shipment_scan(shipment_id=shipment.pk, code=sl.order_line.sku, acting_user=user)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR1X", acting_user=user)
    line = order.lines.get()
    rma = ful.return_request(order_id=order.pk, lines=[(line.pk, 1, "size")], acting_user=user)
    ful.return_approve(return_id=rma.pk, acting_user=user)
    ful.return_receive(return_id=rma.pk, location_id=shop["dc"].pk, acting_user=user)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "resell"}, acting_user=user)
    rollups.refresh_rollups(days=None)
    today = timezone.localdate()
    week = ReportFilter(today - timedelta(days=6), today)
    before = selectors.kpis(week)
    assert (before["refunded"], before["net_revenue"]) == (Decimal("0"), before["revenue"])
    ful.return_refund(return_id=rma.pk, method="store_credit", acting_user=user)
    rma.refresh_from_db()
    assert rma.refund_amount == line.line_total / 2
    after = selectors.kpis(week)
    assert (after["revenue"], after["returns"], after["refunded"]) == (before["revenue"], 1, rma.refund_amount)
    assert after["net_revenue"] == before["revenue"] - rma.refund_amount

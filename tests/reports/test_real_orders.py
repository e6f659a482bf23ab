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

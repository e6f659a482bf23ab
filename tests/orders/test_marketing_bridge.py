"""Segments and what-if read order history through the providers orders registers for marketing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.segments import segment_evaluator
from marketing.whatif import order_history
from orders.marketing_bridge import OrdersSegmentEvaluator
from orders.models import Order, OrderLine
from tests.inventory.factories import VariantFactory
from tests.orders.factories import AddressFactory, ChannelFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _order(customer, *, total, days_ago, status=Order.Status.CONFIRMED, source_code="", variant=None, channel=None):
    order = Order.objects.create(
        channel=channel or ChannelFactory(code="phone"), customer=customer, status=status, total=Decimal(total),
        currency="BRL", placed_at=timezone.now() - timedelta(days=days_ago), source_code=source_code,
        shipping_address={"state": "SP"},
    )
    if variant:
        OrderLine.objects.create(order=order, variant=variant, sku=variant.sku, name=variant.name, quantity=2)
    return order


@pytest.fixture
def history():
    phone = ChannelFactory(code="phone")
    web = ChannelFactory(code="web", order_prefix="WB")
    ana = CustomerFactory(name="Ana", group_code="vip")
    AddressFactory(customer=ana, state="SP")
    bruno = CustomerFactory(name="Bruno")
    AddressFactory(customer=bruno, state="RJ")
    carla = CustomerFactory(name="Carla")
    variant = VariantFactory()
    _order(ana, total="300.00", days_ago=5, source_code="CAT26A", variant=variant, channel=phone)
    _order(ana, total="200.00", days_ago=60, channel=web)
    _order(bruno, total="50.00", days_ago=45, channel=phone)
    _order(bruno, total="900.00", days_ago=2, status=Order.Status.CANCELLED, channel=phone)
    return {"ana": ana, "bruno": bruno, "carla": carla, "variant": variant}


def _names(rules):
    return sorted(c.name for c in OrdersSegmentEvaluator().queryset(rules=rules))


def test_orders_registers_its_providers_with_marketing():
    assert isinstance(segment_evaluator(), OrdersSegmentEvaluator)
    assert order_history() is not None


def test_segment_rules_read_spend_counts_dates_regions_channels_and_source_codes(history):
    assert _names([{"field": "total_spent", "op": "gte", "value": "100"}]) == ["Ana"]
    assert _names([{"field": "order_count", "op": "eq", "value": 0}]) == ["Carla"]
    assert _names([{"field": "region", "op": "in", "value": ["RJ"]}]) == ["Bruno"]
    assert _names([{"field": "source_code", "op": "in", "value": ["CAT26A"]}]) == ["Ana"]
    assert _names([{"field": "channel", "op": "not_in", "value": ["web"]}]) == ["Bruno", "Carla"]
    assert _names([{"field": "last_order_date", "op": "within_days", "value": 30}]) == ["Ana"]
    assert _names([{"field": "group", "op": "in", "value": ["vip"]},
                   {"field": "order_count", "op": "gte", "value": 2}]) == ["Ana"]


def test_segment_export_rows_carry_order_values_and_source_codes(history):
    rows = list(OrdersSegmentEvaluator().customers(rules=[{"field": "order_count", "op": "gte", "value": 1}]))
    ana, bruno = rows
    assert (ana.name, ana.order_count, ana.total_spent, ana.region, ana.source_codes) == (
        "Ana", 2, Decimal("500.00"), "SP", ["CAT26A"])
    assert (bruno.order_count, bruno.total_spent, bruno.source_codes) == (1, Decimal("50.00"), [])
    assert OrdersSegmentEvaluator().count(rules=[]) == 3


def test_order_history_lists_counted_orders_in_the_window_with_their_lines(history, django_assert_max_num_queries):
    now = timezone.now()
    with django_assert_max_num_queries(3):
        orders = list(order_history()(since=now - timedelta(days=50), until=now))
    expected = [(history["bruno"].pk, ""), (history["ana"].pk, "CAT26A")]
    assert [(o.customer_id, o.source_code) for o in orders] == expected
    assert [(line.variant_id, line.quantity) for line in orders[1].lines] == [(history["variant"].pk, 2)]
    assert orders[1].ship_to_region == "SP"


def test_order_history_gives_only_the_latest_orders_when_asked(history):
    now = timezone.now()
    orders = list(order_history()(since=now - timedelta(days=50), until=now, latest=1))
    assert [(o.customer_id, o.source_code) for o in orders] == [(history["ana"].pk, "CAT26A")]


def test_what_if_page_samples_a_busy_month_by_its_latest_orders_and_says_so(history, role_client, settings):
    """Each order is priced twice while the manager waits: a month of a busy store would time the page out."""
    from django.urls import reverse

    from tests.marketing.factories import PromotionFactory

    _order(history["bruno"], total="80.00", days_ago=1, variant=history["variant"])
    url = reverse("marketing:promotion_what_if", args=[PromotionFactory(currency="BRL").pk])
    client = role_client("manager")
    settings.MARKETING_WHAT_IF_MAX_ORDERS = 1
    page = client.get(url, {"run": "1"})
    assert page.context["report"].orders_seen == 1
    assert "Based on the latest order of the last 30 days: there were more." in page.content.decode()
    settings.MARKETING_WHAT_IF_MAX_ORDERS = 2
    page = client.get(url, {"run": "1"})
    assert page.context["report"].orders_seen == 2  # the two orders of the last 30 days that count
    assert "there were more" not in page.content.decode()


def test_what_if_re_prices_history_with_the_agents_prices_and_personalisation_kept(history):
    """A line the agent priced by hand takes no item promotion, so a SKU promotion would have changed nothing on it;
    a personalised line is worth its surcharge too. What-if re-prices each order with the lines as they were."""
    from marketing.whatif import what_if
    from tests.marketing.factories import PromotionFactory

    variant = history["variant"]
    order = _order(history["bruno"], total="160.00", days_ago=1, channel=ChannelFactory(code="phone"))
    OrderLine.objects.create(order=order, variant=variant, sku=variant.sku, name=variant.name, quantity=2,
                             override_unit_price=Decimal("80.00"), extra_unit_price=Decimal("5.00"))
    promotion = PromotionFactory(kind="item_percent", percent=Decimal("10"), is_active=False)
    promotion.variants.set([variant])
    now = timezone.now()
    [historic] = [o for o in order_history()(since=now - timedelta(days=3), until=now) if o.reference.endswith(
        str(order.pk))]
    report = what_if(orders=[historic], currency="BRL", promotion_id=promotion.pk)
    assert (report.orders_seen, report.orders_affected, report.discount_given) == (1, 0, Decimal("0"))
    assert report.revenue_before == Decimal("170.00")  # (80 + 5) x 2, as charged
    assert [(x.override_unit_price, x.extra_unit_price) for x in historic.lines] == [(Decimal("80.00"),
                                                                                      Decimal("5.00"))]


def test_what_if_of_a_coupon_promotion_counts_the_orders_that_used_its_single_use_codes(make_user, world, place):
    """Each past order is re-priced with its own coupons; the use it took of a single-use code is its own, so the
    code is not "already used" when that order is re-priced, and the coupon's promotion shows its effect."""
    from marketing.services import coupon_batch_generate
    from marketing.whatif import what_if
    from tests.marketing.factories import PromotionFactory

    agent = make_user("agent")
    promotion = PromotionFactory(name="Mailing 10%", requires_coupon=True)
    code = coupon_batch_generate(promotion_id=promotion.pk, quantity=1, prefix="", acting_user=agent).coupons.get().code
    order = place(agent, [(world["variants"][0], 1)], coupons=[code])
    assert order.discount_total == Decimal("10.00")
    now = timezone.now()
    history = list(order_history()(since=now - timedelta(days=1), until=now + timedelta(minutes=1)))
    report = what_if(orders=history, currency="BRL", promotion_id=promotion.pk)
    assert (report.orders_seen, report.orders_affected, report.discount_given) == (1, 1, Decimal("10.00"))


def test_segment_rules_match_regions_and_source_codes_typed_in_small_letters(history, role_client):
    """States and source codes are stored in capitals; a rule typed as "sp" or "cat26a" selected nobody."""
    from django.urls import reverse

    from marketing.models import Segment
    from marketing.services import segment_count

    response = role_client("manager").post(reverse("marketing:segments_create"), {
        "code": "sp-catalogue", "name": "SP catalogue buyers",
        "rules": '[{"field": "region", "op": "in", "value": ["sp"]}, '
                 '{"field": "source_code", "op": "in", "value": [" cat26a"]}]'})
    assert response.status_code == 302
    segment = Segment.objects.get(code="sp-catalogue")
    assert [rule["value"] for rule in segment.rules] == [["SP"], ["CAT26A"]]
    assert segment_count(segment=segment) == 1
    assert [c.name for c in OrdersSegmentEvaluator().customers(rules=segment.rules)] == ["Ana"]
    Segment.objects.filter(pk=segment.pk).update(rules=[{"field": "region", "op": "not_in", "value": ["rj"]}])
    segment.refresh_from_db()
    assert segment_count(segment=segment) == 1  # saved before rules were put in capitals: read the same way


def test_a_segment_extract_gives_no_email_of_a_customer_who_did_not_agree_to_marketing(history):
    """The extract is the list campaigns are mailed from: it carried every customer's e-mail, so one who never
    agreed to marketing (or withdrew) was mailed with the rest. They stay in the list (counts, values) without it."""
    Customer = type(history["ana"])
    Customer.objects.filter(pk=history["ana"].pk).update(marketing_consent=True)
    Customer.objects.filter(pk=history["bruno"].pk).update(marketing_consent=False)
    ana, bruno = OrdersSegmentEvaluator().customers(rules=[{"field": "order_count", "op": "gte", "value": 1}])
    assert (ana.name, ana.email) == ("Ana", history["ana"].email) and ana.email
    assert (bruno.name, bruno.email, bruno.order_count) == ("Bruno", "", 1)

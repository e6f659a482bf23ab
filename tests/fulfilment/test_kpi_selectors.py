"""The fulfilment figures reports shows on the KPIs page: fill rate and return reasons."""

from orders.fulfilment import selectors
from orders.fulfilment import services as ful


def _ship(order, picker):
    for shipment in ful.order_allocate(order_id=order.pk, acting_user=picker):
        for line in shipment.lines.select_related("order_line__variant"):
            for _ in range(line.quantity):
                ful.shipment_scan(shipment_id=shipment.pk, code=line.order_line.variant.sku, acting_user=picker)
        ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", service="sedex",
                          tracking_number=f"BR{shipment.pk}", cost=0, acting_user=picker)


def test_fill_rate_counts_lines_shipped_complete_from_their_first_location(make_user, net, place_order):
    agent, picker = make_user("agent"), make_user("warehouse")
    assert selectors.fill_rate() == {"lines": 0, "complete": 0, "rate": None}
    shipped = place_order(agent, [(net["shirt"], 2), (net["mug"], 1)])
    place_order(agent, [(net["mug"], 1)])  # placed, not shipped: not counted
    _ship(shipped, picker)
    assert selectors.fill_rate() == {"lines": 2, "complete": 2, "rate": 100.0}


def test_return_reasons_count_units_and_returns(make_user, net, place_order):
    agent, picker = make_user("agent"), make_user("warehouse")
    order = place_order(agent, [(net["shirt"], 2), (net["mug"], 1)])
    _ship(order, picker)
    ful.carrier_update_csv(content=f"tracking_number,status,reason\nBR{order.shipments.get().pk},delivered,\n",
                           acting_user=picker)
    shirt, mug = order.lines.get(variant=net["shirt"]), order.lines.get(variant=net["mug"])
    ful.return_request(order_id=order.pk, lines=[(shirt.pk, 2, "size"), (mug.pk, 1, "damaged")], acting_user=agent)
    assert selectors.return_reasons() == [
        {"reason": "size", "units": 2, "returns": 1}, {"reason": "damaged", "units": 1, "returns": 1}]


def test_the_kpis_fulfilment_figures_keep_to_the_chosen_channel(make_user, net, place_order):
    """With a channel chosen, the KPIs page filtered its sales tiles but showed the fill rate, the return reasons
    and the orders at risk of every channel."""
    from datetime import timedelta

    from django.utils import timezone

    from reports.selectors import ReportFilter, kpis
    from tests.orders.factories import ChannelFactory

    agent, picker = make_user("agent"), make_user("warehouse")
    order = place_order(agent, [(net["shirt"], 1)])
    _ship(order, picker)
    ful.carrier_update_csv(content=f"tracking_number,status,reason\nBR{order.shipments.get().pk},delivered,\n",
                           acting_user=picker)
    ful.return_request(order_id=order.pk, lines=[(order.lines.get().pk, 1, "size")], acting_user=agent)
    from orders.models import AtRiskFlag

    AtRiskFlag.objects.create(order=place_order(agent, [(net["mug"], 1)]), reason="not_allocated")
    other = ChannelFactory(code="phone2", kind="phone")
    today = timezone.localdate()
    web = kpis(ReportFilter(today - timedelta(days=1), today, channel_id=net["channel"].pk))
    phone = kpis(ReportFilter(today - timedelta(days=1), today, channel_id=other.pk))
    assert (web["fill"]["lines"], [r["reason"] for r in web["return_reasons"]], web["at_risk_open"]) == (
        1, ["size"], 1)
    assert (phone["orders"], phone["fill"]["lines"], phone["return_reasons"], phone["at_risk_open"]) == (0, 0, [], 0)

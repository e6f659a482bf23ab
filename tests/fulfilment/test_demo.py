"""The fulfilment demo seed releases and ships some open orders, and adds nothing the second time."""

import io

import pytest

from orders.fulfilment import demo
from orders.fulfilment.models import Shipment
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent(make_user, net, place_order):
    user = make_user("admin")
    orders = [place_order(user, [(net["mug"], 1)]) for _n in range(3)]
    out = io.StringIO()
    demo.seed(stdout=out)
    assert "3 orders released, 3 shipped" in out.getvalue()
    assert Shipment.objects.filter(status=Shipment.Status.SHIPPED).count() == 3
    assert set(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True)) == {"shipped"}
    demo.seed(stdout=out)
    assert Shipment.objects.count() == 3
    assert "already present" in out.getvalue()


def test_orders_written_as_returned_get_their_refunded_returns_once(make_user, net, place_order):
    from django.utils import timezone

    from orders.fulfilment.models import Return
    from orders.models import OrderLine

    user = make_user("admin")
    whole = place_order(user, [(net["mug"], 2)])
    partly = place_order(user, [(net["mug"], 1), (net["mug"], 1)])
    kept = place_order(user, [(net["mug"], 1)])
    Order.objects.filter(pk=whole.pk).update(status=Order.Status.RETURNED)
    Order.objects.filter(pk=partly.pk).update(status=Order.Status.PARTIALLY_RETURNED)
    whole.lines.update(status=OrderLine.Status.RETURNED)
    first = partly.lines.order_by("position").first()
    OrderLine.objects.filter(pk=first.pk).update(status=OrderLine.Status.RETURNED)

    assert demo.seed_returns() == 2
    assert demo.seed_returns() == 0
    rmas = {rma.order_id: rma for rma in Return.objects.prefetch_related("lines")}
    assert set(rmas) == {whole.pk, partly.pk} and kept.pk not in rmas
    assert rmas[whole.pk].refund_amount == sum(line.line_total for line in whole.lines.all())
    assert rmas[partly.pk].refund_amount == first.line_total
    assert [line.order_line_id for line in rmas[partly.pk].lines.all()] == [first.pk]
    for rma in rmas.values():
        assert rma.status == Return.Status.REFUNDED
        placed = Order.objects.get(pk=rma.order_id).placed_at
        assert placed <= rma.created_at <= rma.approved_at <= rma.received_at <= rma.closed_at <= timezone.now()

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

"""Stock numbers on the pages: overstock (units sold, days of cover, its options) and a location's stock filters."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockMovement
from tests.inventory.factories import LocationFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(stock):
    location = LocationFactory(code="DC1")
    slow, fast, idle = VariantFactory(sku="SLOW"), VariantFactory(sku="FAST"), VariantFactory(sku="IDLE")
    for variant in (slow, fast, idle):
        stock(variant, location, 100)

    def sold(variant, units, days_ago):
        row = StockMovement.objects.create(variant=variant, location=location, on_hand_delta=-units,
                                           reason=StockMovement.Reason.SHIPMENT, reference="test")
        StockMovement.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=days_ago))

    sold(slow, 10, 2)   # 100 on hand / 10 a month: 300 days of cover
    sold(slow, 20, 45)  # only inside a 60-day window
    sold(fast, 60, 3)   # 50 days of cover: not overstock at 90 days
    return location


def rows(client, **params):
    response = client.get(reverse("inventory:overstock"), params)
    assert response.status_code == 200
    return [(r["sku"], r["units_sold"], r["cover_days"]) for r in response.context["rows"]]


def test_overstock_lists_cover_beyond_the_threshold_with_its_numbers(role_client, world):
    client = role_client("manager")
    assert rows(client) == [("IDLE", 0, None), ("SLOW", 10, 300)]


def test_overstock_cover_and_window_options_change_the_result(role_client, world):
    client = role_client("manager")
    assert rows(client, cover=40) == [("IDLE", 0, None), ("SLOW", 10, 300), ("FAST", 60, 50)]
    assert rows(client, cover=301) == [("IDLE", 0, None)]
    # 60 days: SLOW sold 30 (100 * 60 / 30 = 200 days), FAST 60 (100 days)
    assert rows(client, window=60) == [("IDLE", 0, None), ("SLOW", 30, 200), ("FAST", 60, 100)]


def test_location_stock_search_and_nothing_available_filter(role_client, world):
    from inventory.models import StockLevel
    from inventory.services import stock_set_safety

    empty = VariantFactory(sku="EMPTY")
    StockLevel.objects.create(variant=empty, location=world, on_hand=0)
    fast = StockLevel.objects.get(variant__sku="FAST", location=world)
    stock_set_safety(variant_id=fast.variant_id, location_id=world.pk, safety_stock=100, acting_user=None)
    client = role_client("manager")
    url = reverse("inventory:location_detail", args=[world.pk])

    def skus(**params):
        return [(lv.variant.sku, lv.free) for lv in client.get(url, params).context["page"]]

    assert skus() == [("EMPTY", 0), ("FAST", 0), ("IDLE", 100), ("SLOW", 100)]
    assert skus(low="1") == [("EMPTY", 0), ("FAST", 0)]  # nothing free once the safety stock is kept back
    assert skus(q="slo") == [("SLOW", 100)]
    assert skus(sort="-available") == [("SLOW", 100), ("IDLE", 100), ("FAST", 0), ("EMPTY", 0)]  # ties by row

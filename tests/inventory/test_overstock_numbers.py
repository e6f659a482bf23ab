"""The overstock page's numbers: units sold in the window, days of cover, and the window and cover options."""

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

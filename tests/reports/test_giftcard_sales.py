"""Gift cards sold as a product in the reports: not merchandise (no product, category or brand row, no units,
no margin), counted apart as "gift cards sold" (cards and value), the same from rollups as read live."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from reports import rollups
from reports.models import DailyProductSales, DailySales
from reports.selectors import ReportFilter, daily_sales, kpis, top, totals
from tests.reports.factories import VariantFactory, days_ago, make_order


@pytest.fixture
def card(world):
    return VariantFactory(sku="R-GIFT", cost="0", is_gift_card=True)


def _seed(world, card):
    # Two days ago: a shirt and two cards of 50 on one order, a card of 80 alone on another.
    make_order(channel=world["web"], placed_at=days_ago(2), lines=[(world["shirt"], 1, "25.00"), (card, 2, "50.00")])
    make_order(channel=world["web"], placed_at=days_ago(2, hour=15), lines=[(card, 1, "80.00")], state="RJ")
    make_order(channel=world["web"], placed_at=days_ago(2), lines=[(card, 5, "10.00")], status="cancelled")
    # Today (read live): a mug and a card of 30.
    make_order(channel=world["phone"], lines=[(world["mug"], 2, "12.00"), (card, 1, "30.00")])


def test_rollups_count_gift_cards_apart_from_units(world, card):
    _seed(world, card)
    rollups.refresh_rollups(days=None)
    row = DailySales.objects.get(day=days_ago(2).date())
    assert (row.orders, row.units, row.revenue, row.gift_cards, row.gift_card_value, row.cancelled) == (
        2, 1, Decimal("205.0000"), 3, Decimal("180.0000"), 1)
    assert list(DailyProductSales.objects.values_list("variant__sku", "units")) == [("R-SHIRT", 1)]


def test_rollup_plus_live_equals_all_live_for_gift_cards(world, card):
    _seed(world, card)
    f = ReportFilter(timezone.localdate() - timedelta(days=5), timezone.localdate())
    live = totals(daily_sales(f, covered=None), f.start, f.end)
    rollups.refresh_rollups(days=None)
    mixed = totals(daily_sales(f, covered=rollups.complete_through()), f.start, f.end)
    assert (mixed.orders, mixed.units, mixed.revenue, mixed.gift_cards, mixed.gift_card_value) == (
        live.orders, live.units, live.revenue, live.gift_cards, live.gift_card_value) == (
        3, 3, Decimal("259.0000"), 4, Decimal("210.0000"))
    k = kpis(f)
    assert (k["units"], k["gift_cards"], k["gift_card_value"]) == (3, 4, Decimal("210.0000"))


@pytest.mark.parametrize("rolled", [False, True])
def test_top_n_and_margin_leave_gift_cards_out(world, card, rolled):
    _seed(world, card)
    if rolled:
        rollups.refresh_rollups(days=None)
    f = ReportFilter(timezone.localdate() - timedelta(days=5), timezone.localdate())
    products = {r.label.split(" ")[0]: (r.units, r.revenue, r.cost) for r in top("products", f, limit=50)}
    assert products == {"R-SHIRT": (1, Decimal("25.0000"), Decimal("10.0000")),
                        "R-MUG": (2, Decimal("24.0000"), Decimal("8.0000"))}
    assert {r.key for r in top("categories", f, limit=50)} == {
        str(world["shirt"].product.category_id), str(world["mug"].product.category_id)}
    # Order-level revenue keeps what the customer paid; units, line revenue and margin are merchandise only.
    channels = {r.label: (r.orders, r.units, r.revenue, r.line_revenue, r.margin) for r in top("channels", f)}
    assert channels == {"Web": (2, 1, Decimal("205.0000"), Decimal("25.0000"), Decimal("15.0000")),
                        "Phone": (1, 2, Decimal("54.0000"), Decimal("24.0000"), Decimal("16.0000"))}
    states = {r.label: (r.orders, r.units, r.line_revenue, r.cost) for r in top("states", f)}
    assert states == {"SP": (2, 3, Decimal("49.0000"), Decimal("18.0000")), "RJ": (1, 0, Decimal("0"), Decimal("0"))}


def test_dashboard_and_kpis_show_gift_cards_sold(role_client, world, card):
    _seed(world, card)
    rollups.refresh_rollups(days=None)
    client = role_client("manager")
    with translation.override("en"):
        page = client.get(reverse("reports:dashboard")).content.decode()
        kpi = client.get(reverse("reports:kpis")).content.decode()
    assert page.count('class="tile-sub gift-cards"') == 3  # today, 7 and 30 days
    assert "Gift cards sold: 1 (" in page and "Gift cards sold: 4 (" in page
    assert 'id="kpi-gift-cards"' in kpi

"""Reorder points from the sales forecast: the suggestions (lead time of the supplier the scan orders from, the
location's share of the SKU's sales, safety stock from the backtest error) and the buyer's page that applies them."""

import pytest

from inventory.models import ReorderRule, StockMovement
from oms.models import AuditEntry
from reports import rollups
from reports.forecast import REVIEW_DAYS, reorder_suggestions
from tests.inventory.factories import LocationFactory, ReorderRuleFactory, SupplierFactory, SupplierItemFactory
from tests.reports.factories import days_ago, make_order


@pytest.fixture
def steady(world):
    """The mug sold 2 a day for 60 days; the DC shipped 30 of them and the store sold 10; a supplier sells it with a
    10-day lead time on the item (its own is 7). Rules for the mug at both, and one for the shirt, which never sold."""
    for day in range(1, 61):
        make_order(channel=world["web"], placed_at=days_ago(day), lines=[(world["mug"], 2, "12.00")])
    rollups.refresh_rollups(days=None)
    dc, store = LocationFactory(code="RDC"), LocationFactory(code="RSTORE")
    StockMovement.objects.bulk_create([
        StockMovement(variant=world["mug"], location=dc, on_hand_delta=-30, reason=StockMovement.Reason.SHIPMENT),
        StockMovement(variant=world["mug"], location=store, on_hand_delta=-10, reason=StockMovement.Reason.SALE),
        StockMovement(variant=world["mug"], location=store, on_hand_delta=-500, reason=StockMovement.Reason.COUNT),
    ])
    supplier = SupplierFactory(lead_time_days=7)
    SupplierItemFactory(supplier=supplier, variant=world["mug"], lead_time_days=10)
    SupplierItemFactory(supplier=supplier, variant=world["shirt"])
    return {
        "dc": ReorderRuleFactory(variant=world["mug"], location=dc, reorder_point=5, order_up_to=20),
        "store": ReorderRuleFactory(variant=world["mug"], location=store, reorder_point=5, order_up_to=20),
        "shirt": ReorderRuleFactory(variant=world["shirt"], location=dc, reorder_point=3, order_up_to=9),
        "supplier": supplier,
    }


def _by_rule(rules):
    return {s.rule.pk: s for s in reorder_suggestions(rules)}


def test_points_cover_the_lead_time_and_the_review_period_in_each_locations_share(steady):
    suggestions = _by_rule([steady["dc"], steady["store"]])
    dc, store = suggestions[steady["dc"].pk], suggestions[steady["store"].pk]
    assert (dc.lead_time_days, dc.share, store.share) == (10, 0.75, 0.25)  # the item's lead time; a count is no sale
    assert dc.lead_time_demand == pytest.approx(15) and dc.error == pytest.approx(0, abs=1e-6)
    assert (dc.reorder_point, dc.order_up_to) == (15, 15 + round(0.75 * 2 * REVIEW_DAYS))
    assert (store.reorder_point, store.order_up_to) == (5, 5 + round(0.25 * 2 * REVIEW_DAYS))
    assert dc.changes_rule and store.changes_rule  # the store's point is right already, its order-up-to is not
    steady["store"].order_up_to = 12
    assert not _by_rule([steady["dc"], steady["store"]])[steady["store"].pk].changes_rule


def test_the_supplier_is_the_one_the_scan_orders_from_and_its_own_lead_time_stands_in(steady, world):
    other = SupplierFactory(lead_time_days=21)
    steady["dc"].preferred_supplier = other
    steady["dc"].save()
    SupplierItemFactory(supplier=other, variant=world["mug"], lead_time_days=None)
    dc = _by_rule([steady["dc"]])[steady["dc"].pk]
    assert dc.lead_time_days == 21 and dc.reorder_point == 42  # all the mug's share: the only rule given
    other.is_active = False  # a preferred supplier no longer active is passed over, as the scan passes it over
    other.save()
    assert _by_rule([steady["dc"]])[steady["dc"].pk].lead_time_days == 10


def test_no_suggestion_without_sales_or_without_a_supplier(steady, world):
    shirt = _by_rule([steady["shirt"]])[steady["shirt"].pk]
    assert shirt.reorder_point is None and "No sales in the last 120 days" in shirt.why_not
    steady["supplier"].is_active = False
    steady["supplier"].save()
    dc = _by_rule([steady["dc"]])[steady["dc"].pk]
    assert dc.reorder_point is None and dc.lead_time_days is None and "No active supplier" in dc.why_not


def test_an_unknown_forecast_error_keeps_the_whole_lead_time_demand_as_safety_stock(world):
    # Sold only in the first weeks of the history: the backtest window sold nothing, so its error is unknown.
    for day in range(40, 61):
        make_order(channel=world["web"], placed_at=days_ago(day), lines=[(world["shirt"], 3, "10.00")])
    rollups.refresh_rollups(days=None)
    SupplierItemFactory(variant=world["shirt"], lead_time_days=5)
    rule = ReorderRuleFactory(variant=world["shirt"])
    suggestion = _by_rule([rule])[rule.pk]
    assert suggestion.error is None
    assert suggestion.safety_stock == pytest.approx(suggestion.lead_time_demand)


def test_the_buyer_applies_the_ticked_rules_as_edited(steady, role_client):
    client = role_client("manager")
    page = client.get("/reports/forecast/reorder-points/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'name="point-{steady["dc"].pk}" min="0" value="15"' in html
    assert "No sales in the last 120 days to forecast from." in html
    response = client.post("/reports/forecast/reorder-points/?page=1", {
        "rule": [steady["dc"].pk, steady["store"].pk], f"point-{steady['dc'].pk}": "15",
        f"up_to-{steady['dc'].pk}": "40", f"point-{steady['store'].pk}": "6", f"up_to-{steady['store'].pk}": "12",
        f"point-{steady['shirt'].pk}": "99", f"up_to-{steady['shirt'].pk}": "100"})  # not ticked: left alone
    assert response.status_code == 302 and response["Location"] == "/reports/forecast/reorder-points/?page=1"
    values = dict(ReorderRule.objects.values_list("pk", "reorder_point"))
    assert values == {steady["dc"].pk: 15, steady["store"].pk: 6, steady["shirt"].pk: 3}
    entry = AuditEntry.objects.get(verb="reorder_rule_points")
    assert entry.changes["R-MUG @ RDC"] == {"from": [5, 20], "to": [15, 40]}


@pytest.mark.parametrize(("point", "up_to", "message"), [
    ("abc", "12", "Reorder point of R-MUG @ RSTORE “abc” is not a whole number."),
    ("7", "7", "R-MUG @ RSTORE: the order-up-to level (7) must be above the reorder point (7)"),
    ("-1", "7", "Reorder point of R-MUG @ RSTORE must be at least 0."),
])
def test_a_bad_row_changes_no_rule_and_names_the_rule(steady, role_client, point, up_to, message):
    client = role_client("manager")
    response = client.post("/reports/forecast/reorder-points/", {
        "rule": [steady["dc"].pk, steady["store"].pk], f"point-{steady['dc'].pk}": "15",
        f"up_to-{steady['dc'].pk}": "40", f"point-{steady['store'].pk}": point,
        f"up_to-{steady['store'].pk}": up_to}, follow=True)
    assert message in response.content.decode()
    assert set(ReorderRule.objects.values_list("reorder_point", flat=True)) == {5, 3}
    assert not AuditEntry.objects.filter(verb="reorder_rule_points").exists()


def test_nothing_ticked_or_a_rule_gone_is_said(steady, role_client):
    client = role_client("manager")
    assert "Tick the rules to set, then apply." in client.post(
        "/reports/forecast/reorder-points/", {}, follow=True).content.decode()
    html = client.post("/reports/forecast/reorder-points/", {"rule": ["999999", "x"]}, follow=True).content.decode()
    assert "Reorder rule “999999” does not exist (any more)." in html and "Reorder rule “x” does not exist" in html


def test_only_buyers_reach_the_page(steady, role_client):
    assert role_client("agent").get("/reports/forecast/reorder-points/").status_code == 403
    assert role_client("finance").post("/reports/forecast/reorder-points/", {"rule": [steady["dc"].pk]}
                                       ).status_code == 403
    assert ReorderRule.objects.get(pk=steady["dc"].pk).reorder_point == 5

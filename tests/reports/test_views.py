import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from oms.models import AuditEntry
from reports import rollups
from reports.selectors import DIMENSIONS
from tests.reports.factories import LocationFactory, StockLevelFactory, days_ago, make_order

HTMX = {"HTTP_HX_REQUEST": "true"}


def optional_tiles() -> int:
    """Queries of the tiles whose models may or may not have landed yet (payments, returns)."""
    from reports.selectors import optional_model

    return sum(model is not None for model in (optional_model("payments", "Payment"),
                                               optional_model("orders", "ReturnRequest", "Return", "RMA")))


def _orders(world, n: int, *, day: int = 2):
    for i in range(n):
        make_order(channel=world["phone" if i % 2 else "web"], placed_at=days_ago(day + i % 5),
                   lines=[(world["shirt"], 1 + i % 3, "25.00"), (world["mug"], 1, "12.00")],
                   customer=world["ana" if i % 3 else "bruno"], state="SP" if i % 2 else "RJ",
                   source_code=f"SRC{i % 2}", promised_date=timezone.localdate() - timedelta(days=i % 3 - 1))


def test_dashboard_shows_periods_channels_and_open_orders(role_client, world):
    make_order(channel=world["phone"], lines=[(world["shirt"], 2, "25.00")])
    make_order(channel=world["web"], placed_at=days_ago(3), lines=[(world["mug"], 1, "12.00")], status="on_hold")
    make_order(channel=world["web"], placed_at=days_ago(10), lines=[(world["mug"], 1, "12.00")],
               promised_date=timezone.localdate() - timedelta(days=2))
    StockLevelFactory(variant=world["mug"], on_hand=2, reserved=2)
    rollups.refresh_rollups(days=None)
    client = role_client("manager")
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    board = response.context["board"]
    today, week, month = board.periods
    assert (today.current.orders, today.current.revenue) == (1, Decimal("50.0000"))
    assert (week.current.orders, month.current.orders) == (2, 3)
    assert board.open_orders["on_hold"] == 1
    assert board.open_orders["late"] == 1
    assert board.low_stock == 1
    assert [name for name, _n, _r in board.by_channel] == ["Phone", "Web"]
    assert b'hx-trigger="every 5s"' in response.content
    assert b"<svg" in response.content
    assert AuditEntry.objects.filter(verb="report_view", object_type="reports.dashboard").count() == 1


def test_dashboard_poll_renders_the_panel_only_and_is_not_audited(role_client, world):
    client = role_client("manager")
    response = client.get(reverse("reports:dashboard"), **HTMX)
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<div id="dashboard-panel"')
    assert AuditEntry.objects.filter(verb="report_view").count() == 0


def test_dashboard_moves_when_an_order_is_placed(role_client, world):
    client = role_client("manager")
    before = client.get(reverse("reports:dashboard"), **HTMX).context["board"].periods[0].current.orders
    make_order(channel=world["phone"], lines=[(world["shirt"], 1, "25.00")])
    after = client.get(reverse("reports:dashboard"), **HTMX).context["board"].periods[0].current.orders
    assert (before, after) == (0, 1)


@pytest.mark.parametrize(("query", "base"), [("", 15), ("?start=2020-01-01&end=2020-02-01", 14),
                                             ("?location={location}&channel={channel}", 14)])
def test_dashboard_query_count_does_not_grow_with_orders(role_client, world, django_assert_num_queries, query,
                                                         base):
    query = query.format(location=LocationFactory().pk, channel=world["phone"].pk)
    client = role_client("manager")
    client.get(reverse("reports:dashboard"))  # warm the session
    _orders(world, 3)
    rollups.refresh_rollups(days=None)
    expected = base + optional_tiles()
    with django_assert_num_queries(expected):
        client.get(reverse("reports:dashboard") + query)
    _orders(world, 30, day=0)
    with django_assert_num_queries(expected):
        assert client.get(reverse("reports:dashboard") + query).status_code == 200


def test_dashboard_bad_dates_give_a_message_not_an_error(role_client, world):
    response = role_client("manager").get(reverse("reports:dashboard") + "?start=bad&end=2026-13-01")
    assert response.status_code == 200
    assert "From: “bad” is not a date. Use YYYY-MM-DD, e.g. 2026-01-31." in response.content.decode()


# session, user, 2 permission lookups, groups, channels, audit insert = 7; the rollup state (not for the
# SQL-ranked customers/orders); per period one query per rollup read and two live ones for the days after
# the rollups (none for a fully rolled-up previous period) and, for the period shown, one for the returns refunded
# after the rollups; one for the labels when keys name table rows; three for the currencies sold in the period
# (rollup state, rollups, today live). Weekdays read the dimension rollup alone (it read the product and sales ones).
# Customers and orders: the ranking, the listed keys' returns, their lines and their previous period.
TOP_QUERIES = {"products": 17, "brands": 17, "categories": 17, "channels": 20, "weekdays": 17, "customers": 16,
               "orders": 16, "states": 17, "agents": 19, "source_codes": 17, "campaigns": 17, "hours": 17}


@pytest.mark.parametrize("dim", list(DIMENSIONS))
def test_top_query_count_is_fixed_for_every_dimension(role_client, world, django_assert_num_queries, dim):
    client = role_client("manager")
    client.get(reverse("reports:kpis"))
    _orders(world, 4)
    rollups.refresh_rollups(days=None)
    url = reverse("reports:top") + f"?dim={dim}"
    with django_assert_num_queries(TOP_QUERIES[dim]):
        assert client.get(url).status_code == 200
    _orders(world, 20, day=0)
    with django_assert_num_queries(TOP_QUERIES[dim]):
        response = client.get(url + "&sort=-units")
    assert response.status_code == 200
    assert response.context["rows"]


def test_top_products_with_margin_and_comparison(role_client, world):
    make_order(channel=world["web"], placed_at=days_ago(2), lines=[(world["shirt"], 2, "25.00")])
    make_order(channel=world["web"], placed_at=days_ago(40), lines=[(world["shirt"], 1, "25.00")])
    make_order(channel=world["web"], lines=[(world["mug"], 5, "12.00")])
    rollups.refresh_rollups(days=None)
    response = role_client("manager").get(reverse("reports:top") + "?dim=products")
    rows = {r.label.split(" · ")[0]: r for r in response.context["rows"]}
    shirt, mug = rows["R-SHIRT"], rows["R-MUG"]
    assert (shirt.units, shirt.revenue, shirt.cost, shirt.margin, shirt.previous_revenue) == (
        2, Decimal("50.0000"), Decimal("20.0000"), Decimal("30.0000"), Decimal("25.0000"))
    assert shirt.change == pytest.approx(100.0)
    assert (mug.units, mug.revenue, mug.cost) == (5, Decimal("60.0000"), Decimal("20.0000"))
    assert [r.label.split(" · ")[0] for r in response.context["rows"]] == ["R-MUG", "R-SHIRT"]
    assert "Margin" in response.content.decode()
    assert AuditEntry.objects.filter(verb="report_view", object_id="products").count() == 1


def test_top_customers_states_and_weekdays(role_client, world):
    make_order(channel=world["web"], placed_at=days_ago(2), lines=[(world["shirt"], 2, "25.00")],
               customer=world["ana"], state="RJ")
    make_order(channel=world["web"], placed_at=days_ago(2), lines=[(world["mug"], 1, "12.00")],
               customer=world["bruno"], state="SP")
    make_order(channel=world["web"], lines=[(world["mug"], 1, "12.00")], customer=world["bruno"], state="SP")
    rollups.refresh_rollups(days=None)
    client = role_client("manager")
    customers = client.get(reverse("reports:top") + "?dim=customers").context["rows"]
    assert [(r.label, r.orders, r.revenue) for r in customers] == [("Ana", 1, Decimal("50.0000")),
                                                                   ("Bruno", 2, Decimal("24.0000"))]
    states = client.get(reverse("reports:top") + "?dim=states&sort=label").context["rows"]
    assert [(r.label, r.orders) for r in states] == [("RJ", 1), ("SP", 2)]
    weekdays = client.get(reverse("reports:top") + "?dim=weekdays").context["rows"]
    assert sum(r.orders for r in weekdays) == 3
    hours = client.get(reverse("reports:top") + "?dim=hours&sort=label").context["rows"]
    assert sum(r.orders for r in hours) == 3
    assert "12:00" in [r.label for r in hours]


def test_cost_and_margin_hidden_without_view_cost(client, make_user, world):
    user = make_user()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["use_back_office", "view_reports"],
                                                         content_type__app_label="oms"))
    client.force_login(user)
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 2, "25.00")])
    response = client.get(reverse("reports:top") + "?dim=products&sort=-margin")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Margin" not in html and "20.00" not in html


def test_top_channel_filter(role_client, world):
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 2, "25.00")])
    make_order(channel=world["phone"], placed_at=days_ago(1), lines=[(world["mug"], 2, "12.00")])
    rows = role_client("manager").get(reverse("reports:top") + f"?dim=products&channel={world['phone'].pk}")
    assert [r.units for r in rows.context["rows"]] == [2]
    assert rows.context["rows"][0].label.startswith("R-MUG")


def _events(order, *steps):
    from datetime import datetime, time

    from orders.models import OrderEvent

    for status, day, hour in steps:
        at = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=day), time(hour)))
        event = OrderEvent.objects.create(order=order, kind="status", to_status=status)
        OrderEvent.objects.filter(pk=event.pk).update(created_at=at)


def test_kpis_page(role_client, world, django_assert_num_queries):
    on_time = make_order(channel=world["web"], placed_at=days_ago(3), lines=[(world["shirt"], 2, "25.00")],
                         promised_date=timezone.localdate())
    _events(on_time, ("placed", 3, 9), ("allocated", 3, 11), ("shipped", 2, 11), ("delivered", 1, 11))
    late = make_order(channel=world["web"], placed_at=days_ago(3), lines=[(world["mug"], 1, "12.00")],
                      promised_date=timezone.localdate() - timedelta(days=3))
    _events(late, ("placed", 3, 9), ("allocated", 3, 13), ("partially_shipped", 2, 9), ("shipped", 2, 13),
            ("delivery_failed", 1, 9), ("delivered", 0, 9), ("returned", 0, 10))
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["mug"], 2, "12.00")], status="cancelled")
    StockLevelFactory(variant=world["mug"], on_hand=30)
    client = role_client("manager")
    client.get(reverse("reports:top"))
    with django_assert_num_queries(17):  # 13 + fulfilment's fill rate (2), return reasons and at-risk count
        response = client.get(reverse("reports:kpis"))
    k = response.context["k"]
    assert (k["fill"], k["return_reasons"], k["at_risk_open"]) == ({"lines": 0, "complete": 0, "rate": None}, [], 0)
    assert (k["orders"], k["units"], k["cancelled"]) == (2, 3, 1)
    assert k["cancellation_rate"] == pytest.approx(100 / 3)
    assert k["revenue"] == Decimal("62.0000")
    assert k["step_hours"]["placed_allocated"] == pytest.approx(3.0)
    assert (k["delivered"], k["on_time_rate"], k["shipped"], k["shipped_on_time_rate"]) == (2, 50.0, 2, 50.0)
    assert (k["split_rate"], k["failed_delivery_rate"], k["return_rate"]) == (50.0, 50.0, 50.0)
    assert k["on_hand"] == 30
    assert k["days_of_cover"] == pytest.approx(30 / (3 / 30))


def test_forecast_page(role_client, world, django_assert_num_queries):
    for day in range(1, 40):
        make_order(channel=world["web"], placed_at=days_ago(day), lines=[(world["shirt"], 2, "25.00")])
    rollups.refresh_rollups(days=None)
    client = role_client("manager")
    client.get(reverse("reports:kpis"))
    with django_assert_num_queries(9):  # the history: the rollup state, the rollups (no day after them here)
        response = client.get(reverse("reports:forecast") + "?sku=r-shirt")
    result = response.context["result"]
    assert result.per_day == pytest.approx(2.0, abs=0.01)
    assert result.backtest_wape == pytest.approx(0.0, abs=0.01)
    assert b"<svg" in response.content
    missing = client.get(reverse("reports:forecast") + "?sku=NOPE")
    assert "No SKU NOPE." in missing.content.decode()


def test_agent_cannot_open_reports(role_client):
    assert role_client("agent").get(reverse("reports:dashboard")).status_code == 403


def test_dashboard_tiles_link_to_the_lists_behind_them(role_client, world):
    response = role_client("manager").get(reverse("reports:dashboard") + f"?channel={world['web'].pk}")
    html = response.content.decode()
    today = timezone.localdate().isoformat()
    orders = reverse("orders:order_list")
    assert f'href="{orders}?since={today}&amp;until={today}&amp;channel={world["web"].code}"' in html
    assert f'href="{reverse("orders:approval_list")}"' in html
    assert f'href="{reverse("inventory:reorder_alerts")}"' in html


def test_top_compares_with_the_same_period_last_year(role_client, world):
    ana = world["ana"]
    make_order(channel=world["web"], placed_at=days_ago(2), lines=[(world["shirt"], 2, "25.00")], customer=ana)
    make_order(channel=world["web"], placed_at=days_ago(2 + 364), lines=[(world["shirt"], 1, "25.00")], customer=ana)
    make_order(channel=world["web"], placed_at=days_ago(40), lines=[(world["shirt"], 4, "25.00")], customer=ana)
    rollups.refresh_rollups(days=None)
    client = role_client("manager")
    for dim in ("products", "customers"):
        rows = client.get(reverse("reports:top") + f"?dim={dim}&compare=year").context["rows"]
        assert [r.previous_revenue for r in rows] == [Decimal("25.0000")]
        rows = client.get(reverse("reports:top") + f"?dim={dim}").context["rows"]
        assert [r.previous_revenue for r in rows] == [Decimal("100.0000")]


def test_agent_productivity_per_active_hour(role_client, make_user, world):
    agent = make_user("agent", first_name="Ana", last_name="Agent")
    for day, hour, qty in ((3, 9, 1), (3, 9, 1), (3, 10, 2), (2, 14, 1)):
        make_order(channel=world["phone"], placed_at=days_ago(day, hour=hour), lines=[(world["mug"], qty, "10.00")],
                   agent=agent)
    make_order(channel=world["phone"], lines=[(world["mug"], 1, "10.00")], agent=agent)
    rollups.refresh_rollups(days=None)
    rows = role_client("manager").get(reverse("reports:top") + "?dim=agents").context["rows"]
    row = next(r for r in rows if r.label == "Ana Agent")
    assert (row.orders, row.active_hours, row.revenue) == (5, 4, Decimal("60.0000"))
    assert row.orders_per_hour == pytest.approx(1.25)
    assert row.revenue_per_hour == Decimal("15")


def test_dashboard_links_keep_the_chosen_channel(role_client, world):
    """The order list filters channels by code; the dashboard's tiles passed the channel's id, so with a channel
    chosen the 'Today · orders' tile and the open orders tile led to an empty list."""
    phone = make_order(channel=world["phone"], lines=[(world["shirt"], 1, "25.00")])
    make_order(channel=world["web"], lines=[(world["mug"], 1, "12.00")])
    client = role_client("manager")
    response = client.get(reverse("reports:dashboard") + f"?channel={world['phone'].pk}")
    (today, link), *_rest = response.context["periods"]
    assert today.current.orders == 1
    for url in (link, response.context["links"]["orders"]):
        listed = [order.pk for order in client.get(url).context["page"]]
        assert listed == [phone.pk], url


@pytest.mark.parametrize("page", ["reports:dashboard", "reports:top", "reports:kpis"])
@pytest.mark.parametrize("channel", ["999999", "abc"])
def test_an_unknown_channel_is_named_and_all_channels_shown(role_client, world, page, channel):
    """The channel list then reads 'All channels': the figures were those of no channel at all (zero) for an id
    no channel has, and all channels without a word for text."""
    make_order(channel=world["phone"], lines=[(world["shirt"], 1, "25.00")])
    response = role_client("manager").get(reverse(page) + f"?channel={channel}")
    assert response.status_code == 200
    assert response.context["errors"] == [f"Channel: there is no channel “{channel}”; showing all channels."]
    if page == "reports:dashboard":
        assert response.context["board"].filters.channel_id is None
        assert response.context["board"].periods[0].current.orders == 1
    else:
        assert response.context["filters"].channel_id is None


def test_an_unknown_top_n_dimension_is_named(role_client, world):
    make_order(channel=world["phone"], lines=[(world["shirt"], 1, "25.00")])
    response = role_client("manager").get(reverse("reports:top") + "?dim=bogus")
    assert response.status_code == 200
    assert response.context["errors"] == ["There is no report “bogus”; showing Products."]
    assert response.context["dim"] == "products" and len(response.context["rows"]) == 1


def test_the_late_and_due_soon_tiles_lead_to_the_orders_they_count(role_client, world):
    """Both tiles led to the order list's at-risk filter, which also lists orders on hold, backordered or open for
    three days: "Late: 1" opened a list of three orders, and the channel chosen on the dashboard was dropped."""
    today = timezone.localdate()
    late = make_order(channel=world["phone"], placed_at=days_ago(5), lines=[(world["shirt"], 1, "25.00")],
                      promised_date=today - timedelta(days=1))
    soon = make_order(channel=world["phone"], placed_at=days_ago(1), lines=[(world["shirt"], 1, "25.00")],
                      promised_date=today + timedelta(days=1))
    make_order(channel=world["phone"], placed_at=days_ago(6), lines=[(world["shirt"], 1, "25.00")],
               promised_date=today + timedelta(days=9))  # at risk by age, neither late nor due soon
    make_order(channel=world["web"], placed_at=days_ago(5), lines=[(world["mug"], 1, "12.00")],
               promised_date=today - timedelta(days=2))  # late, on another channel
    make_order(channel=world["phone"], placed_at=days_ago(5), lines=[(world["mug"], 1, "12.00")], status="delivered",
               promised_date=today - timedelta(days=2))  # delivered: not late any more
    client = role_client("manager")
    response = client.get(reverse("reports:dashboard") + f"?channel={world['phone'].pk}")
    board, links = response.context["board"], response.context["links"]
    assert (board.open_orders["late"], board.open_orders["at_risk"]) == (1, 1)
    assert [o.pk for o in client.get(links["late"]).context["page"]] == [late.pk]
    assert [o.pk for o in client.get(links["soon"]).context["page"]] == [soon.pk]
    html = response.content.decode()
    assert f'id="tile-late" href="{links["late"]}"' in html.replace("&amp;", "&")
    assert f'id="tile-at-risk" href="{links["soon"]}"' in html.replace("&amp;", "&")
    listed = client.get(reverse("orders:order_list") + "?promised=late").context["page"]
    assert sorted(o.pk for o in listed) == sorted([late.pk, late.pk + 3])


def test_two_customers_of_one_name_are_told_apart_in_the_top_customers(role_client, world):
    """Two customers called "Papelaria Central Silva" were two rows of the same name: which one bought more could
    not be told from the page, its chart or its file."""
    from tests.reports.factories import CustomerFactory

    first = CustomerFactory(name="Papelaria Central Silva", email="central@example.com")
    second = CustomerFactory(name="Papelaria Central Silva", email="")
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 2, "25.00")], customer=first)
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 1, "25.00")], customer=second)
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["mug"], 1, "5.00")], customer=world["ana"])
    rows = role_client("manager").get(reverse("reports:top") + "?dim=customers").context["rows"]
    assert [r.label for r in rows] == ["Papelaria Central Silva · central@example.com",
                                       f"Papelaria Central Silva · #{second.pk}", "Ana"]


def test_the_top_n_header_says_which_column_the_list_is_ranked_by(role_client, world):
    """Ranked by gross revenue when no sort was asked (or a refused one), the table marked no column as sorted: a
    screen reader heard "not sorted" everywhere and the first click on gross revenue changed nothing."""
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 2, "25.00")])
    client = role_client("manager")
    for query in ("", "&sort=bogus"):
        html = client.get(reverse("reports:top") + "?dim=products" + query).content.decode()
        revenue = re.search(r'<th aria-sort="(\w+)"><a href="([^"]+)">Gross revenue', html)
        assert revenue.group(1) == "descending", query
        assert "sort=revenue" in revenue.group(2)  # the next click ranks the other way
    html = client.get(reverse("reports:top") + "?dim=products&sort=units").content.decode()
    assert re.search(r'<th aria-sort="ascending"><a href="[^"]+">Units', html)
    assert re.search(r'<th aria-sort="none"><a href="[^"]+">Gross revenue', html)


def test_the_revenue_by_channel_heading_opens_the_ranking_of_the_charts_period(role_client, world):
    """The chart showed the period chosen on the dashboard; its link opened the top channels of the last 30 days."""
    make_order(channel=world["web"], placed_at=days_ago(60), lines=[(world["shirt"], 2, "25.00")])
    make_order(channel=world["phone"], placed_at=days_ago(1), lines=[(world["shirt"], 1, "25.00")])
    client = role_client("manager")
    start, end = (timezone.localdate() - timedelta(days=70)).isoformat(), (timezone.localdate() - timedelta(days=50))
    response = client.get(reverse("reports:dashboard") + f"?start={start}&end={end.isoformat()}")
    assert [name for name, _n, _revenue in response.context["board"].by_channel] == ["Web"]
    rows = client.get(response.context["links"]["top_channels"]).context["rows"]
    assert [(r.label, r.orders) for r in rows] == [("Web", 1)]


def test_the_revenue_tiles_and_the_agents_link_keep_the_chosen_channel(role_client, world):
    """With one channel chosen, a revenue tile (that channel's revenue) and the KPIs' link to the agents' figures
    opened rankings of every channel."""
    make_order(channel=world["phone"], placed_at=days_ago(1), lines=[(world["shirt"], 1, "25.00")])
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["shirt"], 3, "25.00")])
    client = role_client("manager")
    phone = world["phone"].pk
    for page, pattern in (("reports:dashboard", r'id="tile-revenue-3" href="([^"]+)"'),
                          ("reports:kpis", r'<a href="([^"]+)">Orders and revenue per agent')):
        html = client.get(reverse(page) + f"?channel={phone}").content.decode()
        link = re.search(pattern, html).group(1).replace("&amp;", "&")
        response = client.get(link)
        assert response.context["filters"].channel_id == phone, page
        assert sum(r.orders for r in response.context["rows"]) == 1, page

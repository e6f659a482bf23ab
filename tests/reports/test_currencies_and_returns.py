"""Money in reports is never added across currencies, and revenue is shown gross, less the returns refunded, net."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Return
from reports import rollups, services
from reports.selectors import ReportFilter, daily_sales, kpis, top, totals
from tests.reports.factories import ChannelFactory, days_ago, make_order


@pytest.fixture
def two_currencies(world):
    """R$ 100 on the web channel and SAR 50 on a Saudi channel, both two days ago, both of the same SKU."""
    saudi = ChannelFactory(code="rsa", name="Saudi web", currency="SAR")
    brl = make_order(channel=world["web"], placed_at=days_ago(2), lines=[(world["shirt"], 4, "25.00")],
                     customer=world["ana"])
    sar = make_order(channel=saudi, placed_at=days_ago(2), lines=[(world["shirt"], 1, "50.00")],
                     customer=world["bruno"])
    from orders.models import Order

    Order.objects.filter(pk=sar.pk).update(currency="SAR")
    return {**world, "saudi": saudi, "brl": brl, "sar": sar}


def refunded(order, amount: str, *, day: int) -> Return:
    """A return of ``order`` refunded ``amount`` ``day`` days ago (as ``return_refund`` leaves it)."""
    return Return.objects.create(order=order, status=Return.Status.REFUNDED, refund_amount=Decimal(amount),
                                 refund_method="original", closed_at=days_ago(day, hour=15))


def _period(days: int = 6) -> ReportFilter:
    today = timezone.localdate()
    return ReportFilter(today - timedelta(days=days), today)


@pytest.mark.parametrize("rolled_up", [False, True])
def test_sales_in_reais_and_riyals_are_never_added_together(two_currencies, rolled_up):
    if rolled_up:
        rollups.refresh_rollups(days=None)
    f = _period()
    rows = daily_sales(f, covered=rollups.complete_through())
    brl, sar = totals(rows, f.start, f.end, "BRL"), totals(rows, f.start, f.end, "SAR")
    assert (brl.revenue, sar.revenue) == (Decimal("100"), Decimal("50"))
    assert (brl.aov, sar.aov) == (Decimal("100"), Decimal("50"))  # not R$ 150 over 2 orders
    assert (brl.orders, brl.units) == (2, 5)  # counts cover every currency
    assert brl.other_currencies == {"SAR": 1} and sar.other_currencies == {"BRL": 1}
    assert totals(rows, f.start, f.end).revenue == Decimal("100")  # the base currency by default


@pytest.mark.parametrize("rolled_up", [False, True])
@pytest.mark.parametrize("dim", ["products", "brands", "channels", "weekdays", "states", "customers", "orders"])
def test_top_n_ranks_money_within_one_currency(two_currencies, rolled_up, dim):
    if rolled_up:
        rollups.refresh_rollups(days=None)
    f = _period()
    brl = top(dim, f)
    sar = top(dim, ReportFilter(f.start, f.end, currency="SAR"))
    assert sum(r.revenue for r in brl) == Decimal("100")
    assert sum(r.revenue for r in sar) == Decimal("50")
    assert sum(r.orders for r in brl) == sum(r.orders for r in sar) == 1


def test_dashboard_and_kpis_show_one_currency_and_name_the_others(role_client, two_currencies):
    rollups.refresh_rollups(days=None)
    client = role_client("manager")
    response = client.get(reverse("reports:dashboard"))
    board = response.context["board"]
    week = board.periods[1].current
    assert (week.orders, week.revenue, week.currency) == (2, Decimal("100"), "BRL")
    assert [(name, revenue) for name, _n, revenue in board.by_channel] == [("Web", Decimal("100"))]
    assert sum(revenue for _d, _n, revenue in board.by_day) == Decimal("100")
    page = response.content.decode()
    assert "money in different currencies is never added up" in page
    assert "SAR, 1 order" in page and 'name="currency"' in page

    riyals = client.get(reverse("reports:dashboard") + "?currency=sar").context["board"]
    assert (riyals.periods[1].current.revenue, riyals.other_currencies) == (Decimal("50"), {"BRL": 1})

    k = client.get(reverse("reports:kpis") + "?currency=SAR").context["k"]
    assert (k["orders"], k["revenue"], k["aov"], k["currency"]) == (2, Decimal("50"), Decimal("50"), "SAR")
    assert "SAR\u00a050" in client.get(reverse("reports:kpis") + "?currency=SAR").content.decode()


def test_an_unknown_currency_is_named_and_the_base_currency_shown(role_client, two_currencies):
    response = role_client("manager").get(reverse("reports:kpis") + "?currency=XYZ")
    assert response.status_code == 200
    assert response.context["k"]["revenue"] == Decimal("100")
    assert "Currency: there is no currency “XYZ”; showing BRL." in response.content.decode()


def test_top_n_page_and_file_keep_to_the_chosen_currency(role_client, make_user, two_currencies):
    client = role_client("manager")
    page = client.get(reverse("reports:top") + "?dim=channels&currency=SAR")
    assert [(r.label, r.revenue) for r in page.context["rows"]] == [("Saudi web", Decimal("50"))]
    assert 'name="currency" value="SAR"' in page.content.decode()
    today = timezone.localdate()
    job = services.report_job_create(kind="top", format="csv", acting_user=make_user("manager"), parameters={
        "start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat(), "dimension": "products",
        "currency": "SAR"})
    assert services.report_job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    rows = list(csv.reader(io.StringIO(job.file.open("rb").read().decode("utf-8-sig"))))
    assert [row[1:6] for row in rows[1:]] == [["SAR", "1", "1", "50.00", "0.00"]]


def test_a_top_n_file_refuses_an_unknown_currency(make_user, world):
    from reports.errors import InvalidReportParameters

    today = timezone.localdate().isoformat()
    with pytest.raises(InvalidReportParameters, match="Unknown currency"):
        services.report_job_create(kind="top", format="csv", acting_user=make_user("manager"), parameters={
            "start": today, "end": today, "dimension": "products", "currency": "XX"})


@pytest.mark.parametrize("rolled_up", [False, True])
def test_a_refunded_return_lowers_net_revenue_on_the_day_it_was_refunded(two_currencies, rolled_up):
    refunded(two_currencies["brl"], "40.00", day=1)
    refunded(two_currencies["sar"], "10.00", day=1)
    Return.objects.create(order=two_currencies["brl"], status=Return.Status.INSPECTED)  # not refunded yet
    if rolled_up:
        rollups.refresh_rollups(days=None)
    k = kpis(_period())
    assert (k["revenue"], k["returns"], k["refunded"], k["net_revenue"]) == (
        Decimal("100"), 1, Decimal("40"), Decimal("60"))
    riyals = kpis(ReportFilter(_period().start, _period().end, currency="SAR"))
    assert (riyals["refunded"], riyals["net_revenue"]) == (Decimal("10"), Decimal("40"))
    # the refund counts on its own day: yesterday alone has no sales and R$ 40 of returns
    yesterday = timezone.localdate() - timedelta(days=1)
    k = kpis(ReportFilter(yesterday, yesterday))
    assert (k["orders"], k["revenue"], k["refunded"], k["net_revenue"]) == (0, 0, Decimal("40"), Decimal("-40"))


def test_dashboard_tiles_show_gross_returns_and_net(role_client, two_currencies):
    refunded(two_currencies["brl"], "40.00", day=0)
    client = role_client("manager")
    response = client.get(reverse("reports:dashboard"))
    today = response.context["board"].periods[0].current
    assert (today.revenue, today.refunded, today.net_revenue) == (0, Decimal("40"), Decimal("-40"))
    week = response.context["board"].periods[1].current
    assert (week.revenue, week.refunded, week.net_revenue) == (Decimal("100"), Decimal("40"), Decimal("60"))
    page = response.content.decode()
    assert "gross revenue" in page and "Returns" in page and "net R$\u00a060.00" in page
    kpi_page = client.get(reverse("reports:kpis")).content.decode()
    assert 'id="kpi-net-revenue"' in kpi_page and "R$\u00a060.00" in kpi_page


def test_daily_sales_file_lists_gross_returns_and_net_per_currency(make_user, two_currencies):
    refunded(two_currencies["brl"], "40.00", day=1)
    rollups.refresh_rollups(days=None)
    today = timezone.localdate()
    job = services.report_job_create(kind="sales", format="csv", acting_user=make_user("manager"), parameters={
        "start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()})
    assert services.report_job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    rows = list(csv.reader(io.StringIO(job.file.open("rb").read().decode("utf-8-sig"))))
    assert rows[0][:3] == ["Date", "Channel", "Currency"] and rows[0][-3:] == ["Returns refunded", "Refunded",
                                                                               "Net revenue"]
    two_days, one_day = days_ago(2).date().isoformat(), days_ago(1).date().isoformat()
    assert sorted((r[0], r[1], r[2], r[6], r[-2], r[-1]) for r in rows[1:]) == [
        (two_days, "rsa", "SAR", "50.00", "0.00", "50.00"),
        (two_days, "rweb", "BRL", "100.00", "0.00", "100.00"),
        (one_day, "rweb", "BRL", "0.00", "40.00", "-40.00"),
    ]

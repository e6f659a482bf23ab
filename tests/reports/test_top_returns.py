"""Top-N pages and files show gross revenue, the returns refunded and net revenue per row, in one currency, and
rank by either; agents' per-hour figures keep the agent's hours whatever the currency."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, Return, ReturnLine
from reports import rollups, services
from reports.selectors import DIMENSIONS, ReportFilter, top
from tests.reports.factories import ChannelFactory, days_ago, make_order


def refund(order, amount: str, *, day: int, lines=(), hour: int = 15) -> Return:
    """A return of ``order`` refunded ``amount`` ``day`` days ago, of ``lines`` = [(variant, quantity)]."""
    rma = Return.objects.create(order=order, status=Return.Status.REFUNDED, refund_amount=Decimal(amount),
                                refund_method="original", closed_at=days_ago(day, hour=hour))
    by_variant = {line.variant_id: line for line in order.lines.all()}
    ReturnLine.objects.bulk_create([ReturnLine(rma=rma, order_line=by_variant[v.pk], quantity=q, reason="size")
                                    for v, q in lines])
    return rma


def week(currency: str | None = None) -> ReportFilter:
    today = timezone.localdate()
    return ReportFilter(today - timedelta(days=6), today, currency=currency)


def by_label(rows) -> dict:
    return {r.label: (r.revenue, r.refunded, r.net_revenue) for r in rows}


@pytest.fixture
def sold(world, make_user):
    """Two days ago: Ana's web order of 4 shirts at R$ 25 (R$ 100, agent Carla, SP, 10 o'clock) and Bruno's phone
    order of 2 mugs at R$ 25 (R$ 50, agent Davi, RJ, 16 o'clock). Yesterday R$ 60 of Ana's shirts were refunded."""
    carla = make_user("agent", first_name="Carla", last_name="Lima")
    davi = make_user("agent", first_name="Davi", last_name="Reis")
    ana = make_order(channel=world["web"], placed_at=days_ago(2, hour=10), lines=[(world["shirt"], 4, "25.00")],
                     customer=world["ana"], agent=carla, state="SP", number="R-ANA")
    bruno = make_order(channel=world["phone"], placed_at=days_ago(2, hour=16), lines=[(world["mug"], 2, "25.00")],
                       customer=world["bruno"], agent=davi, state="RJ", number="R-BRUNO")
    refund(ana, "60.00", day=1, lines=[(world["shirt"], 4)])
    return {**world, "ana_order": ana, "bruno_order": bruno, "carla": carla, "davi": davi}


# The row of Ana's order and the row of Bruno's in each dimension, as labelled.
def labels(sold, dim: str) -> tuple[str, str]:
    shirt, mug = sold["shirt"], sold["mug"]
    return {
        "products": (f"{shirt.sku} · {shirt.name}", f"{mug.sku} · {mug.name}"),
        "brands": (shirt.product.brand.name, mug.product.brand.name),
        "categories": (shirt.product.category.name, mug.product.category.name),
        "channels": ("Web", "Phone"), "customers": ("Ana", "Bruno"), "orders": ("R-ANA", "R-BRUNO"),
        "states": ("SP", "RJ"), "agents": ("Carla Lima", "Davi Reis"), "hours": ("10:00", "16:00"),
    }[dim]


RANKED = ["products", "brands", "categories", "channels", "customers", "orders", "states", "agents", "hours"]


@pytest.mark.parametrize("rolled_up", [False, True])
@pytest.mark.parametrize("dim", RANKED)
def test_a_refunded_return_shows_under_its_row_and_ranking_by_net_differs_from_gross(sold, rolled_up, dim):
    if rolled_up:
        rollups.refresh_rollups(days=None)
    ana, bruno = labels(sold, dim)
    gross = top(dim, week())
    assert by_label(gross) == {ana: (Decimal("100"), Decimal("60"), Decimal("40")),
                               bruno: (Decimal("50"), Decimal("0"), Decimal("50"))}
    assert [r.label for r in gross] == [ana, bruno]
    assert [r.label for r in top(dim, week(), sort="-net_revenue")] == [bruno, ana]
    assert [r.label for r in top(dim, week(), sort="-refunded")] == [ana, bruno]
    assert [r.label for r in top(dim, week(), sort="net_revenue")] == [ana, bruno]


@pytest.mark.parametrize("rolled_up", [False, True])
def test_weekdays_count_a_refund_under_the_day_its_order_was_placed(sold, rolled_up):
    if rolled_up:
        rollups.refresh_rollups(days=None)
    rows = top("weekdays", week())
    placed = days_ago(2).strftime("%A")
    assert by_label(rows) == {placed: (Decimal("150"), Decimal("60"), Decimal("90"))}


@pytest.mark.parametrize("rolled_up", [False, True])
def test_a_returned_line_takes_its_share_of_a_refund_and_the_shares_add_up(world, rolled_up):
    """One return of a shirt (R$ 25) and a mug (R$ 12.50) refunded R$ 37.50: R$ 25 to the shirt, R$ 12.50 to
    the mug; a refund of R$ 10 over three equal lines is 3.3333 + 3.3333 + 3.3334."""
    order = make_order(channel=world["web"], placed_at=days_ago(3), lines=[
        (world["shirt"], 2, "25.00"), (world["mug"], 2, "12.50")])
    refund(order, "37.50", day=2, lines=[(world["shirt"], 1), (world["mug"], 1)])
    cap = make_order(channel=world["web"], placed_at=days_ago(3), lines=[(world["shirt"], 1, "5.00")])
    from tests.reports.factories import VariantFactory

    pen, clip = VariantFactory(sku="R-PEN"), VariantFactory(sku="R-CLIP")
    three = make_order(channel=world["web"], placed_at=days_ago(3), lines=[
        (world["mug"], 1, "5.00"), (pen, 1, "5.00"), (clip, 1, "5.00")])
    refund(three, "10.00", day=1, lines=[(world["mug"], 1), (pen, 1), (clip, 1)])
    refund(cap, "5.00", day=1)  # a refund with no returned line: no SKU's
    if rolled_up:
        rollups.refresh_rollups(days=None)
    rows = {r.key: r.refunded for r in top("products", week())}
    assert rows[world["shirt"].pk] == Decimal("25")
    assert rows[world["mug"].pk] == Decimal("12.50") + Decimal("3.3333")
    assert sorted([rows[pen.pk], rows[clip.pk]]) == [Decimal("3.3333"), Decimal("3.3334")]
    assert sum(rows.values()) == Decimal("47.50")
    assert sum(r.refunded for r in top("orders", week())) == Decimal("52.50")  # with the line-less refund


@pytest.mark.parametrize("rolled_up", [False, True])
@pytest.mark.parametrize("dim", ["products", "brands", "channels", "customers", "orders", "states", "weekdays",
                                 "hours"])
def test_returns_are_never_added_across_currencies(sold, rolled_up, dim):
    """A SAR order of the same shirt refunded SAR 10: the real list has the R$ 60 only, the riyal list SAR 10."""
    saudi = ChannelFactory(code="rsa", name="Saudi web", currency="SAR")
    sar = make_order(channel=saudi, placed_at=days_ago(2, hour=10), lines=[(sold["shirt"], 1, "50.00")],
                     customer=sold["ana"], state="SP")
    Order.objects.filter(pk=sar.pk).update(currency="SAR")
    refund(sar, "10.00", day=1, lines=[(sold["shirt"], 1)])
    if rolled_up:
        rollups.refresh_rollups(days=None)
    brl, riyals = top(dim, week()), top(dim, week("SAR"))
    assert sum(r.refunded for r in brl) == Decimal("60")
    assert sum(r.revenue for r in brl) == Decimal("150")
    assert (sum(r.refunded for r in riyals), sum(r.net_revenue for r in riyals)) == (Decimal("10"), Decimal("40"))


@pytest.mark.parametrize("rolled_up", [False, True])
@pytest.mark.parametrize("dim", ["products", "customers", "channels"])
def test_returns_count_by_refund_day_like_the_dashboard(sold, rolled_up, dim):
    """Yesterday alone: no sale, R$ 60 refunded on Ana's order, as the dashboard's net revenue of R$ -60."""
    if rolled_up:
        rollups.refresh_rollups(days=None)
    yesterday = timezone.localdate() - timedelta(days=1)
    rows = top(dim, ReportFilter(yesterday, yesterday))
    assert [(r.label, r.revenue, r.refunded, r.net_revenue) for r in rows] == [
        (labels(sold, dim)[0], Decimal("0"), Decimal("60"), Decimal("-60"))]
    two_days_ago = yesterday - timedelta(days=1)
    assert sum(r.refunded for r in top(dim, ReportFilter(two_days_ago, two_days_ago))) == 0


def test_every_dimension_has_its_refunds(sold):
    """No top-N page is left gross only (source codes and campaigns too, under the order's)."""
    Order.objects.filter(pk=sold["ana_order"].pk).update(source_code="TV10")
    rollups.refresh_rollups(days=None)
    for dim in DIMENSIONS:
        assert sum(r.refunded for r in top(dim, week())) == Decimal("60"), dim


def test_page_shows_and_sorts_by_net_and_names_a_bad_sort(role_client, sold):
    client = role_client("manager")
    response = client.get(reverse("reports:top") + "?dim=channels&sort=-net_revenue")
    assert [r.label for r in response.context["rows"]] == ["Phone", "Web"]
    html = response.content.decode()
    assert "Returns (refunded)" in html and "Net revenue" in html and "R$\u00a040.00" in html
    assert "Net revenue (BRL)" in str(response.context["chart"])  # the chart shows what the list is ranked by
    response = client.get(reverse("reports:top") + "?dim=channels&sort=-nett")
    assert response.status_code == 200
    assert "Sort: there is no column “-nett”; ranking by gross revenue." in response.content.decode()
    assert [r.label for r in response.context["rows"]] == ["Web", "Phone"]


def _csv(job) -> list[list[str]]:
    job.refresh_from_db()
    return list(csv.reader(io.StringIO(job.file.open("rb").read().decode("utf-8-sig"))))


def test_top_n_file_carries_returns_and_net_and_its_sort(make_user, sold):
    today = timezone.localdate()
    params = {"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat(), "dimension": "customers",
              "sort": "-net_revenue"}
    job = services.report_job_create(kind="top", format="csv", acting_user=make_user("manager"), parameters=params)
    assert services.report_job_run(job_id=job.pk) == "done"
    rows = _csv(job)
    assert rows[0][:7] == ["Customers", "Currency", "Orders", "Units", "Gross revenue", "Returns (refunded)",
                           "Net revenue"]
    assert [row[:7] for row in rows[1:]] == [["Bruno", "BRL", "1", "2", "50.00", "0.00", "50.00"],
                                             ["Ana", "BRL", "1", "4", "100.00", "60.00", "40.00"]]
    from reports.errors import InvalidReportParameters

    with pytest.raises(InvalidReportParameters, match="Sort: there is no column “nett”."):
        services.report_job_create(kind="top", format="csv", acting_user=make_user("manager"),
                                   parameters={**params, "sort": "nett"})


@pytest.mark.parametrize("rolled_up", [False, True])
def test_agent_per_hour_figures_keep_the_agents_hours_across_currencies(world, make_user, rolled_up):
    """Eva sells R$ 20 at 9 and 10 o'clock and SAR 10 at 14: three hours, three orders. Her orders per hour is
    1 on both lists (it was 2/3 on the real one and 1/3 on the riyal one: orders of one currency over the hours of
    all); revenue per hour is R$ 20 / 3 and SAR 10 / 3. Web orders placed by no agent have no hours (rolled-up days
    gave the "(none)" row the hours of the web's orders)."""
    eva = make_user("agent", first_name="Eva", last_name="Souza")
    saudi = ChannelFactory(code="rsa", name="Saudi", currency="SAR")
    for hour in (9, 10):
        make_order(channel=world["phone"], placed_at=days_ago(2, hour=hour), lines=[(world["mug"], 1, "10.00")],
                   agent=eva)
    sar = make_order(channel=saudi, placed_at=days_ago(2, hour=14), lines=[(world["mug"], 1, "10.00")], agent=eva)
    Order.objects.filter(pk=sar.pk).update(currency="SAR")
    make_order(channel=world["web"], placed_at=days_ago(2, hour=11), lines=[(world["mug"], 1, "10.00")])
    if rolled_up:
        rollups.refresh_rollups(days=None)
    for currency, orders, revenue in (("BRL", 2, Decimal("20")), ("SAR", 1, Decimal("10"))):
        rows = {r.label: r for r in top("agents", week(currency))}
        row = rows["Eva Souza"]
        assert (row.orders, row.revenue, row.active_hours) == (orders, revenue, 3)
        assert row.orders_per_hour == pytest.approx(1.0)
        assert row.revenue_per_hour == revenue / 3
    none = {r.label: r for r in top("agents", week())}["(none)"]
    assert (none.orders, none.active_hours, none.orders_per_hour, none.revenue_per_hour) == (1, None, None, None)


def test_agents_file_carries_the_per_hour_figures(make_user, world):
    eva = make_user("agent", first_name="Eva", last_name="Souza")
    for hour in (9, 9, 10):
        make_order(channel=world["phone"], placed_at=days_ago(2, hour=hour), lines=[(world["mug"], 1, "10.00")],
                   agent=eva)
    today = timezone.localdate()
    job = services.report_job_create(kind="top", format="csv", acting_user=make_user("manager"), parameters={
        "start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat(), "dimension": "agents"})
    assert services.report_job_run(job_id=job.pk) == "done"
    rows = _csv(job)
    assert rows[0][9:12] == ["Active hours", "Orders per hour", "Revenue per hour"]
    assert rows[1][0] == "Eva Souza" and rows[1][9:12] == ["2", "1.5", "15.00"]


@pytest.mark.parametrize("dim", ["customers", "orders"])
def test_a_full_list_of_customers_or_orders_reads_the_returns_of_its_own_rows(sold, dim):
    """With the list full (limit 1), the returns are read for the listed key only, by its orders."""
    make_order(channel=sold["web"], placed_at=days_ago(3), lines=[(sold["mug"], 1, "5.00")],
               customer=sold["bruno"], number="R-SMALL")
    ana, bruno = labels(sold, dim)
    assert [(r.label, r.refunded) for r in top(dim, week(), limit=1)] == [(ana, Decimal("60"))]
    assert [(r.label, r.refunded) for r in top(dim, week(), sort="-orders", limit=1)] == [
        ("Bruno" if dim == "customers" else ana, Decimal("0") if dim == "customers" else Decimal("60"))]
    assert [(r.label, r.net_revenue) for r in top(dim, week(), sort="-net_revenue", limit=1)] == [
        (bruno, Decimal("55") if dim == "customers" else Decimal("50"))]


def test_the_kpis_name_return_reasons_in_the_readers_language(client, make_user, world):
    """The KPIs' return reasons were listed by their codes ("wrong_item", "changed_mind") in every language."""
    order = make_order(channel=world["web"], placed_at=days_ago(3), lines=[(world["shirt"], 2, "25.00")])
    refund(order, "25.00", day=1, lines=[(world["shirt"], 1)])
    client.force_login(make_user("manager"))
    page = client.get(reverse("reports:kpis"), HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "<td>Tamanho ou caimento errado</td>" in page and "<td>size</td>" not in page
    english = client.get(reverse("reports:kpis"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>Wrong size or fit</td>" in english

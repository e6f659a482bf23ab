"""Report dates outside what reports can cover, failed jobs as people read them, chart text and counts as people
read them."""

import importlib
import logging
import re
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from reports import charts, periods, services
from reports.errors import InvalidReportParameters
from reports.models import ReportJob
from tests.reports.factories import StockLevelFactory, days_ago, make_order


@pytest.mark.parametrize(("url", "value"), [
    ("reports:dashboard", "?end=0001-01-05"),
    ("reports:top", "?start=0001-01-01&end=0001-01-10"),
    ("reports:top", "?start=0001-01-01&end=0001-01-10&compare=year"),
    ("reports:kpis", "?start=9999-12-01&end=9999-12-31"),
    ("reports:kpis", "?start=1999-12-31"),
])
def test_dates_reports_cannot_cover_are_named_not_a_server_error(role_client, world, url, value):
    response = role_client("manager").get(reverse(url) + value)
    assert response.status_code == 200
    page = response.content.decode()
    last = periods.latest()
    assert f"is outside the dates reports cover, from 01/01/2000 to {last:%m/%d/%Y}." in page
    typed = re.search(r"start=([\d-]+)", value) or re.search(r"end=([\d-]+)", value)
    shown = date.fromisoformat(typed.group(1))
    assert f"{shown.month:02d}/{shown.day:02d}/{shown.year:04d} is outside" in page


def test_the_message_names_the_field_and_reads_in_the_readers_language(role_client, world):
    client = role_client("manager")
    page = client.get(reverse("reports:kpis") + "?start=0001-01-01&end=2026-02-30",
                      HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "De: 01/01/0001 está fora do período que os relatórios cobrem, de 01/01/2000 a" in page
    assert "Até: a data “2026-02-30” não existe: Fevereiro de 2026 tem 28 dias." in page


def test_bad_dates_are_each_named(role_client, world):
    page = role_client("manager").get(reverse("reports:dashboard") + "?start=bad&end=2026-13-01").content.decode()
    assert "From: “bad” is not a date. Use YYYY-MM-DD, e.g. 2026-01-31." in page
    assert "To: the date “2026-13-01” does not exist: a year has 12 months." in page


def test_the_edges_of_the_span_are_accepted(role_client, world):
    last = periods.latest()
    client = role_client("manager")
    for query in (f"?start=2000-01-01&end={(date(2000, 1, 1) + timedelta(days=40)).isoformat()}",
                  f"?start={(last - timedelta(days=5)).isoformat()}&end={last.isoformat()}"):
        for name in ("reports:dashboard", "reports:top", "reports:kpis"):
            response = client.get(reverse(name) + query + "&compare=year")
            assert response.status_code == 200
            assert not response.context["errors"], (name, query)


@pytest.mark.parametrize(("start", "end", "field"), [
    ("0001-01-01", "0001-01-10", "start"), ("2026-01-01", "9999-12-31", "end"), ("1999-12-31", "2000-01-05", "start"),
])
def test_a_job_is_refused_with_the_same_rule(make_user, world, start, end, field):
    with pytest.raises(InvalidReportParameters) as refused:
        services.report_job_create(kind="top", format="csv", acting_user=make_user("manager"),
                                   parameters={"start": start, "end": end, "dimension": "products"})
    assert refused.value.field == field
    assert "is outside the dates reports cover, from 01/01/2000 to" in refused.value.message
    assert not ReportJob.objects.exists()


def test_the_job_form_shows_the_refusal_and_queues_nothing(role_client, world):
    client = role_client("manager")
    response = client.post(reverse("reports:job_create"), {"kind": "top", "format": "csv", "start": "0001-01-01",
                                                           "end": "0001-01-10", "dimension": "products"})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"From: 01/01/0001 is outside the dates reports cover, from 01/01/2000 to {periods.latest():%m/%d/%Y}."]
    assert not ReportJob.objects.exists()


def test_a_failed_job_tells_people_what_to_do_in_their_language(role_client, world, monkeypatch, caplog):
    from reports import exports

    def broken(parameters):
        raise OverflowError("date value out of range")

    client = role_client("manager")
    today = timezone.localdate().isoformat()
    job = services.report_job_create(kind="customers", format="csv", parameters={"start": today, "end": today},
                                     acting_user=client.user)
    monkeypatch.setitem(exports.SOURCES, "customers", broken)
    with caplog.at_level(logging.ERROR, logger="reports.services"):
        assert services.report_job_run(job_id=job.pk) == "failed"
    assert "OverflowError: date value out of range" in caplog.text  # the detail stays in the log
    job.refresh_from_db()
    assert "OverflowError" not in job.error
    with translation.override("en"):
        assert job.error_text == (f"The file could not be made because of an unexpected error. Try again; if it "
                                  f"fails again, tell an administrator the report number (#{job.pk}).")
    page = client.get(reverse("reports:job_list"), HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "OverflowError" not in page
    assert "Não foi possível gerar o arquivo por causa de um erro inesperado." in page
    page = client.get(reverse("reports:job_list"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "تعذّر إنشاء الملف بسبب خطأ غير متوقع." in page


def test_a_job_whose_worker_died_reads_in_each_language(make_user, world):
    job = ReportJob.objects.create(kind="customers", format="csv", requested_by=make_user("manager"),
                                   status=ReportJob.Status.RUNNING, started_at=timezone.now() - timedelta(days=1))
    services.report_jobs_expire()
    job.refresh_from_db()
    assert job.status == "failed"
    with translation.override("pt-br"):
        assert job.error_text == "O processo parou antes de o arquivo ficar pronto. Tente de novo."


def test_failed_jobs_stored_before_show_the_message_not_the_exception(make_user, world):
    from django.apps import apps

    user = make_user("manager")
    old = ReportJob.objects.create(kind="top", format="csv", requested_by=user, status="failed",
                                   error="OverflowError: date value out of range")
    kept = ReportJob.objects.create(kind="top", format="csv", requested_by=user, status="failed",
                                    error="Payments are not available yet.")
    importlib.import_module("reports.migrations.0009_reportjob_error_for_people").forwards(apps, None)
    old.refresh_from_db()
    kept.refresh_from_db()
    assert (old.error, old.error_params) == (services.FAILED_MESSAGE, {"job": old.pk})
    with translation.override("pt-br"):
        assert old.error_text.endswith(f"informe a um administrador o número do relatório (#{old.pk}).")
    assert (kept.error_text, kept.error_params) == ("Payments are not available yet.", None)


# ------------------------------------------------------------------------------------------------ charts

def test_bar_chart_is_page_text_not_scaled_svg_text():
    html = str(charts.bar_chart([("VST008-AZL-GG · Jaqueta corta-vento azul", 300.0), ("<b>", 100.0)],
                                title="Revenue", value_format=lambda v: f"R$ {v:.0f}"))
    assert "<svg" not in html and "<text" not in html
    # whole, in its own direction: CSS cuts it to the width at its own end
    assert '<span class="bar-label" dir="auto">VST008-AZL-GG · Jaqueta corta-vento azul</span>' in html
    assert 'style="width: 100.0%"' in html and 'style="width: 33.3%"' in html
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert charts.bar_chart([], title="x") == ""


def test_column_chart_keeps_its_labels_out_of_the_stretched_drawing():
    html = str(charts.column_chart([("26/10/2026", 5.0), ("27/10/2026", 0.0)], title="Revenue per day"))
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "<text" not in svg
    assert '<div class="chart-axis-labels" aria-hidden="true"><bdi>26/10/2026</bdi><bdi>27/10/2026</bdi></div>' in html


def test_dashboard_axis_dates_read_like_the_heading(role_client, world):
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["mug"], 1, "12.00")])
    client = role_client("manager")
    today = timezone.localdate()
    start = today - timedelta(days=29)
    for language, fmt in (("pt-br", "%d/%m/%Y"), ("en", "%m/%d/%Y")):
        page = client.get(reverse("reports:dashboard"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        axis = re.search(r'<div class="chart-axis-labels"[^>]*>(.*?)</div>', page).group(1)
        assert axis == f"<bdi>{start:{fmt}}</bdi><bdi>{today:{fmt}}</bdi>"
        assert today.isoformat() not in axis


def test_forecast_axis_dates_read_in_the_readers_language(role_client, world):
    make_order(channel=world["web"], placed_at=days_ago(3), lines=[(world["mug"], 2, "12.00")])
    page = role_client("manager").get(reverse("reports:forecast") + "?sku=R-MUG",
                                      HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    axis = re.search(r'<div class="chart-axis-labels"[^>]*>(.*?)</div>', page).group(1)
    assert re.fullmatch(r"<bdi>\d\d/\d\d/\d{4}</bdi><bdi>\d\d/\d\d/\d{4}</bdi>", axis)


def test_the_forecast_chart_says_which_line_is_the_forecast(role_client, world):
    """History and forecast were told apart only by a dashed line and the lines' tooltips: no legend."""
    make_order(channel=world["web"], placed_at=days_ago(3), lines=[(world["mug"], 2, "12.00")])
    page = role_client("manager").get(reverse("reports:forecast") + "?sku=R-MUG",
                                      HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    legend = re.search(r'<ul class="chart-legend">(.*?)</ul>', page).group(1)
    names = re.findall(r'<span class="chart-swatch series-(\d)" aria-hidden="true"></span>([^<]+)</li>', legend)
    assert names == [("0", "Unidades vendidas"), ("1", "Previsão")]


# ------------------------------------------------------------------------------------------------ counts

def test_kpi_counts_are_grouped_in_the_readers_language(role_client, world):
    StockLevelFactory(variant=world["mug"], on_hand=110414)
    make_order(channel=world["web"], placed_at=days_ago(1), lines=[(world["mug"], 3743, "1.00")])
    client = role_client("manager")
    page = client.get(reverse("reports:kpis"), HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "110.414 unidades em estoque" in page
    assert "<strong>3.743</strong>" in page
    english = client.get(reverse("reports:kpis"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "110,414 units on hand" in english
    assert f'<option value="{world["web"].pk}"' in english  # ids in markup stay ungrouped


def test_status_chart_counts_are_grouped():
    with translation.override("pt-br"):
        from reports.views import _count

        assert _count(12345) == "12.345"


def test_arabic_step_labels_point_the_way_arabic_reads(role_client, world):
    page = role_client("manager").get(reverse("reports:kpis"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    for label in ("مُنشأ ← مُخصَّص", "مُخصَّص ← مشحون", "مشحون ← مُسلَّم"):
        assert f"<td>{label}</td>" in page


def test_job_periods_read_in_the_readers_date_format(role_client, world):
    client = role_client("manager")
    services.report_job_create(kind="orders", format="csv", acting_user=client.user,
                               parameters={"start": "2026-10-26", "end": "2026-11-24"})
    page = client.get(reverse("reports:job_list"), HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert '<small class="muted">26/10/2026 – 24/11/2026</small>' in page


def test_the_forecast_of_a_sku_that_never_sold_says_why_it_is_zero(role_client, world):
    """A SKU with no sales showed a forecast of 0 units and an empty chart, as if none were expected to sell."""
    client = role_client("manager")
    page = client.get(reverse("reports:forecast") + "?sku=R-MUG", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r"This SKU sold nothing in the last \d+ days: there is no history to forecast from", page)
    make_order(channel=world["web"], placed_at=days_ago(3), lines=[(world["mug"], 2, "12.00")])
    page = client.get(reverse("reports:forecast") + "?sku=R-MUG", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "sold nothing" not in page

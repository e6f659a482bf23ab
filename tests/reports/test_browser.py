"""The dashboard and a report job seen by a real browser on a phone-sized screen."""

from pathlib import Path

import pytest

from tests.conftest import assert_no_horizontal_overflow
from tests.reports.factories import ChannelFactory, VariantFactory, days_ago, make_order

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_dashboard_on_a_phone_updates_by_polling(page, login, language):
    channel, variant = ChannelFactory(code="bweb", name="Web"), VariantFactory()
    for day in range(6):
        make_order(channel=channel, placed_at=days_ago(day), lines=[(variant, 1 + day, "25.00")])
    login("manager", language)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/reports/")
    tiles = page.locator(".report-tiles .tile")
    assert tiles.count() >= 10
    first = tiles.first.locator("strong").inner_text()
    assert first == "1"
    assert_no_horizontal_overflow(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reports-dashboard-phone-{language}.png"), full_page=True)
    make_order(channel=channel, lines=[(variant, 1, "25.00")])
    page.wait_for_function("() => document.querySelector('.report-tiles .tile strong').innerText === '2'",
                           timeout=9000)


def test_top_report_exported_as_pdf_in_the_background_with_a_progress_bar(page, login):
    from reports import services
    from reports.models import ReportJob

    channel, variant = ChannelFactory(code="bweb2", name="Web"), VariantFactory()
    make_order(channel=channel, placed_at=days_ago(1), lines=[(variant, 3, "25.00")])
    login("manager")
    page.goto("/reports/top/?dim=products")
    assert page.locator("table.data tbody tr").count() == 1
    assert page.locator(".bar-chart .bar-row").count() == 1
    page.get_by_role("button", name="PDF").click()
    page.wait_for_url("**/reports/jobs/")
    row = page.locator("#job-table tbody tr").first
    assert row.locator("[role=progressbar]").count() == 1
    job = ReportJob.objects.get()
    assert (job.kind, job.format, job.parameters["dimension"]) == ("top", "pdf", "products")
    assert services.report_job_run(job_id=job.pk) == "done"  # what the Celery worker does
    page.locator(f"#job-{job.pk} a", has_text="Download").wait_for(timeout=5000)
    with page.expect_download() as download:
        page.locator(f"#job-{job.pk} a", has_text="Download").click()
    assert download.value.suggested_filename.endswith(".pdf")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports-jobs.png"), full_page=True)


CHART_TEXT = """() => [...document.querySelectorAll('.bar-label, .bar-value, .chart-axis-labels bdi')].map(e => ({
    svg: e.closest('svg') !== null, size: parseFloat(getComputedStyle(e).fontSize),
    height: e.getBoundingClientRect().height}))"""
BAR_SIDES = """() => [...document.querySelectorAll('.bar-row')].map(row => {
    const box = r => row.querySelector(r).getBoundingClientRect();
    return {track: [box('.bar-track').left, box('.bar-track').right], bar: [box('.bar').left, box('.bar').right],
            label: box('.bar-label').left, value: box('.bar-value').left}; })"""


@pytest.mark.parametrize("language", ["en", "ar"])
def test_chart_text_keeps_its_size_in_any_panel_and_bars_mirror_in_arabic(page, login, language):
    """Labels were SVG text scaled with the panel: 7 px in the dashboard's narrow panels, 26 px on the top-N page."""
    channel, variant = ChannelFactory(code="bweb3", name="Web"), VariantFactory()
    for day in range(3):
        make_order(channel=channel, placed_at=days_ago(day), lines=[(variant, 1 + day, "25.00")])
    login("manager", language)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/reports/", "/reports/top/?dim=products"):
            page.goto(path)
            texts = page.evaluate(CHART_TEXT)
            assert texts, path
            for text in texts:
                assert not text["svg"] and 12 <= text["size"] <= 14, (path, width, text)
                assert 12 <= text["height"] <= 40, (path, width, text)  # one or two lines of that size
            for row in page.evaluate(BAR_SIDES):
                left_to_right = language == "en"
                start = 0 if left_to_right else 1
                assert abs(row["bar"][start] - row["track"][start]) < 1, row  # grows from the label's side
                assert (row["label"] < row["bar"][0]) == left_to_right, row
                assert (row["value"] > row["bar"][1]) == left_to_right, row
            assert_no_horizontal_overflow(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reports-top-phone-{language}.png"), full_page=True)


def test_the_dashboard_poll_keeps_the_keyboard_focus_and_one_currency_note(page, login):
    """Every 5 seconds the poll replaced the dashboard's panel: a keyboard user on a tile was sent back to the top of
    the page, and the note on other currencies (outside the panel, but in what the poll brings back) was added once
    more each time."""
    channel, variant = ChannelFactory(code="bweb4", name="Web"), VariantFactory()
    make_order(channel=channel, placed_at=days_ago(1), lines=[(variant, 2, "25.00")])
    euro = make_order(channel=channel, placed_at=days_ago(2), lines=[(variant, 1, "30.00")])
    euro.currency = "EUR"
    euro.save(update_fields=["currency"])
    login("manager")
    page.goto("/reports/")
    assert page.locator(".currency-note").count() == 1
    tile = page.locator("#tile-orders-1")
    assert tile.locator("strong").inner_text() == "0"
    page.locator("#tile-revenue-1").focus()
    page.keyboard.press("Shift+Tab")  # on "Today · orders" by keyboard
    assert page.evaluate("document.activeElement.id") == "tile-orders-1"
    make_order(channel=channel, lines=[(variant, 1, "25.00")])
    page.wait_for_function("() => document.querySelector('#tile-orders-1 strong').innerText === '1'", timeout=9000)
    assert page.evaluate("document.activeElement.id") == "tile-orders-1"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "tile-revenue-1"
    assert page.locator(".currency-note").count() == 1


TOP_ROWS = """() => [...document.querySelectorAll('.top-table tbody tr')].map(row => ({
    label: row.querySelector('td.top-label').getBoundingClientRect().width,
    change: row.querySelector('.change').getBoundingClientRect().height,
    line: parseFloat(getComputedStyle(row.querySelector('.change')).lineHeight) || 20}))"""


@pytest.mark.parametrize("language", ["en", "pt-br", "ar"])
def test_top_n_rows_keep_the_name_readable_on_a_laptop(page, login, language):
    """On a 1280-pixel screen the figures' columns squeezed a product's name to one word a line, and each change
    ("▲ 1400.0% vs previous") wrapped onto three or four lines: every row was five lines high."""
    channel = ChannelFactory(code="bweb5", name="Web")
    variant = VariantFactory(sku="VST008-AZL-GG", name="Jaqueta Corta-Vento Azul GG")
    make_order(channel=channel, placed_at=days_ago(40), lines=[(variant, 1, "235.88")])
    make_order(channel=channel, placed_at=days_ago(2), lines=[(variant, 30, "235.88")])
    login("manager", language)
    page.goto("/reports/top/?dim=products")
    (row,) = page.evaluate(TOP_ROWS)
    assert row["label"] >= 150, row
    assert row["change"] <= 1.5 * row["line"], row  # one line
    assert page.locator(".top-table .change .sr-only").count() == 1  # "vs previous", still said to screen readers

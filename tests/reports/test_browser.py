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

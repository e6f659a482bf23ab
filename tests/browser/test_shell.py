"""The logged-in shell in each language, seen by a real browser."""

from pathlib import Path

import pytest

from tests.conftest import assert_no_horizontal_overflow

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("language", "direction", "logout"),
                         [("en", "ltr", "Log out"), ("pt-br", "ltr", "Sair"), ("ar", "rtl", "تسجيل الخروج")])
def test_manager_sees_dashboard_shell_in_each_language(page, login, language, direction, logout):
    login("manager", language)
    assert page.locator("html").get_attribute("dir") == direction
    assert page.get_by_role("button", name=logout).is_visible()
    nav = page.locator("#sidenav")
    assert nav.is_visible()
    # In right-to-left the side navigation stands on the right of the content.
    nav_box, main_box = nav.bounding_box(), page.locator("main").bounding_box()
    assert (nav_box["x"] > main_box["x"]) == (direction == "rtl")
    assert_no_horizontal_overflow(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"shell-{language}.png"))


def test_phone_width_hides_navigation_behind_a_menu_button(page, login):
    login("manager")
    page.set_viewport_size({"width": 390, "height": 800})
    assert not page.locator("#sidenav").is_visible()
    page.get_by_role("button", name="Menu").click()
    assert page.locator("#sidenav").is_visible()
    assert_no_horizontal_overflow(page)


def test_keyboard_slash_focuses_global_search(page, login):
    login("agent")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "global-q"


def test_language_switch_changes_language(page, login):
    login("agent")
    with page.expect_navigation():
        page.select_option("#lang-select", "pt-br")
    assert page.get_by_role("button", name="Sair").is_visible()


@pytest.mark.parametrize(("language", "expected"), [("en", "does not exist"), ("ar", "غير موجود")])
def test_a_refused_htmx_request_says_why_instead_of_doing_nothing(page, login, language, expected):
    """htmx does not swap a 400: the page stays as it was, so the reason appears as a notice (role=alert)."""
    login("manager", language)
    page.evaluate("htmx.ajax('GET', '/orders/?until=2026-13-45', {target: '#main', swap: 'none'})")
    notice = page.locator("#toasts [role=alert]")
    notice.wait_for()
    assert expected in notice.inner_text() and "2026-13-45" in notice.inner_text()
    assert page.locator("h1").count() >= 1  # the page was left as it was

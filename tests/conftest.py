import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group

from oms.permissions import ROLES, sync_roles
from tests.factories import UserFactory

# A statement that waits on a lock or runs away fails with PostgreSQL's own message naming it, well before
# pytest-timeout would interrupt the wait and leave the connection mid-statement for the tests after it.
TEST_SESSION_LIMITS = "-c lock_timeout=120s -c statement_timeout=180s"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    from django.db import connections

    for connection in connections.all():
        options = connection.settings_dict.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} {TEST_SESSION_LIMITS}".strip()


def _other_sessions() -> str:
    """The test database's other sessions and what they wait on, seen from a connection of its own."""
    from django.db import connections

    own = connections.create_connection("default")
    try:
        with own.cursor() as cursor:
            cursor.execute(
                "SELECT pid, state, wait_event_type, wait_event, pg_blocking_pids(pid), now() - xact_start,"
                " left(query, 300) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() ORDER BY xact_start")
            return "\n".join(" | ".join(str(value) for value in row) for row in cursor.fetchall())
    finally:
        own.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A statement that timed out says, in the report, which sessions held what it waited for."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and "due to lock timeout" in str(call.excinfo.value):
        report.sections.append(("database sessions after the lock timeout", _other_sessions()))


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a request through ``LocaleMiddleware`` (a test client sending
    ``Accept-Language: ar``) leaves its language active in the thread, for whatever test runs next."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def role_groups(transactional_db):
    """The role groups, for transaction=True tests whose code looks them up by name (seeding, logins): an earlier
    test's flush empties the tables their data migration filled."""
    sync_roles(django_apps)


@pytest.fixture
def make_user(db):
    """``make_user("agent")`` -> a user holding that role."""

    def make(role: str | None = None, **fields):
        user = UserFactory(**fields)
        if role:
            if not Group.objects.filter(name=role).exists():
                # transaction=True tests flush the tables the data migration filled.
                sync_roles(django_apps)
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def role_client(client, make_user):
    """``role_client("manager")`` -> a test client logged in as a user with that role."""

    def login(role: str):
        user = make_user(role)
        client.force_login(user)
        client.user = user
        return client

    return login


@pytest.fixture(params=ROLES)
def any_role(request):
    return request.param


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (its own browser download cannot work here)."""
    import os

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: `make test` installs the Debian package 'chromium'")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page; ``page.base_url`` is the live server's address."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def login(page, make_user):
    """``login("agent")`` logs a new user with that role in through the real login form."""

    def do_login(role: str, language: str = "en"):
        user = make_user(role)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "correct-horse-battery")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{page.base_url}/")
        return user

    return do_login


def assert_no_horizontal_overflow(page) -> None:
    """Fails when an element sticks out of the viewport sideways (a common right-to-left breakage)."""
    overflow = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const bad = [];
            for (const el of document.querySelectorAll('body *')) {
                const r = el.getBoundingClientRect();
                if (r.width && (r.right > width + 1 || r.left < -1)) bad.push(el.tagName + '.' + el.className);
            }
            return {scroll: document.documentElement.scrollWidth - width, bad: bad.slice(0, 10)};
        }"""
    )
    assert overflow["scroll"] <= 0, overflow


@pytest.fixture
def broker():
    """A Redis broker of the test's own (which the test may stop and start), with Celery pointed at it."""
    from tests.redis_server import DisposableRedis, celery_broker

    server = DisposableRedis()
    server.start()
    try:
        with celery_broker(server):
            yield server
    finally:
        server.cleanup()


@pytest.fixture
def worker_broker(broker):
    """The test's own broker and an in-process Celery worker consuming from it."""
    from celery.contrib.testing.worker import start_worker

    from oms.celery import app as celery_app

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield broker

import json

import pytest
from django.core.cache import cache

from oms.audit import audit_access, audit_record, diff
from oms.models import AuditEntry


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "direction", "word"),
    [("en", "ltr", "Log out"), ("pt-br", "ltr", "Sair"), ("ar", "rtl", "تسجيل الخروج")],
)
def test_dashboard_shell_renders_in_each_language(role_client, language, direction, word):
    client = role_client("manager")
    client.cookies["django_language"] = language
    html = client.get("/").content.decode()
    assert f'dir="{direction}"' in html
    assert f'lang="{language}"' in html
    assert word in html


@pytest.mark.django_db
def test_navigation_shows_only_what_the_role_may_open(role_client):
    agent_html = role_client("agent").get("/").content.decode()
    assert "/audit/" not in agent_html
    admin_html = role_client("admin").get("/").content.decode()
    assert "/audit/" in admin_html


@pytest.mark.django_db
def test_htmx_requests_carry_the_csrf_token_from_body(role_client):
    html = role_client("agent").get("/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "htmx" in html


@pytest.mark.django_db
def test_login_page_and_login_rotate_the_session(client, make_user):
    make_user("agent", username="ana")
    assert client.get("/accounts/login/").status_code == 200
    client.get("/accounts/login/")
    before = client.session.session_key
    response = client.post("/accounts/login/", {"username": "ana", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.session.session_key != before


@pytest.mark.django_db
def test_failed_logins_are_throttled(client, make_user, settings):
    cache.clear()
    make_user("agent", username="bruno")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "bruno", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    response = client.post(
        "/accounts/login/", {"username": "bruno", "password": "correct-horse-battery"}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_csrf_is_enforced_on_posts(make_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("admin"))
    response = strict.post("/outbox/1/retry/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403


@pytest.mark.django_db
def test_audit_page_searches_entries_and_shows_changes(role_client, make_user):
    actor = make_user("warehouse", username="wagner")
    audit_record(actor=actor, action="update", object_type="inventory.stocklevel", object_id="42",
                 verb="stock_adjust", changes=diff({"on_hand": 5}, {"on_hand": 3}), reason="broken in transit")
    audit_record(actor=actor, action="update", object_type="orders.order", object_id="7", verb="order_cancel")
    client = role_client("admin")
    html = client.get("/audit/", {"q": "transit"}).content.decode()
    assert "broken in transit" in html
    assert "on_hand: [&#x27;5&#x27;, &#x27;3&#x27;]" in html or "on_hand: [5, 3]" in html
    assert "order_cancel" not in html
    html = client.get("/audit/", {"actor": "wagner", "type": "orders.order"}).content.decode()
    assert "order_cancel" in html  # the stored verb stays findable (title) while the label says what happened
    assert '<span title="order_cancel">Order cancelled</span>' in html
    assert '<span title="orders.order">Order</span>' in html
    client.cookies["django_language"] = "pt-br"
    html = client.get("/audit/", {"q": "transit"}).content.decode()
    assert "Estoque ajustado" in html and "stock_adjust</" not in html


def test_every_audit_verb_the_code_writes_has_a_label():
    """A new verb shows as its code on the audit page until it is named in ``oms.audit_verbs``."""
    import re
    from pathlib import Path

    from django.conf import settings

    from oms.audit_verbs import VERB_LABELS

    written = set()
    for path in Path(settings.BASE_DIR).glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        written |= set(re.findall(r'verb="([a-z_]+)"', path.read_text()))
    assert written and written - set(VERB_LABELS) == set()


def test_diff_lists_only_changed_fields():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": [2, 3]}


@pytest.mark.django_db
def test_access_logging_records_viewer_and_path(rf, make_user):
    user = make_user("agent")
    request = rf.get("/customers/9/?tab=payments")
    request.user = user
    entry = audit_access(request, object_type="orders.customer", object_id="9")
    assert AuditEntry.objects.get() == entry
    assert (entry.action, entry.actor, entry.changes["path"]) == ("access", user, "/customers/9/?tab=payments")


@pytest.mark.django_db
def test_health_reports_each_dependency(client):
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    # No worker runs during this test, so the service reports itself unavailable.
    assert body["checks"]["celery"] == {"ok": False, "detail": "no worker answered"}
    assert response.status_code == 503


@pytest.mark.django_db
def test_health_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "unix:///nonexistent/redis.sock"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_global_search_needs_two_characters(role_client):
    response = role_client("agent").get("/search/", {"q": "a"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Nothing found" not in response.content.decode()


@pytest.mark.django_db
def test_api_docs_load_swagger_from_our_own_static_files(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html


def test_numbers_in_templates_never_gain_thousands_separators():
    from django.template import Context, Template
    from django.utils import translation

    with translation.override("pt-br"):
        rendered = Template('<option value="{{ pk }}">').render(Context({"pk": 5637}))
    assert rendered == '<option value="5637">'


def test_money_keeps_its_grouping_per_language():
    from django.utils import translation

    from oms.templatetags.oms_tags import money

    with translation.override("pt-br"):
        assert money("1234567.5", "BRL") == "R$\xa01.234.567,50"
    with translation.override("en"):
        assert money("1234567.5", "BRL") == "R$\xa01,234,567.50"
    with translation.override("ar"):
        assert money("1234567.5", "BRL") == "R$\xa01.234.567,50"


def test_dates_and_times_read_day_first_in_arabic_and_portuguese():
    """Arabic had no date-time format of its own, so lists showed 11/24/2026 (US order) beside 24/11/2026 dates."""
    from datetime import datetime

    from django.template.defaultfilters import date as date_filter
    from django.utils import translation

    moment = datetime(2026, 11, 24, 13, 5)
    with translation.override("ar"):
        short = date_filter(moment, "SHORT_DATETIME_FORMAT")
        assert short.replace("\u200f", "").startswith("24/11/2026 1:05")
        assert date_filter(moment, "DATETIME_FORMAT").startswith("24 ")
    with translation.override("pt-br"):
        assert date_filter(moment, "SHORT_DATETIME_FORMAT") == "24/11/2026 13:05"
    with translation.override("en"):
        assert date_filter(moment, "SHORT_DATETIME_FORMAT").startswith("11/24/2026")
    from datetime import date

    from django import forms

    for language in ("ar", "pt-br"):  # typed as shown: day first (Arabic read 01/02/2027 as 2 January)
        with translation.override(language):
            assert forms.DateField().clean("01/02/2027") == date(2027, 2, 1)
            assert forms.DateField().clean("2027-02-01") == date(2027, 2, 1)


def test_signed_amounts_keep_their_sign_beside_the_amount_in_arabic():
    """In a right-to-left line "−R$ 12,00" showed as "R$ 12,00−": signed amounts are one left-to-right piece."""
    from django.utils import translation

    from oms.templatetags.oms_tags import money_less, money_more

    with translation.override("ar"):
        assert money_less("12", "BRL") == '<bdi dir="ltr">\u2212R$\xa012,00</bdi>'
        assert money_more("5", "BRL") == '<bdi dir="ltr">+R$\xa05,00</bdi>'
    assert money_less("<b>", "BRL") == '<bdi dir="ltr">\u2212&lt;b&gt;</bdi>'  # not an amount: shown, escaped


def test_moves_and_ranges_point_the_way_the_text_reads_with_each_side_isolated():
    """Two Latin names around a bare arrow form one left-to-right run in an Arabic line: the arrow pointed back."""
    from django.utils import translation

    from oms.templatetags.oms_tags import from_to

    assert from_to("Fornecedor <X>", "CD Cajamar") == "<bdi>Fornecedor &lt;X&gt;</bdi> → <bdi>CD Cajamar</bdi>"
    with translation.override("ar"):
        assert from_to("2026-10-25", "2027-03-24") == "<bdi>2026-10-25</bdi> ← <bdi>2027-03-24</bdi>"


def test_back_links_point_where_lines_start():
    from django.utils import translation

    from oms.templatetags.oms_tags import back_arrow, forward_arrow

    assert (back_arrow(), forward_arrow()) == ("←", "→")
    with translation.override("ar"):
        assert (back_arrow(), forward_arrow()) == ("→", "←")


@pytest.mark.django_db
def test_pages_that_answer_get_answer_head_too(client, role_client):
    """Monitors and link checkers ask with HEAD; the GET-only views answered 405."""
    assert client.head("/healthz").status_code == client.get("/healthz").status_code != 405  # 503: no worker here
    assert role_client("manager").head("/reports/").status_code == 200

"""The demo data of ``make run`` loads on a clean database, and every page a role reaches by following links from
the home page renders for that role, in English, Portuguese and Arabic: no server error, no broken link, and no
link to a page the role is refused (a tile or menu entry the user cannot open should not be there).

Walks the ``<a href>`` and ``hx-get`` links breadth-first through the Django test client, a few pages of each
kind (``/orders/12/`` and ``/orders/57/`` are one kind), so that a new page with a broken template, a detail page
that fails on real data or a link guarded by the wrong permission fails here.
"""

import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from oms.permissions import ROLES
from tests.walk import page_kind, same_site_links

pytestmark = pytest.mark.django_db

PAGES_PER_KIND = 3
MAX_PAGES = 800


def crawl(client: Client, on_page=None) -> tuple[int, list[tuple[int, str, str]]]:
    """Follows links from ``/``; returns (pages fetched, [(status, url, linked from)] for the bad answers).
    ``on_page(url, html)`` is called for every HTML page."""
    queue: deque[tuple[str, str]] = deque([("/", "")])
    seen: set[str] = set()
    per_kind: Counter[str] = Counter()
    bad: list[tuple[int, str, str]] = []
    fetched = 0
    while queue and fetched < MAX_PAGES:
        url, referrer = queue.popleft()
        if url in seen or per_kind[page_kind(url)] >= PAGES_PER_KIND:
            continue
        seen.add(url)
        per_kind[page_kind(url)] += 1
        response = client.get(url)
        if response.streaming:  # read to the end, as a browser downloads it: a file left half-read keeps its
            b"".join(response.streaming_content)  # server-side cursor open until garbage collection closes it
        fetched += 1
        if response.status_code >= 500 or response.status_code in (403, 404):
            bad.append((response.status_code, url, referrer))
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            html = response.content.decode()
            if on_page:
                on_page(url, html)
            queue.extend((link, url) for link in same_site_links(url, html) if link not in seen)
    return fetched, bad


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """``seed_demo`` once for the module, in a transaction rolled back after its last test (each test runs in a
    savepoint inside it, as pytest-django's tests do)."""
    import io

    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # lets the services' durable blocks nest here, as in a TestCase
        outer.__enter__()
        try:
            call_command("seed_demo", stdout=io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# Every role in English; the agent (the phone screen) and the admin (who reaches nearly every page) in the other two.
WALKS = [(role, "en") for role in ROLES] + [
    (role, language) for role in ("agent", "admin") for language in ("pt-br", "ar")]


@pytest.mark.parametrize(("role", "language"), WALKS)
def test_every_page_linked_for_a_role_renders_on_the_demo_data(demo, role, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username=role))
    fetched, bad = crawl(client)
    assert bad == []
    assert fetched > 40  # the walk really went through the back office (the home page alone has 20+ links)


class _Fields(HTMLParser):
    """A page's form fields without a name for assistive technology (no ``<label for>``, no wrapping label, no
    ``aria-label``/``aria-labelledby``/``title``), and the texts of the labels Django forms write
    (``<label for="id_...">``)."""

    def __init__(self):
        super().__init__()
        self.current: list[str] | None = None
        self.label_texts: list[str] = []
        self.labelled: set[str] = set()
        self.fields: list[tuple[str, str, bool]] = []
        self.inside_label = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "label":
            self.inside_label += 1
            self.labelled.add(attributes.get("for") or "")
            if (attributes.get("for") or "").startswith("id_"):
                self.current = []
        elif tag in ("input", "select", "textarea") and attributes.get("type") not in (
                "hidden", "submit", "button", "reset", "image"):
            named = bool(self.inside_label or attributes.get("aria-label") or attributes.get("aria-labelledby")
                         or attributes.get("title"))
            self.fields.append((attributes.get("id") or "", attributes.get("name") or "", named))

    def handle_endtag(self, tag):
        if tag == "label":
            self.inside_label = max(0, self.inside_label - 1)
            if self.current is not None:
                self.label_texts.append(" ".join("".join(self.current).split()))
                self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)

    def unlabelled(self) -> list[str]:
        return [name or field_id for field_id, name, named in self.fields
                if not named and (not field_id or field_id not in self.labelled)]


def test_every_form_field_has_a_label_and_it_is_in_arabic_for_an_arabic_speaking_admin(demo):
    """Keyboard and screen-reader users hear a field's label; a field without one is a blank stop. And a model
    field without a translated verbose name shows its English name (e.g. "Stock buffer") on every form built from
    it: in Arabic such a label has no Arabic letter at all."""
    client = Client(HTTP_ACCEPT_LANGUAGE="ar", raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username="admin"))
    untranslated: dict[str, str] = {}
    unlabelled: dict[str, str] = {}

    def check(url: str, html: str) -> None:
        parser = _Fields()
        parser.feed(html)
        for text in parser.label_texts:
            if text and not re.search("[\\u0600-\\u06ff]", text):
                untranslated.setdefault(text, url)
        for field in parser.unlabelled():
            unlabelled.setdefault(field, url)

    fetched, _bad = crawl(client, on_page=check)
    assert untranslated == {}
    assert unlabelled == {}
    assert fetched > 100


# What people (and scanners) put in addresses: impossible dates, NUL characters, pages and sorts that do not exist,
# letters where ids go, a pasted essay in the search box. Values that are refused (400) go one per request; those
# a page should simply ignore go together.
BAD_QUERIES = ["since=2026-13-45&until=not-a-date&as_of=2026-02-30", "q=%00&sku=a%00b", "%00=1",
               "page=-1&sort=-nonsense&channel=abc&location=abc&status=zzz", "page=99999999999999999999",
               "q=" + "x" * 3000]


def test_bad_query_strings_on_every_page_get_an_answer_not_a_server_error(demo):
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username="admin"))
    pages: set[str] = set()
    crawl(client, on_page=lambda url, _html: pages.add(url.partition("?")[0]))
    server_errors = [(path, query, response.status_code) for path in sorted(pages) for query in BAD_QUERIES
                     if (response := client.get(f"{path}?{query}")).status_code >= 500]
    assert server_errors == []
    assert len(pages) > 100
    refused = client.get("/orders/?until=2026-13-45")
    assert refused.status_code == 400
    assert "The date “2026-13-45” given for “until” does not exist: a year has 12 months." in refused.content.decode()
    assert "“31/12/2026” is not a date for “until”" in client.get("/orders/?until=31/12/2026").content.decode()
    assert client.get("/orders/?q=a%00b").status_code == 400


class _Forms(HTMLParser):
    """The forms of a page that send by ``method`` (``post``: ``method=post`` or ``hx-post``; ``get``: the others,
    the filter and search forms): where they send and their field names/types."""

    def __init__(self, method: str = "post"):
        super().__init__()
        self.method = method
        self.forms: list[tuple[str, dict[str, str]]] = []
        self.current: tuple[str, dict[str, str]] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            posts = bool(attributes.get("hx-post") or (attributes.get("method") or "").lower() == "post")
            if posts == (self.method == "post"):
                target = attributes.get("hx-post") if posts else attributes.get("hx-get")
                self.current = (target or attributes.get("action") or "", {})
        elif self.current is not None and tag in ("input", "select", "textarea") and attributes.get("name"):
            self.current[1].setdefault(attributes["name"], (attributes.get("type") or tag).lower())

    def handle_endtag(self, tag):
        if tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None


def _forms_of_the_walk(client: Client, method: str) -> dict[tuple[str, tuple[str, ...]], tuple[str, dict]]:
    """One of each kind of form the walk meets, by the page kind it sends to and its fields: ``(path, fields)``."""
    forms: dict[tuple[str, tuple[str, ...]], tuple[str, dict[str, str]]] = {}

    def collect(url: str, html: str) -> None:
        parser = _Forms(method)
        parser.feed(html)
        for action, fields in parser.forms:
            target = urlsplit(urljoin(url, action or url))
            path = target.path + (f"?{target.query}" if target.query else "")
            if not NOT_POSTED.search(path):
                forms.setdefault((page_kind(path), tuple(sorted(fields))), (path, fields))

    crawl(client, on_page=collect)
    return forms


def _nasty(fields: dict[str, str], value: str) -> dict[str, str]:
    return {name: ("on" if kind in ("checkbox", "radio") else value) for name, kind in fields.items()
            if name != "csrfmiddlewaretoken" and kind != "file"}

NASTY_VALUES = ["", "x\x00y", "-1", "99999999999999999999", "A" * 3000, "2026-13-45", "abc"]
# Not posted: signing out, switching the language, and changing a password (the walk's first account page is the
# walking admin's own: a new password would end the walk's session, and the forms after it would not be tried).
NOT_POSTED = re.compile(r"logout|/i18n/|password_change|/users/\d+/password/")


def _nasty_sends(method: str) -> tuple[int, list[tuple[str, str, int]]]:
    """Sends every ``method`` form of the admin's walk with each nasty value in all its fields; returns how many
    kinds of form were sent and the server errors (path, value, status)."""
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username="admin"))
    forms = _forms_of_the_walk(client, method)
    server_errors = []
    for path, fields in forms.values():
        for value in NASTY_VALUES:
            if method == "get":
                response = client.get(path.partition("?")[0], _nasty(fields, value))
            else:
                response = client.post(path, _nasty(fields, value))
            if response.streaming:
                b"".join(response.streaming_content)
            if response.status_code >= 500:
                server_errors.append((path, repr(value)[:24], response.status_code))
    return len(forms), server_errors


def test_every_filter_and_search_form_survives_nasty_values(demo):
    """Every GET form the admin reaches (list filters, searches, report ranges), sent with every field set to one
    nasty value at a time: a page or a message naming what is wrong, never a server error. The generic bad query
    strings above do not know each page's own fields (a minimum total, a supplier, a level)."""
    sent, server_errors = _nasty_sends("get")
    assert server_errors == []
    assert sent > 30


def test_every_form_of_the_walk_survives_nasty_values(demo):
    """Every POST form the admin reaches, submitted with every field set to one nasty value at a time (empty, a NUL,
    a negative, a 20-digit number, 3,000 characters, an impossible date, letters): an answer, never a server error.
    Runs last in this module: it changes the demo data (the walks above read it first)."""
    sent, server_errors = _nasty_sends("post")
    assert server_errors == []
    assert sent > 60


def test_the_demo_holds_say_why_as_the_rules_do_in_the_readers_language(demo):
    """The approvals queue of the demo shows each hold's detail as a real rule writes it, translated when read."""
    from django.utils import translation

    from orders.models import OrderHold
    from orders.services.placement import HOLD_DETAILS

    holds = list(OrderHold.objects.select_related("order"))
    assert holds and all(h.detail == HOLD_DETAILS[h.rule] and h.detail_params is not None for h in holds)
    invoice = next(h for h in holds if h.order.payment_method == "invoice")
    assert invoice.rule == OrderHold.Rule.CREDIT_LIMIT
    with translation.override("pt-br"):
        assert "limite de crédito" in invoice.detail_text and "R$" in invoice.detail_text

"""Abuse of the web layer: CSRF on htmx writes, session fixation, login throttling, formula injection in
spreadsheet exports, markup injection in PDFs. (Anonymous/wrong-role access to every URL is walked by
tests/oms/test_access.py; card numbers after card payments by tests/payments/test_no_card_numbers.py.)"""

import csv
import io
import re
from decimal import Decimal
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from inventory.services import po_create
from orders.models import Customer, Order
from tests.inventory.factories import SupplierFactory
from tests.pdf import pdf_text
from tests.proof.conftest import make_draft, new_sku, place, receive

# --- CSRF ----------------------------------------------------------------------------------------------

# Not cookie-authenticated, so CSRF does not apply: the channel API takes a Bearer API key only (checked below),
# the sandbox card field stands in for the gateway's own domain, and the PIX webhook is signed by the provider.
CSRF_EXEMPT_ALLOWED = {"payments:sandbox_tokenize", "payments:pix_webhook"}
CSRF_EXEMPT_PREFIXES = ("orders:channels_api:",)


def _walk(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, prefix + (f"{pattern.namespace}:" if pattern.namespace else ""))
        elif isinstance(pattern, URLPattern):
            yield prefix + (pattern.name or str(pattern.pattern)), pattern.callback


def test_no_view_is_exempt_from_csrf():
    exempt = sorted(name for name, view in _walk(get_resolver()) if getattr(view, "csrf_exempt", False))
    assert [name for name in exempt
            if name not in CSRF_EXEMPT_ALLOWED and not name.startswith(CSRF_EXEMPT_PREFIXES)] == []


@pytest.mark.django_db
def test_csrf_exempt_channel_api_ignores_the_session_cookie(role_client):
    client = role_client("admin")
    response = client.post(reverse("orders:channels_api:order_create"), "{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert Order.objects.count() == 0


@pytest.fixture
def csrf_agent(make_user):
    client = Client(enforce_csrf_checks=True)
    client.user = make_user("admin")
    client.force_login(client.user)
    return client


def _write_endpoints(draft: Order, line_id: int) -> list[tuple[str, dict]]:
    pk = draft.pk
    return [
        (reverse("orders:phone_start"), {}),
        (reverse("orders:phone_add_line", args=[pk]), {"variant_id": "1", "quantity": "1"}),
        (reverse("orders:phone_update_line", args=[pk, line_id]), {"quantity": "3"}),
        (reverse("orders:phone_update_header", args=[pk]), {"notes": "csrf"}),
        (reverse("orders:phone_hold_stock", args=[pk]), {}),
        (reverse("orders:phone_place", args=[pk]), {"idempotency_key": "csrf-test"}),
        (reverse("orders:phone_discard", args=[pk]), {}),
        (reverse("orders:customer_create"), {"name": "Eve"}),
        (reverse("orders:order_cancel", args=[pk]), {"reason": "csrf"}),
        (reverse("inventory:import_stock"), {}),
        (reverse("logout"), {}),
    ]


@pytest.mark.django_db
def test_htmx_posts_without_the_csrf_token_are_refused_and_change_nothing(network, csrf_agent):
    sku = new_sku()
    receive(sku, network["locations"][0], 5)
    draft = make_draft(network, csrf_agent.user, [(sku, 1)])
    line = draft.lines.get()
    orders = Order.objects.count()
    for url, data in _write_endpoints(draft, line.pk):
        response = csrf_agent.post(url, data, HTTP_HX_REQUEST="true")
        assert response.status_code == 403, url
    line.refresh_from_db()
    assert line.quantity == 1
    assert Order.objects.count() == orders
    assert Order.objects.get(pk=draft.pk).status == Order.Status.DRAFT
    assert Customer.objects.filter(name="Eve").count() == 0


@pytest.mark.django_db
def test_htmx_post_with_the_token_from_the_page_header_is_accepted(network, csrf_agent):
    sku = new_sku()
    receive(sku, network["locations"][0], 5)
    draft = make_draft(network, csrf_agent.user, [(sku, 1)])
    page = csrf_agent.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    response = csrf_agent.post(reverse("orders:phone_update_header", args=[draft.pk]), {"notes": "called back"},
                               HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert Order.objects.get(pk=draft.pk).notes == "called back"


# --- sessions and login ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_session_is_rotated_on_login(make_user):
    user = make_user("agent")
    client = Client()
    session = client.session
    session["planted"] = "by attacker"
    session.save()
    old_key = session.session_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == old_key
    response = client.post(reverse("login"), {"username": user.username, "password": "correct-horse-battery"})
    assert response.status_code == 302
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    store = import_module(settings.SESSION_ENGINE).SessionStore
    assert not store().exists(old_key)
    assert store(session_key=new_key).get("_auth_user_id") == str(user.pk)
    assert client.get(reverse("orders:phone_start")).status_code == 200


@pytest.mark.django_db
def test_login_is_throttled_after_repeated_failures(make_user):
    user = make_user("agent")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": user.username, "password": "correct-horse-battery"})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked by it.
    other = make_user("agent")
    assert client.post(reverse("login"), {"username": other.username,
                                          "password": "correct-horse-battery"}).status_code == 302


# --- spreadsheet exports -------------------------------------------------------------------------------

FORMULA = "=HYPERLINK(\"http://evil.example/\",\"click\")"


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_catalogue_export_neutralizes_formulas(role_client, fmt):
    new_sku(name=FORMULA)
    response = role_client("admin").get(reverse("inventory:export_products"), {"format": fmt})
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        names = [row[1] for row in rows[1:]]
    else:
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["'" + FORMULA]


# --- PDFs ----------------------------------------------------------------------------------------------



MARKUP = '<font size="40" color="red">BIG</font>'
IMAGE = '<img src="/etc/hostname" width="50" height="50"/>'


@pytest.fixture
def placed_order(network, make_user):
    def make(customer_name: str, sku_name: str, notes: str = ""):
        agent = make_user("agent")
        sku = new_sku(name=sku_name)
        receive(sku, network["locations"][0], 5)
        Customer.objects.filter(pk=network["customer"].pk).update(name=customer_name)
        draft = make_draft(network, agent, [(sku, 1)])
        Order.objects.filter(pk=draft.pk).update(notes=notes)
        return place(draft.pk, agent)

    return make


@pytest.mark.django_db
def test_invoice_pdf_shows_plain_user_text(role_client, placed_order):
    order = placed_order("Ana Souza", "Blue shoe 42")
    response = role_client("manager").get(reverse("orders:order_invoice_pdf", args=[order.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Ana Souza" in text
    assert "Blue shoe 42" in text


PDF_MARKUP = ("orders/documents.py _header/invoice_pdf/packing_slip_pdf and inventory/documents.py "
              "purchase_order_pdf pass customer, item, supplier and note text into reportlab Paragraph "
              "unescaped: <font> restyles the document, <img src=...> reads a server file or fails the page (500)")


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["orders:order_invoice_pdf", "orders:order_packing_slip_pdf"])
def test_order_pdfs_print_markup_in_user_text_literally(role_client, placed_order, view):
    order = placed_order(MARKUP, f"Shoe {IMAGE}", notes=MARKUP)
    response = role_client("manager").get(reverse(view, args=[order.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "<font size=" in text
    assert "<img src=" in text
    assert "/Subtype /Image" not in response.content.decode("latin-1")


@pytest.mark.django_db
def test_purchase_order_pdf_prints_markup_in_user_text_literally(role_client, network):
    supplier = SupplierFactory(name=MARKUP)
    sku = new_sku(name=f"Part {IMAGE}")
    po = po_create(supplier_id=supplier.pk, location_id=network["locations"][0].pk,
                   lines=[(sku.pk, 3, Decimal("4.00"))], acting_user=None, notes=MARKUP)
    response = role_client("manager").get(reverse("inventory:po_pdf", args=[po.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "<font size=" in text
    assert "<img src=" in text

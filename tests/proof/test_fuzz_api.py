"""Fuzzing of the channel intake API (``/api/v1/``) on real PostgreSQL and Redis.

1. schemathesis reads our OpenAPI document from ``/api/v1/openapi.json`` (through the WSGI app) and sends every
   operation generated requests, valid and invalid by the schema, authenticated with a real API key whose
   channel requires an HMAC body signature. Each answer must be no 5xx, a documented status with a body
   matching its documented schema; a refused order post must leave no trace.
2. hypothesis mutates a valid order post (wrong types, huge numbers, unicode, truncated JSON, bad or missing
   signature, odd headers): never a 5xx, always the ``{code, message, field}`` error, and either one whole
   order (lines, reservations, ledger) or nothing at all.

Examples are derandomized and bounded so the run is stable and short.
"""

import io
import json
from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from inventory.models import StockLevel, StockMovement
from inventory.services import StockLine, ledger_drift, stock_receive
from orders.channels.models import ChannelOrder, IdempotencyRecord
from orders.channels.services import api_key_create, integration_update, signature_for
from orders.models import Customer, Order, OrderEvent, OrderLine
from payments.models import Payment
from tests.inventory.factories import LocationFactory, VariantFactory
from tests.orders.factories import ChannelFactory


class SigningClient:
    """The channel's side of the wire, as WSGI middleware: signs the exact body bytes schemathesis sends
    (whatever it generated: JSON, bytes, nothing). The API key goes in as a header of the call, so that
    schemathesis can also leave it out."""

    def __init__(self, app):
        self.app = app
        self.secret = ""

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if self.secret:
            environ["HTTP_X_SIGNATURE"] = signature_for(self.secret, body)
        return self.app(environ, start_response)


APP = SigningClient(WSGIHandler())
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
SKUS = {"TSHIRT-BLK-M": "100.00", "MUG-WHT": "50.00", "SOCKS-3P": "20.00"}


@pytest.fixture
def world(db):
    """A web shop whose API key signs its bodies (the channel requires it), three SKUs with 10 units each."""
    channel = ChannelFactory(code="fuzzshop", name="Fuzz shop", order_prefix="FZ")
    dc = LocationFactory(code="FZ1", name="Fuzz DC", kind="dc", can_ship=True)
    variants = [VariantFactory(sku=sku, base_price=Decimal(price)) for sku, price in SKUS.items()]
    stock_receive(lines=[StockLine(v.pk, dc.pk, 10) for v in variants], reference="fuzz", acting_user=None)
    integration_update(channel_id=channel.pk, acting_user=None, require_signature=True,
                       rate_limit_per_minute=1_000_000)
    key, raw = api_key_create(channel_id=channel.pk, name="fuzz", acting_user=None, with_signature=True)
    return {"channel": channel, "key": key, "raw": raw, "variants": variants}


@pytest.fixture
def in_process_requests(world):
    """Requests are signed with the world's key. WSGI calls in the test's thread share its transaction: keep
    Django from closing that connection at the end of each request (what Django's own test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    APP.secret = world["key"].hmac_secret
    yield
    APP.secret = ""
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def outcomes(request):
    """Statuses seen per operation; the order post must have placed at least one order (the documented example)."""
    seen = set()
    yield seen
    if request.node.name.endswith("[POST /api/v1/orders]"):
        assert 201 in seen, seen


def footprint() -> dict:
    """Row counts of everything an order post may write."""
    return {"orders": Order.objects.exclude(status=Order.Status.DRAFT).count(),
            "drafts": Order.objects.filter(status=Order.Status.DRAFT).count(),
            "lines": OrderLine.objects.count(), "events": OrderEvent.objects.count(),
            "links": ChannelOrder.objects.count(), "customers": Customer.objects.count(),
            "payments": Payment.objects.count(), "movements": StockMovement.objects.count(),
            "idempotency": IdempotencyRecord.objects.count(),
            "reserved": sum(StockLevel.objects.values_list("reserved", flat=True))}


def signed_headers(world, body: bytes, **extra) -> dict:
    return {"Authorization": f"Bearer {world['raw']}", "X-Signature": signature_for(world["key"].hmac_secret, body),
            **extra}


@SCHEMA.parametrize()
@FUZZ
def test_every_operation_answers_as_documented(case, world, in_process_requests, outcomes):
    before = footprint()
    # A post naming itself by a new Idempotency-Key (a header the document lists) keeps its answer for a retry.
    key = str((case.headers or {}).get("Idempotency-Key", "")).strip()
    new_key = bool(key) and not IdempotencyRecord.objects.filter(key=key).exists()
    response = case.call(headers={"Authorization": f"Bearer {world['raw']}"})
    case.validate_response(response, checks=CHECKS)
    assert response.status_code < 500
    outcomes.add(response.status_code)
    if case.method == "POST" and case.path == "/api/v1/orders":
        after = footprint()
        before["idempotency"] += 1 if new_key and response.status_code in (200, 201) else 0
        if response.status_code == 201:  # one whole order, nothing else
            lines = len(response.json()["lines"])
            assert after == {**before, "orders": before["orders"] + 1, "lines": before["lines"] + lines,
                             "links": before["links"] + 1, "customers": after["customers"],
                             "events": after["events"], "movements": after["movements"],
                             "reserved": after["reserved"], "payments": after["payments"]}
            assert after["drafts"] == before["drafts"]
            assert OrderLine.objects.filter(order__number=response.json()["number"]).count() == lines
        else:  # refused, or the first order answered again: nothing written
            assert after == before, (response.status_code, response.text)


# --- malformed bodies and headers (hypothesis) ------------------------------------------------------------------

MALFORMED = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(HealthCheck))
NASTY_VALUES = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 1.5, -0.0, 10**30, -(10**30), 2**63, 1e308, float("nan"),
                     float("inf"), "", " ", "0", "-1", "1e400", "NaN", "Infinity", "0x10", "1,5", "١٢", "½",
                     "\x00", "a\x00b", "\ud800", "🙂" * 50, "x" * 3000, "<b>x</b>", "'; DROP TABLE x; --",
                     [], {}, [1, 2], {"a": 1}, "12.345678901234567890"]),
    st.integers(), st.floats(), st.text(max_size=30), st.decimals(allow_nan=False, allow_infinity=False).map(str),
)
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=200)


def valid_order(external_id: str) -> dict:
    lines = [{"sku": "TSHIRT-BLK-M", "quantity": 2, "unit_price": "90.00"},
             {"sku": "MUG-WHT", "quantity": 1, "unit_price": "45.50"},
             {"sku": "SOCKS-3P", "quantity": 3, "unit_price": "19.90"}]
    return {"external_id": external_id,
            "customer": {"name": "Ana Souza", "email": "ana@example.com", "phone": "+5511987654321"},
            "shipping_address": {"street": "Rua Augusta", "number": "500", "city": "São Paulo", "state": "SP",
                                 "postal_code": "01305-000"},
            "lines": lines, "shipping_total": "12.00", "discount_total": "10.00", "tax_total": "0.00",
            "total": "287.20", "payments": [{"method": "credit_card", "amount": "287.20", "reference": "ch_1"}]}


def leaf_paths(value, prefix=()):
    if isinstance(value, dict):
        yield prefix
        for k, v in value.items():
            yield from leaf_paths(v, (*prefix, k))
    elif isinstance(value, list):
        yield prefix
        for i, v in enumerate(value):
            yield from leaf_paths(v, (*prefix, i))
    else:
        yield prefix


PATHS = [p for p in leaf_paths(valid_order("x")) if p]


def replaced(body, path, value):
    if len(path) == 1:
        if isinstance(body, dict):
            return {**body, path[0]: value}
        return [value if i == path[0] else v for i, v in enumerate(body)]
    head, rest = path[0], path[1:]
    if isinstance(body, dict):
        return {**body, head: replaced(body[head], rest, value)}
    return [replaced(v, rest, value) if i == head else v for i, v in enumerate(body)]


@st.composite
def requests_(draw):
    """(raw body, headers, sign) for one order post: one field replaced, dropped or added; or the JSON cut short,
    not JSON at all, or not UTF-8; with a missing, wrong or stale signature and odd headers now and then."""
    external_id = draw(st.one_of(st.just("fz-1"), st.from_regex(r"[A-Za-z0-9-]{1,12}", fullmatch=True),
                                 st.text(min_size=1, max_size=12)))
    body = valid_order(external_id)
    kind = draw(st.sampled_from(["replace"] * 6 + ["drop", "drop", "extra", "truncate", "garbage", "valid"]))
    if kind in ("replace", "drop"):
        path = draw(st.sampled_from(PATHS))
        if kind == "replace":
            body = replaced(body, path, draw(NASTY_VALUES))
        else:
            parent = body
            for part in path[:-1]:
                parent = parent[part]
            parent.pop(path[-1]) if isinstance(parent, dict) else parent.pop(path[-1])
    elif kind == "extra":
        body = {**body, draw(st.text(max_size=10)): draw(NASTY_VALUES)}
    raw = json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if kind == "truncate":
        raw = raw[:draw(st.integers(0, len(raw) - 1))]
    elif kind == "garbage":
        raw = draw(st.binary(max_size=300))
    headers = {}
    signing = draw(st.sampled_from(["good"] * 7 + ["missing", "wrong", "other body"]))
    if draw(st.integers(0, 3)) == 0:
        headers["HTTP_IDEMPOTENCY_KEY"] = draw(HEADER_TEXT)
    if draw(st.integers(0, 19)) == 0:
        headers["HTTP_AUTHORIZATION"] = draw(HEADER_TEXT)
    content_type = draw(st.sampled_from(["application/json"] * 5 + ["text/plain", "application/x-www-form-urlencoded",
                                                                       "application/json; charset=latin-1"]))
    return raw, headers, signing, content_type


def post(world, raw: bytes, headers: dict, signing: str, content_type: str):
    from django.test import Client

    secret = world["key"].hmac_secret
    meta = {"HTTP_AUTHORIZATION": f"Bearer {world['raw']}", **headers}
    if signing == "good":
        meta["HTTP_X_SIGNATURE"] = signature_for(secret, raw)
    elif signing == "wrong":
        meta["HTTP_X_SIGNATURE"] = "sha256=" + "0" * 64
    elif signing == "other body":
        meta["HTTP_X_SIGNATURE"] = signature_for(secret, raw + b" ")
    return Client().generic("POST", "/api/v1/orders", data=raw, content_type=content_type, **meta)


@MALFORMED
@given(request=requests_())
def test_malformed_order_posts_are_refused_cleanly_or_placed_whole(world, request):
    raw, headers, signing, content_type = request
    before = footprint()
    response = post(world, raw, headers, signing, content_type)
    assert response.status_code < 500, response.content
    after = footprint()
    body = response.json()
    if response.status_code >= 400:
        assert set(body) == {"code", "message", "field"}, body
        assert body["code"] and body["message"]
        assert after == before, (response.status_code, body)
        if signing != "good" or "HTTP_AUTHORIZATION" in headers:
            assert response.status_code == 401
    elif response.status_code == 201:
        order = Order.objects.get(number=body["number"])
        assert after["orders"] == before["orders"] + 1
        assert after["drafts"] == before["drafts"]
        assert after["links"] == before["links"] + 1
        assert order.lines.count() == len(body["lines"]) == after["lines"] - before["lines"]
        assert ledger_drift() == []
    else:  # the same external id or idempotency key again: the first order, nothing new
        assert response.status_code == 200
        new_key = 1 if headers.get("HTTP_IDEMPOTENCY_KEY", "").strip() else 0
        assert after == {**before, "idempotency": after["idempotency"]}
        assert after["idempotency"] - before["idempotency"] in (0, new_key)
    assert signing == "good" or response.status_code == 401


@pytest.mark.parametrize(("raw", "status", "code", "field"), [
    (b'{"external_id": "1",', 400, "malformed_json", ""),
    (b"\xff\xfe{}", 400, "malformed_json", ""),
    (b"[]", 422, "invalid", ""),
    (b"null", 422, "invalid", ""),
    (json.dumps(replaced(valid_order("n1"), ("lines", 0, "unit_price"), float("nan"))).encode(), 422, "invalid",
     "lines.0.unit_price"),
    (json.dumps(replaced(valid_order("n2"), ("total",), float("inf"))).encode(), 422, "invalid", "total"),
    (json.dumps(replaced(valid_order("n3"), ("total",), "1e400")).encode(), 422, "invalid", "total"),
    (json.dumps(replaced(valid_order("n4"), ("lines", 1, "quantity"), 10**30)).encode(), 422, "invalid",
     "lines.1.quantity"),
    (json.dumps(replaced(valid_order("n5"), ("lines", 1, "quantity"), "one")).encode(), 422, "invalid",
     "lines.1.quantity"),
    (json.dumps(replaced(valid_order("n6"), ("customer", "name"), "Ana\x00")).encode(), 422, "invalid",
     "customer.name"),
    (json.dumps(replaced(valid_order("n7"), ("notes",), "\ud800")).encode(), 422, "invalid", "notes"),
    (json.dumps(replaced(valid_order("n8"), ("external_id",), "a\x00")).encode(), 422, "invalid", "external_id"),
    (json.dumps(replaced(valid_order("n9"), ("lines", 0, "sku"), "TSHIRT-BLK-M\x00")).encode(), 422, "invalid",
     "lines.0.sku"),
    (json.dumps(replaced(valid_order("n10"), ("lines", 2, "sku"), "ĀĂ")).encode(), 422, "unknown_sku",
     "lines.2.sku"),
], ids=["truncated", "not-utf8", "list", "null", "nan-price", "inf-total", "1e400-total", "huge-quantity",
        "word-quantity", "nul-name", "surrogate-notes", "nul-external-id", "nul-sku", "unknown-unicode-sku"])
def test_known_nasty_bodies_get_a_clear_error_and_write_nothing(world, raw, status, code, field):
    before = footprint()
    response = post(world, raw, {}, "good", "application/json")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["field"] == field
    assert footprint() == before


def test_a_channel_requiring_signatures_refuses_unsigned_and_missigned_posts(world):
    raw = json.dumps(valid_order("sig-1")).encode()
    before = footprint()
    for signing in ("missing", "wrong", "other body"):
        response = post(world, raw, {}, signing, "application/json")
        assert response.status_code == 401
        assert response.json()["code"] == "bad_signature"
    assert footprint() == before
    assert post(world, raw, {}, "good", "application/json").status_code == 201


def test_nul_in_a_query_or_path_is_an_ordinary_miss(world):
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {world['raw']}")
    availability = client.get("/api/v1/availability", {"sku": ["MUG-WHT", "MUG\x00WHT"]})
    assert availability.status_code == 422
    assert availability.json() == {"code": "unknown_sku", "message": "Unknown SKU “MUG\x00WHT”.", "field": "sku"}
    detail = client.get("/api/v1/orders/FZ%00-1")
    assert detail.status_code == 404
    assert detail.json()["code"] == "not_found"


def test_shipment_event_fields_longer_than_their_columns_are_refused(world):
    raw = json.dumps({"event": "shipped", "carrier": "C" * 41}).encode()
    secret = world["key"].hmac_secret
    from django.test import Client

    response = Client().generic("POST", "/api/v1/shipments/999999/events", data=raw, content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {world['raw']}",
                                HTTP_X_SIGNATURE=signature_for(secret, raw))
    assert response.status_code == 422
    assert response.json()["field"] == "carrier"


def test_every_operation_documents_its_error_answers():
    document = SCHEMA.raw_schema
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"401", "429"} <= statuses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= statuses, (method, path)

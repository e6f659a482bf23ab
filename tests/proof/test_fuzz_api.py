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
from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from inventory.models import StockLevel, StockMovement
from inventory.services import StockLine, stock_receive
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
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
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
    response = case.call(headers={"Authorization": f"Bearer {world['raw']}"})
    case.validate_response(response, checks=CHECKS)
    assert response.status_code < 500
    outcomes.add(response.status_code)
    if case.method == "POST" and case.path == "/api/v1/orders":
        after = footprint()
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

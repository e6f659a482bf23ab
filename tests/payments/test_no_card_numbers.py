"""After card payments through the hosted field, no card number is anywhere in the database or the logs."""

import logging
import re
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments.gateway.sandbox import TEST_CARDS, luhn_valid
from payments.models import Payment
from payments.services import payment_capture, payment_refund, payment_void
from tests.payments.factories import make_order

PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump"
# A run of 13-19 digits (optionally grouped by spaces or dashes) that is not part of a longer word: hex
# digests, UUIDs and random keys (letters and digits mixed) are not card numbers written somewhere.
CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")


def card_numbers_in(text: str) -> list[str]:
    """Every Luhn-valid 13-19 digit number in ``text`` (with 30 characters of context, for the report)."""
    found = []
    for match in CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.append(text[max(match.start() - 30, 0):match.end() + 30] if digits not in TEST_NUMBERS else digits)
    return found


TEST_NUMBERS = {"4111111111111111", "5555555555554444", *TEST_CARDS}


def test_the_scanner_finds_card_numbers():
    text = 'a 4111 1111 1111 1111 b "5555-5555-5555-4444" c 4111111111111112 2026-11-23 12 f0a4111111111111111'
    assert card_numbers_in(text) == ["4111111111111111", "5555555555554444"]


def pg_dump() -> str:
    db = connection.settings_dict
    host = db["HOST"] or db["OPTIONS"].get("host", "")
    port = str(db["PORT"] or db["OPTIONS"].get("port", 5432))
    result = subprocess.run(
        [PG_DUMP, "-h", host, "-p", port, "-U", db["USER"] or "postgres", "-d", db["NAME"], "--no-owner"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    return result.stdout


@pytest.mark.django_db(transaction=True)
def test_card_orders_leave_no_card_number_in_database_or_logs(role_client, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    agent = role_client("agent")
    numbers = ["4111 1111 1111 1111", "5555555555554444", *TEST_CARDS]
    with CaptureQueriesContext(connection) as queries:
        for index, number in enumerate(numbers):
            order = make_order("120.00", number=f"PT-{index}")
            token = agent.post(reverse("payments:sandbox_tokenize"),
                               {"number": number, "expiry": "11/30", "cvc": "321"}).json()["token"]
            agent.post(reverse("payments:payment_add", args=[order.pk]),
                       {"method": "card", "amount": "120.00", "idempotency_key": f"scan{index}", "card_token": token})
        # An agent who types a card number into a free-text field is refused, not stored.
        refused = agent.post(reverse("payments:payment_add", args=[order.pk]),
                             {"method": "check", "amount": "1.00", "idempotency_key": "typed",
                              "check_number": "4111111111111111"})
        assert refused.status_code == 422
        agent.post(reverse("payments:sandbox_tokenize"), {"number": "4111111111111112", "expiry": "11/30",
                                                          "cvc": "1"})
        authorized = list(Payment.objects.filter(status="authorized").order_by("id"))
        payment_capture(payment_id=authorized[0].pk, amount=Decimal("120"), reference="shipment:1", acting_user=None)
        payment_refund(payment_id=authorized[0].pk, amount=Decimal("20"), reason="return", acting_user=None)
        payment_void(payment_id=authorized[1].pk, acting_user=None)

    statuses = sorted(Payment.objects.values_list("status", flat=True))
    assert statuses == sorted(["partially_refunded", "voided", "authorized", "declined", "declined", "declined",
                               "failed", "authorized", "authorized"])  # the debit card, paid at once
    assert set(Payment.objects.values_list("card_last4", flat=True)) == {"1111", "4444", "0002", "9995", "0069",
                                                                         "0119", "5556"}
    dump = pg_dump()
    assert "payments_payment" in dump and "tok_" in dump  # the dump really holds the payments
    sql = "\n".join(q["sql"] for q in queries.captured_queries)
    assert card_numbers_in(dump) == []
    assert card_numbers_in(caplog.text) == []
    assert card_numbers_in(sql) == []


@pytest.mark.django_db
def test_a_crash_while_tokenizing_shows_no_card_number_on_the_error_page_or_in_the_log(client, settings, caplog,
                                                                                         monkeypatch):
    from payments.gateway import sandbox

    def broken(number):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(sandbox, "TEST_CARDS", {})  # any lookup after the brand is fine
    monkeypatch.setattr(sandbox, "card_brand", sandbox.sensitive_variables("number")(broken))
    settings.DEBUG = True  # the technical error page shows local variables and POST data
    client.raise_request_exception = False
    caplog.set_level(logging.DEBUG)
    response = client.post(reverse("payments:sandbox_tokenize"),
                           {"number": "4111 1111 1111 1111", "expiry": "12/30", "cvc": "123"})
    assert response.status_code == 500
    assert response.json() == {"code": "processor_error", "message": "The processor failed; try again."}
    page = response.content.decode()
    assert card_numbers_in(page) == [] and "4111" not in page.replace("4111111111111112", "")
    assert card_numbers_in(caplog.text) == [] and "Sandbox tokenize failed with ZeroDivisionError" in caplog.text


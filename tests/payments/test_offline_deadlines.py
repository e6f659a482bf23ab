"""A pending PIX charge or boleto on the payment panel says until when it can be paid, in the reader's date format;
an expired PIX charge no longer offers its code (the customer's bank refuses it), an overdue boleto says so. The
boleto's due date was written as stored (2026-11-27) in every language, and an expired PIX code was read out to
customers as if it could still be paid."""

from datetime import date, timedelta
from decimal import Decimal as D

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from payments.models import Payment
from payments.services import payment_authorize
from tests.payments.factories import make_order


def _pending(method, key):
    order = make_order("80.00")
    payment = payment_authorize(order_id=order.pk, method=method, amount=D("80.00"), currency="BRL",
                                idempotency_key=key, acting_user=None)
    assert payment.status == "pending"
    return order, payment


def _panel(client, order, language="en"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("payments:order_payments", args=[order.pk])).content.decode()


def test_a_pix_charge_says_until_when_and_an_expired_one_offers_no_code(role_client):
    order, payment = _pending("pix", "pix-1")
    client = role_client("agent")
    page = _panel(client, order)
    assert payment.instructions["copy_paste"] in page and "Can be paid until" in page
    expired_at = timezone.now() - timedelta(hours=1)
    Payment.objects.filter(pk=payment.pk).update(instructions={**payment.instructions,
                                                               "expires_at": expired_at.isoformat()})
    page = _panel(client, order, "pt-br")
    assert payment.instructions["copy_paste"] not in page
    assert reverse("payments:pix_qr", args=[payment.pk]) not in page
    shown = timezone.localtime(expired_at).strftime("%d/%m/%Y %H:%M")
    assert f"Esta cobrança PIX expirou em {shown}" in page


def test_a_boleto_due_date_is_written_in_the_readers_format_and_marked_overdue(role_client):
    order, payment = _pending("boleto", "boleto-1")
    due = date.fromisoformat(payment.instructions["due_on"])
    client = role_client("agent")
    page = _panel(client, order, "pt-br")
    assert f"vence {due:%d/%m/%Y}" in page and due.isoformat() not in page and "badge bad\">vencida" not in page
    Payment.objects.filter(pk=payment.pk).update(instructions={**payment.instructions,
                                                               "due_on": (timezone.localdate() - timedelta(days=1))
                                                               .isoformat()})
    assert "overdue" in _panel(client, order, "en")


def test_a_boleto_line_keeps_its_groups_in_order_in_arabic(role_client):
    """In an Arabic page the boleto's digit groups, separated by spaces, were shown right to left (the last group
    first): a customer typing the line into a bank app from what the agent read typed it in the wrong order."""
    order, payment = _pending("boleto", "boleto-ar")
    page = _panel(role_client("agent"), order, "ar")
    assert f'<code><bdi dir="ltr">{payment.instructions["digitable_line"]}</bdi></code>' in page

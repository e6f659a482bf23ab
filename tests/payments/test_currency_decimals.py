"""Money typed on the payment panel is moved in the currency's own units: more decimals than the currency has are
refused (they were rounded: 10.555 reais refunded R$ 10.56, ¥100.5 refunded ¥101), and the smallest amount is the
currency's (KWD 0.001 is a refund; ¥0.4 is not)."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from payments.errors import AmountError
from payments.models import PaymentTransaction
from payments.services import payment_authorize, payment_capture, payment_refund
from tests.payments.factories import issue_card, make_order
from tests.payments.test_bad_input import _panel_error

HTMX = {"HX-Request": "true"}


def _paid(currency, total):
    _card, code = issue_card(total, currency=currency)
    order = make_order(total, currency=currency)
    return payment_authorize(order_id=order.pk, method="gift_card", amount=D(total), currency=currency,
                             details={"code": code}, idempotency_key=f"g{currency}", acting_user=None)


@pytest.mark.parametrize(("currency", "total", "typed", "says"), [
    ("BRL", "100.00", "10.555", "The amount 10.555 has too many decimals: BRL amounts have at most 2."),
    ("JPY", "1000", "100.5", "The amount 100.5 has decimals, but JPY amounts are whole numbers."),
    ("JPY", "1000", "0.4", "Amount must be at least 1."),
    ("KWD", "10.000", "1.2345", "The amount 1.2345 has too many decimals: KWD amounts have at most 3."),
    ("JPY", "1000", "5000", "You can refund between JPY\xa01 and JPY\xa01,000."),
])
def test_a_refund_with_more_decimals_than_its_currency_is_refused(role_client, currency, total, typed, says):
    payment = _paid(currency, total)
    response = role_client("finance").post(reverse("payments:payment_refund", args=[payment.pk]),
                                           {"amount": typed, "reason": "damaged"}, headers=HTMX)
    assert response.status_code == 422 and _panel_error(response) == says
    payment.refresh_from_db()
    assert payment.refunded_amount == 0
    assert not payment.transactions.filter(kind=PaymentTransaction.Kind.REFUND).exists()


def test_the_smallest_refund_is_the_currencys_smallest_amount(role_client):
    payment = _paid("KWD", "10.000")
    response = role_client("finance").post(reverse("payments:payment_refund", args=[payment.pk]),
                                           {"amount": "0.001", "reason": "price match"}, headers=HTMX)
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.refunded_amount == D("0.001")


@pytest.mark.django_db(transaction=True)  # processor calls refuse to run inside a transaction
def test_a_capture_with_more_decimals_than_its_currency_is_refused(card_token):
    order = make_order("1000", currency="JPY")
    payment = payment_authorize(order_id=order.pk, method="card", amount=D("1000"), currency="JPY",
                                token=card_token(), idempotency_key="jpy-card", acting_user=None)
    with pytest.raises(AmountError) as refused:
        payment_capture(payment_id=payment.pk, amount=D("100.5"), reference="by-hand", acting_user=None)
    assert refused.value.message == "The amount 100.5 has decimals, but JPY amounts are whole numbers."
    payment.refresh_from_db()
    assert payment.captured_amount == 0 and not payment.transactions.filter(kind="capture").exists()
    payment_capture(payment_id=payment.pk, amount=D("100"), reference="by-hand", acting_user=None)
    with pytest.raises(AmountError):
        payment_refund(payment_id=payment.pk, amount=D("0.5"), reason="x", acting_user=None)
    payment.refresh_from_db()
    assert (payment.captured_amount, payment.refunded_amount) == (D("100"), 0)


def test_the_smallest_amount_is_written_in_the_readers_number_format(role_client):
    """"Valor deve ser no mínimo 0.01." in Portuguese, where the point groups thousands."""
    from django.conf import settings

    payment = _paid("BRL", "100.00")
    client = role_client("finance")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"
    response = client.post(reverse("payments:payment_refund", args=[payment.pk]), {"amount": "0", "reason": "x"},
                           headers=HTMX)
    assert _panel_error(response) == "Valor deve ser no mínimo 0,01."

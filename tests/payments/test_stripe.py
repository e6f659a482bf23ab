"""The Stripe adapter against recorded responses (no network)."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from payments.gateway import GatewayError, GatewayTimeout
from payments.gateway.stripe import StripeGateway

RECORDED = json.loads((Path(__file__).parent / "recorded" / "stripe.json").read_text())


class Replay:
    """Answers each (method, path) with a recorded response and keeps the requests it saw."""

    def __init__(self, answers: dict):
        self.answers = answers
        self.calls: list[tuple[str, str, dict, dict]] = []

    def __call__(self, method, path, data, headers):
        self.calls.append((method, path, data, headers))
        answer = self.answers[(method, path)]
        if isinstance(answer, Exception):
            raise answer
        status, name = answer
        return status, RECORDED[name]


PI = "pi_3Q0PsQJvEtkwdCNY1"


def test_authorize_capture_refund_and_token_info():
    replay = Replay({
        ("POST", "/payment_intents"): (200, "intent_requires_capture"),
        ("GET", f"/payment_intents/{PI}"): (200, "intent_requires_capture"),
        ("POST", f"/payment_intents/{PI}/capture"): (200, "intent_captured"),
        ("POST", "/refunds"): (200, "refund"),
        ("GET", "/payment_methods/pm_1Q0PsIJvEtkwdCNY"): (200, "payment_method"),
    })
    gateway = StripeGateway(api_key="sk_test_x", transport=replay)
    info = gateway.token_info(token="pm_1Q0PsIJvEtkwdCNY")
    assert (info.brand, info.last4, info.exp_month, info.exp_year) == ("visa", "4242", 8, 2030)
    auth = gateway.authorize(token="pm_1Q0PsIJvEtkwdCNY", amount=Decimal("129.90"), currency="BRL",
                             idempotency_key="order:1:authorize")
    assert (auth.approved, auth.reference, auth.amount) == (True, PI, Decimal("129.9"))
    method, path, data, headers = replay.calls[1]
    assert data == {"amount": 12990, "currency": "brl", "payment_method": "pm_1Q0PsIJvEtkwdCNY",
                    "capture_method": "manual", "confirm": "true", "payment_method_types[]": "card"}
    assert headers == {"Idempotency-Key": "order:1:authorize"}
    capture = gateway.capture(reference=PI, amount=Decimal("100.00"), idempotency_key="5:capture:shipment:1")
    assert (capture.approved, capture.reference, capture.amount) == (True, "ch_3Q0PsQJvEtkwdCNY1", Decimal("100"))
    assert replay.calls[3][2] == {"amount_to_capture": 10000}
    refund = gateway.refund(reference=PI, amount=Decimal("25.00"), idempotency_key="5:refund:return:1")
    assert (refund.approved, refund.reference, refund.amount) == (True, "re_3Q0PsQJvEtkwdCNY1", Decimal("25"))


@pytest.mark.parametrize(("recorded", "code"), [("card_declined_insufficient_funds", "insufficient_funds"),
                                                ("card_declined_generic", "card_declined")])
def test_declines_become_clear_codes(recorded, code):
    gateway = StripeGateway(transport=Replay({("POST", "/payment_intents"): (402, recorded)}))
    result = gateway.authorize(token="pm_x", amount=Decimal("10"), currency="BRL", idempotency_key="k")
    assert (result.approved, result.code) == (False, code)
    assert result.message.startswith("Your card")


def test_second_capture_void_timeout_and_bad_key():
    replay = Replay({("GET", f"/payment_intents/{PI}"): (200, "intent_captured"),
                     ("POST", f"/payment_intents/{PI}/cancel"): (200, "intent_canceled")})
    gateway = StripeGateway(transport=replay)
    again = gateway.capture(reference=PI, amount=Decimal("1"), idempotency_key="k2")
    assert (again.approved, again.code) == (False, "already_captured")
    assert gateway.void(reference=PI, idempotency_key="k3").code == "canceled"
    with pytest.raises(GatewayTimeout):
        StripeGateway(transport=lambda *a: (_ for _ in ()).throw(GatewayTimeout("x"))).authorize(
            token="pm", amount=Decimal("1"), currency="BRL", idempotency_key="k")
    unauthorised = StripeGateway(transport=Replay({("POST", "/payment_intents"): (401, "invalid_api_key")}))
    with pytest.raises(GatewayError) as caught:
        unauthorised.authorize(token="pm", amount=Decimal("1"), currency="BRL", idempotency_key="k")
    assert caught.value.code == "http_401"
    with pytest.raises(GatewayError):
        gateway.tokenize(number="4242424242424242", exp_month=1, exp_year=2030, cvc="123")


class ReplayedStripe(StripeGateway):
    def __init__(self):
        super().__init__(api_key="sk_test_x", transport=Replay({
            ("GET", "/payment_methods/pm_1Q0PsIJvEtkwdCNY"): (200, "payment_method"),
            ("POST", "/payment_intents"): (200, "intent_requires_capture"),
            ("GET", f"/payment_intents/{PI}"): (200, "intent_requires_capture"),
            ("POST", f"/payment_intents/{PI}/capture"): (200, "intent_captured"),
        }))


@pytest.mark.django_db(transaction=True)
def test_payment_services_run_on_stripe_when_configured(settings):
    from payments.services import payment_authorize, payment_capture
    from tests.payments.factories import make_order

    settings.PAYMENT_GATEWAYS = {"stripe": "tests.payments.test_stripe.ReplayedStripe"}
    settings.PAYMENTS_CARD_GATEWAY = "stripe"
    order = make_order("129.90")
    payment = payment_authorize(order_id=order.pk, method="card", amount=Decimal("129.90"), currency="BRL",
                                token="pm_1Q0PsIJvEtkwdCNY", idempotency_key="st1", acting_user=None)
    assert (payment.gateway, payment.status, payment.gateway_reference, payment.card_last4) == (
        "stripe", "authorized", PI, "4242")
    txn = payment_capture(payment_id=payment.pk, amount=Decimal("100.00"), reference="shipment:1", acting_user=None)
    payment.refresh_from_db()
    assert (txn.gateway_reference, payment.captured_amount, payment.status) == (
        "ch_3Q0PsQJvEtkwdCNY1", Decimal("100"), "partially_captured")

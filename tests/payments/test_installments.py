"""Card payments in installments: the split of the amount, the counts a channel's rule allows, the payment's record
and the processor's answer."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from payments.errors import IdempotencyConflict, PaymentDeclined, PaymentError
from payments.gateway.stripe import StripeGateway
from payments.installments import (
    MAX_INSTALLMENTS,
    installment_amounts,
    installment_counts,
    installments_text,
)
from payments.models import Payment
from payments.services import payment_authorize, payment_reauthorize
from tests.payments.test_stripe import PI, Replay

D = Decimal


def test_amounts_are_equal_parts_with_the_odd_minor_units_on_the_first():
    assert installment_amounts(D("100.00"), 3, "BRL") == [D("33.34"), D("33.33"), D("33.33")]
    assert installment_amounts(D("205.83"), 3, "BRL") == [D("68.61")] * 3
    assert installment_amounts(D("10.000"), 3, "KWD") == [D("3.334"), D("3.333"), D("3.333")]
    assert installment_amounts(D("1000"), 3, "JPY") == [D("334"), D("333"), D("333")]
    assert installment_amounts(D("0.02"), 3, "BRL") == [D("0.02"), D("0.00"), D("0.00")]


@given(amount=st.decimals(min_value=D("0.01"), max_value=D("999999.99"), places=2),
       count=st.integers(min_value=1, max_value=MAX_INSTALLMENTS),
       currency=st.sampled_from(["BRL", "KWD", "JPY"]))
def test_parts_add_up_to_the_amount_and_differ_by_less_than_a_minor_unit_per_part(amount, count, currency):
    from oms.money import quantize

    parts = installment_amounts(amount, count, currency)
    assert len(parts) == count
    assert sum(parts) == quantize(amount, currency)
    assert all(part == quantize(part, currency) for part in parts)
    assert parts[0] >= max(parts[1:], default=parts[0]) and all(p == parts[-1] for p in parts[1:])


def test_counts_offered_stop_where_a_part_would_fall_under_the_smallest():
    assert installment_counts(D("300.00"), "BRL", most=10, smallest=D("50")) == [1, 2, 3, 4, 5, 6]
    assert installment_counts(D("300.00"), "BRL", most=4, smallest=D("0")) == [1, 2, 3, 4]
    assert installment_counts(D("40.00"), "BRL", most=10, smallest=D("50")) == [1]  # at once, always
    assert installment_counts(D("100000"), "BRL", most=99, smallest=D("0"))[-1] == MAX_INSTALLMENTS
    assert installment_counts(D("0"), "BRL", most=10, smallest=D("0")) == [1]


def test_text_says_how_the_statement_bills_it():
    with translation.override("en"):
        assert installments_text(D("205.83"), 3, "BRL") == "3\u00a0×\u00a0R$\u00a068.61"
        assert installments_text(D("100.00"), 3, "BRL") == "3\u00a0×\u00a0R$\u00a033.33 (the first R$\u00a033.34)"
        assert installments_text(D("100.00"), 1, "BRL") == "R$\u00a0100.00"
    with translation.override("pt-br"):
        assert installments_text(D("1205.83"), 3, "BRL") == "3\u00a0×\u00a0R$\u00a0401,94 (a primeira R$\u00a0401,95)"


real_transactions = pytest.mark.django_db(transaction=True)  # processor calls refuse to run inside a transaction


def authorize(order, token, *, installments, method="card", key="k1", amount="300.00"):
    return payment_authorize(order_id=order.pk, method=method, amount=D(amount), currency="BRL", token=token,
                             idempotency_key=key, acting_user=None, installments=installments)


@real_transactions
def test_card_in_installments_is_recorded_and_asked_of_the_processor(order, card_token):
    from django.core.cache import cache

    from payments.gateway.sandbox import _key

    payment = authorize(order, card_token(), installments=3)
    assert (payment.status, payment.installments, payment.amount) == ("authorized", 3, D("300.00"))
    assert cache.get(_key("auth", payment.gateway_reference))["installments"] == 3
    with translation.override("en"):
        assert Payment.objects.get(pk=payment.pk).installments_text == "3\u00a0×\u00a0R$\u00a0100.00"
    at_once = authorize(order, card_token(), installments=1, key="k2")
    assert (at_once.installments, at_once.installments_text) == (1, "")


@real_transactions
@pytest.mark.parametrize(("method", "installments", "says"), [
    ("pix", 2, "Only a card payment can be split into installments."),
    ("card", 0, "Installments must be a whole number from 1 to 24, not “0”."),
    ("card", 25, "Installments must be a whole number from 1 to 24, not “25”."),
    ("card", "3", "Installments must be a whole number from 1 to 24, not “3”."),
])
def test_installments_refused_before_anything_is_recorded(order, card_token, method, installments, says):
    with translation.override("en"), pytest.raises(PaymentError) as refused:
        authorize(order, card_token(), installments=installments, method=method)
    assert (refused.value.message, refused.value.field) == (says, "installments")
    assert not Payment.objects.exists()


@real_transactions
def test_debit_card_is_declined_in_installments_and_approved_at_once(order, card_token):
    token = card_token("4000056655665556")
    with translation.override("en"), pytest.raises(PaymentDeclined) as declined:
        authorize(order, token, installments=2)
    assert declined.value.code == "installments_not_supported"
    assert "cannot be billed in installments" in declined.value.message
    assert Payment.objects.get().status == "declined"
    assert authorize(order, token, installments=1, key="k2").status == "authorized"


@real_transactions
def test_same_key_with_other_installments_is_another_request(order, card_token):
    token = card_token()
    authorize(order, token, installments=3)
    assert authorize(order, token, installments=3).installments == 3  # the retry: the same payment
    with pytest.raises(IdempotencyConflict):
        authorize(order, token, installments=4)


@real_transactions
def test_reauthorizing_a_raised_total_keeps_the_installments(order, card_token):
    old = authorize(order, card_token(), installments=5)
    new = payment_reauthorize(payment_id=old.pk, amount=D("350.00"), idempotency_key="edit-1", acting_user=None)
    assert (new.installments, new.amount, new.status) == (5, D("350.00"), "authorized")


@real_transactions
def test_the_database_keeps_installments_to_cards(order):
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(order=order, method="pix", amount=D("10"), currency="BRL", idempotency_key="x",
                               installments=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(order=order, method="card", amount=D("10"), currency="BRL", idempotency_key="y",
                               installments=MAX_INSTALLMENTS + 1)


def test_stripe_is_asked_for_a_fixed_count_plan_only_in_installments():
    replay = Replay({("POST", "/payment_intents"): (200, "intent_requires_capture")})
    gateway = StripeGateway(api_key="sk_test_x", transport=replay)
    auth = gateway.authorize(token="pm_1", amount=D("129.90"), currency="BRL", idempotency_key="a", installments=3)
    assert (auth.approved, auth.reference) == (True, PI)
    sent = replay.calls[0][2]
    assert {k: v for k, v in sent.items() if "installments" in k} == {
        "payment_method_options[card][installments][enabled]": "true",
        "payment_method_options[card][installments][plan][count]": "3",
        "payment_method_options[card][installments][plan][interval]": "month",
        "payment_method_options[card][installments][plan][type]": "fixed_count"}
    gateway.authorize(token="pm_1", amount=D("129.90"), currency="BRL", idempotency_key="b")
    assert not any("installments" in k for k in replay.calls[1][2])


@real_transactions
def test_a_card_payment_taken_on_the_panel_in_installments_the_channel_offers(role_client):
    from django.urls import reverse

    from orders.models import Channel
    from tests.payments.factories import make_order
    from tests.payments.test_views import tokenize

    client = role_client("agent")
    order = make_order("300.00")
    url = reverse("payments:payment_add", args=[order.pk])
    panel = reverse("payments:order_payments", args=[order.pk])
    assert 'name="installments"' not in client.get(panel).content.decode()  # the channel pays at once
    Channel.objects.filter(pk=order.channel_id).update(card_installments_max=6, card_installment_minimum=D("50"))
    with translation.override("en"):
        assert "up to 6, of at least R$" in client.get(panel, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    form = {"method": "card", "amount": "300.00", "card_token": tokenize(client).json()["token"]}
    too_many = client.post(url, {**form, "idempotency_key": "i1", "installments": "7"}, HTTP_ACCEPT_LANGUAGE="en")
    assert too_many.status_code == 422 and not Payment.objects.exists()
    assert "Ensure this value is less than or equal to 24" not in too_many.content.decode()
    assert "7 installments are not offered for R$" in too_many.content.decode()
    taken = client.post(url, {**form, "idempotency_key": "i2", "installments": "6"})
    assert taken.status_code in (200, 302)
    assert Payment.objects.get().installments == 6
    other = make_order("300.00")
    client.post(reverse("payments:payment_add", args=[other.pk]),
                {"method": "pix", "amount": "300.00", "idempotency_key": "i3", "installments": "6"})
    assert Payment.objects.get(order=other).installments == 1  # a PIX is paid at once whatever the box said

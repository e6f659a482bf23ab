"""Gift card / store credit on the phone screen's placement, alone or with a second method for the rest.
Card authorizations run outside any transaction, so these tests use real transactions."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from orders.errors import PaymentFailed
from orders.models import Order, OrderEvent
from orders.services import PaymentRequest, draft_hold_stock, order_place
from payments.gateway import get_gateway
from payments.models import GiftCard, Payment
from payments.services import giftcard_disable
from tests.payments.factories import issue_card

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


def card(number="4111111111111111") -> PaymentRequest:
    token = get_gateway("sandbox").tokenize(number=number, exp_month=12, exp_year=2030, cvc="123")
    return PaymentRequest(method="card", token=token.token, details={
        "brand": token.brand, "last4": token.last4, "exp_month": token.exp_month, "exp_year": token.exp_year})


def gift(code: str, remainder: PaymentRequest | None = None, method="gift_card") -> PaymentRequest:
    return PaymentRequest(method=method, details={"code": code}, remainder=remainder)


def place(draft, agent, payment):
    return order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=agent, payment=payment)


def test_gift_card_covers_the_whole_order(make_user, make_draft):
    agent = make_user("agent")
    draft = make_draft(agent, payment_method="gift_card")
    gc, code = issue_card("1000.00")
    order = place(draft, agent, gift(code))
    assert order.status == Order.Status.CONFIRMED
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.status, payment.amount, payment.gift_card_id) == (
        "gift_card", Payment.Status.CAPTURED, order.total, gc.pk)
    gc.refresh_from_db()
    assert gc.balance == Decimal("1000.00") - order.total


def test_store_credit_covers_the_whole_order(make_user, make_draft):
    agent = make_user("agent")
    draft = make_draft(agent, payment_method="store_credit")
    sc, code = issue_card("500.00", kind=GiftCard.Kind.STORE_CREDIT)
    order = place(draft, agent, gift(code, method="store_credit"))
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.amount) == ("store_credit", order.total)
    sc.refresh_from_db()
    assert sc.balance == Decimal("500.00") - order.total


def test_gift_card_part_and_card_for_the_rest(make_user, make_draft):
    agent = make_user("agent")
    draft = make_draft(agent, payment_method="gift_card")
    gc, code = issue_card("30.00")
    order = place(draft, agent, gift(code, remainder=card()))
    assert order.status == Order.Status.CONFIRMED
    payments = list(Payment.objects.filter(order=order).order_by("pk"))
    assert [(p.method, p.status, p.amount) for p in payments] == [
        ("gift_card", Payment.Status.CAPTURED, Decimal("30.00")),
        ("card", Payment.Status.AUTHORIZED, order.total - Decimal("30.00")),
    ]
    assert sum(p.amount for p in payments) == order.total
    assert payments[1].card_last4 == "1111"
    gc.refresh_from_db()
    assert gc.balance == Decimal("0.00")
    assert Order.objects.get(pk=order.pk).card_fingerprint.endswith(":1111:12/2030")


def test_gift_card_part_and_pix_for_the_rest(make_user, make_draft):
    agent = make_user("agent")
    draft = make_draft(agent, payment_method="gift_card")
    _gc, code = issue_card("40.00")
    order = place(draft, agent, gift(code, remainder=PaymentRequest(method="pix")))
    payments = list(Payment.objects.filter(order=order).order_by("pk"))
    assert [(p.method, p.amount) for p in payments] == [("gift_card", Decimal("40.00")),
                                                       ("pix", order.total - Decimal("40.00"))]
    assert payments[1].status == Payment.Status.PENDING


@pytest.mark.parametrize("problem", ["wrong", "expired", "disabled", "empty", "no_code"])
def test_bad_gift_card_places_nothing(make_user, make_draft, world, problem):
    agent = make_user("agent")
    draft = make_draft(agent, payment_method="gift_card")
    draft_hold_stock(order_id=draft.pk, acting_user=agent)
    gc, code = issue_card("1000.00")
    if problem == "wrong":
        code = "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
    elif problem == "expired":
        GiftCard.objects.filter(pk=gc.pk).update(expires_on="2020-01-01")
    elif problem == "disabled":
        giftcard_disable(card_id=gc.pk, reason="lost", acting_user=None)
    elif problem == "empty":
        GiftCard.objects.filter(pk=gc.pk).update(balance=0)
    elif problem == "no_code":
        code = ""
    before = GiftCard.objects.get(pk=gc.pk).balance
    expected = {"wrong": "No gift card with that code.", "expired": "expired", "disabled": "disabled",
                "empty": "balance", "no_code": "Enter the gift card code."}[problem]
    with pytest.raises(PaymentFailed) as exc:
        place(draft, agent, gift(code))
    assert expected in exc.value.message
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.idempotency_key, draft.placing_started_at) == (
        Order.Status.DRAFT, "", "", None)
    assert draft.stock_held_until is not None
    assert StockLevel.objects.get(variant=world["variants"][0], location=world["dc"]).reserved == 1
    # Payments records a refused attempt as declined; nothing is taken.
    assert not Payment.objects.filter(order=draft).exclude(status=Payment.Status.DECLINED).exists()
    assert GiftCard.objects.get(pk=gc.pk).balance == before
    assert draft.events.filter(kind=OrderEvent.Kind.PAYMENT).count() == 1


def test_second_method_declined_voids_the_gift_card_part(make_user, make_draft, world):
    agent = make_user("agent")
    draft = make_draft(agent, payment_method="gift_card")
    draft_hold_stock(order_id=draft.pk, acting_user=agent)
    gc, code = issue_card("30.00")
    with pytest.raises(PaymentFailed) as exc:
        place(draft, agent, gift(code, remainder=card("4000000000000002")))
    assert "declined" in exc.value.message
    assert "The gift card was not charged" in exc.value.message
    gc.refresh_from_db()
    assert gc.balance == Decimal("30.00")
    payments = {p.method: p for p in Payment.objects.filter(order=draft)}
    assert payments["gift_card"].status in (Payment.Status.VOIDED, Payment.Status.REFUNDED)
    assert payments["card"].status == Payment.Status.DECLINED
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.idempotency_key) == (Order.Status.DRAFT, "", "")
    assert draft.stock_held_until is not None
    assert StockLevel.objects.get(variant=world["variants"][0], location=world["dc"]).reserved == 1
    # The agent retries with another card: placed, the gift card spent once.
    order = place(draft, agent, gift(code, remainder=card("5555555555554444")))
    assert order.status == Order.Status.CONFIRMED
    gc.refresh_from_db()
    assert gc.balance == Decimal("0.00")


def test_card_for_the_rest_needs_the_card_field_before_anything_is_charged(make_user, make_draft):
    agent = make_user("agent")
    draft = make_draft(agent, payment_method="gift_card")
    gc, code = issue_card("30.00")
    with pytest.raises(PaymentFailed) as exc:
        place(draft, agent, gift(code, remainder=PaymentRequest(method="card")))
    assert "secure card field" in exc.value.message
    assert not Payment.objects.filter(order=draft).exists()
    assert GiftCard.objects.get(pk=gc.pk).balance == Decimal("30.00")


def test_phone_screen_places_with_gift_card_and_refuses_a_wrong_code(make_user, make_draft, client):
    agent = make_user("agent")
    client.force_login(agent)
    draft = make_draft(agent, payment_method="gift_card")
    page = client.get(reverse("orders:phone_order", args=[draft.pk]))
    assert b'name="gift_code"' in page.content
    url = reverse("orders:phone_place", args=[draft.pk])
    response = client.post(url, {"idempotency_key": "k1", "gift_code": "NOPE-NOPE-NOPE-NOPE"})
    assert response.status_code == 200
    assert "No gift card with that code." in response.content.decode()
    assert b"NOPE-NOPE" not in response.content
    assert Order.objects.get(pk=draft.pk).status == Order.Status.DRAFT
    response = client.post(url, {"idempotency_key": "k2", "gift_code": ""})
    assert response.status_code == 422
    gc, code = issue_card("30.00")
    response = client.post(url, {"idempotency_key": "k3", "gift_code": code, "remainder_method": "boleto"})
    assert response.status_code == 302
    order = Order.objects.get(pk=draft.pk)
    assert order.status == Order.Status.CONFIRMED
    taken = Payment.objects.filter(order=order).exclude(status=Payment.Status.DECLINED)
    assert sorted(taken.values_list("method", "amount")) == [
        ("boleto", order.total - Decimal("30.00")), ("gift_card", Decimal("30.00"))]

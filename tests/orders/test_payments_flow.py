"""Placing with a card through the payments services: processor calls run outside any transaction, so
these tests use real transactions (and threads for the double submit)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from inventory.models import StockLevel
from oms.models import OutboxMessage
from oms.outbox import outbox_deliver_message
from oms.templatetags.oms_tags import money
from orders.errors import PaymentFailed
from orders.models import Order, OrderEvent
from orders.services import PaymentRequest, draft_update, order_cancel, order_place
from payments.gateway import get_gateway
from payments.models import Payment
from tests.threads import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]


def card(number="4242424242424242") -> PaymentRequest:
    token = get_gateway("sandbox").tokenize(number=number, exp_month=12, exp_year=2030, cvc="123")
    return PaymentRequest(method="card", token=token.token, details={
        "brand": token.brand, "last4": token.last4, "exp_month": token.exp_month, "exp_year": token.exp_year})


def test_card_authorized_then_cancel_voids_it(make_user, world, make_draft):
    agent = make_user("agent")
    draft = make_draft(agent)
    draft_update(order_id=draft.pk, acting_user=agent, payment_method="card")
    order = order_place(order_id=draft.pk, idempotency_key="card-1", acting_user=agent, payment=card())
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.amount, payment.card_last4) == (Payment.Status.AUTHORIZED, order.total, "4242")
    assert Order.objects.get(pk=order.pk).card_fingerprint == "visa:4242:12/2030"
    order_cancel(order_id=order.pk, reason="changed mind", acting_user=agent)
    message = OutboxMessage.objects.get(topic="orders.payment_adjust")
    assert outbox_deliver_message(message_id=message.pk) == "done"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.VOIDED
    assert StockLevel.objects.get(variant=world["variants"][0], location=world["dc"]).reserved == 0


def test_declined_card_keeps_the_draft_and_its_stock_hold(make_user, world, make_draft):
    agent = make_user("agent")
    draft = make_draft(agent)
    with pytest.raises(PaymentFailed) as exc:
        order_place(order_id=draft.pk, idempotency_key="card-2", acting_user=agent,
                    payment=card("4000000000000002"))
    assert "declined" in exc.value.message
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.idempotency_key) == (Order.Status.DRAFT, "", "")
    assert draft.stock_held_until is not None  # released by the beat job unless the agent retries
    assert StockLevel.objects.get(variant=world["variants"][0], location=world["dc"]).reserved == 1
    assert draft.events.filter(kind=OrderEvent.Kind.PAYMENT).count() == 1
    order = order_place(order_id=draft.pk, idempotency_key="card-3", acting_user=agent, payment=card())
    assert order.status == Order.Status.CONFIRMED
    assert StockLevel.objects.get(variant=world["variants"][0], location=world["dc"]).reserved == 1


def test_concurrent_double_submit_places_one_order_and_one_payment(make_user, world, make_draft):
    agent = make_user("agent")
    draft = make_draft(agent)

    def submit() -> str:
        return f"ok {order_place(order_id=draft.pk, idempotency_key='same-form', acting_user=agent, payment=card()).pk}"

    results = [o if isinstance(o, str) else type(o).__name__ for o in run_together([submit] * 4)]
    assert Order.objects.exclude(status=Order.Status.DRAFT).count() == 1
    assert Payment.objects.filter(order=draft, status=Payment.Status.AUTHORIZED).count() == 1
    assert f"ok {draft.pk}" in results
    assert set(results) <= {f"ok {draft.pk}", "PlacementInProgress"}
    assert StockLevel.objects.get(variant=world["variants"][0], location=world["dc"]).reserved == 1
    assert Decimal(Order.objects.get(pk=draft.pk).total) > 0


def test_two_agents_race_for_the_last_units_one_wins(make_user, world, make_draft):
    from orders.errors import StockUnavailable

    agent = make_user("agent")
    shirt = world["variants"][0]
    drafts = [make_draft(agent, [(shirt, 7)]) for _ in range(2)]  # 12 on hand (10 DC + 2 store): room for one

    def submit(draft) -> str:
        order_place(order_id=draft.pk, idempotency_key=f"race-{draft.pk}", acting_user=agent,
                    payment=PaymentRequest("invoice"))
        return "placed"

    outcomes = run_together([lambda: submit(drafts[0]), lambda: submit(drafts[1])])
    assert sorted("short" if isinstance(o, StockUnavailable) else o for o in outcomes) == ["placed", "short"]
    assert sum(s.reserved for s in StockLevel.objects.filter(variant=shirt)) == 7
    assert Order.objects.filter(status=Order.Status.DRAFT).count() == 1


def test_edit_raising_the_total_reauthorizes_the_card(make_user, world, make_draft):
    from orders.services import order_edit

    agent = make_user("agent")
    draft = make_draft(agent)
    draft_update(order_id=draft.pk, acting_user=agent, payment_method="card")
    order = order_place(order_id=draft.pk, idempotency_key="card-edit", acting_user=agent, payment=card())
    first = Payment.objects.get(order=order)
    line = order.lines.get()
    order_edit(order_id=order.pk, acting_user=agent, quantities={line.pk: 2}, reason="one more")
    order.refresh_from_db()
    message = OutboxMessage.objects.get(topic="orders.payment_adjust")
    assert outbox_deliver_message(message_id=message.pk) == "done"
    first.refresh_from_db()
    assert first.status == Payment.Status.VOIDED
    current = Payment.objects.get(order=order, status=Payment.Status.AUTHORIZED)
    assert current.amount == order.total
    assert order.events.filter(kind=OrderEvent.Kind.PAYMENT).count() == 1
    adjusted = order.events.get(kind=OrderEvent.Kind.PAYMENT)  # the amount in the reader's number format
    with translation.override("pt-br"):
        assert adjusted.reason_text == f"Pagamentos ajustados para {money(order.total, order.currency)}"
    assert adjusted.reason_params == {"amount": {"money": str(order.total), "currency": order.currency}}


def test_promotion_used_up_during_the_card_call_rolls_the_confirmation_back(make_user, world, make_draft, monkeypatch):
    """The promotion is redeemed last in the confirming transaction; running out there still undoes all of it."""
    from marketing.models import Promotion, PromotionRedemption
    from orders.errors import OrderError
    from orders.models import Channel
    from payments.gateway.sandbox import SandboxGateway
    from tests.marketing.factories import PromotionFactory

    promotion = PromotionFactory(usage_limit=1)
    agent = make_user("agent")
    draft = make_draft(agent)
    draft_update(order_id=draft.pk, acting_user=agent, payment_method="card")
    authorize = SandboxGateway.authorize

    def meanwhile_another_order_takes_it(self, **kwargs):  # the processor is slow; another order uses the promo
        Promotion.objects.filter(pk=promotion.pk).update(times_used=1)
        return authorize(self, **kwargs)

    monkeypatch.setattr(SandboxGateway, "authorize", meanwhile_another_order_takes_it)
    with pytest.raises(OrderError) as exc:
        order_place(order_id=draft.pk, idempotency_key="promo-gone", acting_user=agent, payment=card())
    assert exc.value.field == "coupons"
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.placed_at, draft.idempotency_key) == (Order.Status.DRAFT, "", None, "")
    assert draft.discount_total == Decimal("10.00")  # as priced in step 1: 10 % of 100.00
    assert Promotion.objects.get(pk=promotion.pk).times_used == 1
    assert not PromotionRedemption.objects.exists()
    assert Channel.objects.get(pk=world["channel"].pk).last_order_number == 0
    assert not draft.events.exclude(kind__in=[OrderEvent.Kind.NOTE]).filter(to_status__in=["placed", "confirmed"])
    assert not OutboxMessage.objects.filter(topic="orders.channel_status").exists()
    assert Payment.objects.get(order=draft).status == Payment.Status.VOIDED
    assert StockLevel.objects.get(variant=world["variants"][0], location=world["dc"]).reserved == 1  # still held

    monkeypatch.setattr(SandboxGateway, "authorize", authorize)
    order = order_place(order_id=draft.pk, idempotency_key="promo-gone-2", acting_user=agent, payment=card())
    assert (order.status, order.discount_total) == (Order.Status.CONFIRMED, Decimal("0"))
    assert StockLevel.objects.get(variant=world["variants"][0], location=world["dc"]).reserved == 1


def test_a_card_declined_while_the_agent_works_in_portuguese_reads_in_arabic_in_the_history_and_payments(
        role_client, make_user, make_draft, world):
    """The processor's refusal is kept by its code, with our words for it (the processor's own words, in its own
    language, only for a code we do not know), so the manager reads why in Arabic."""
    agent = make_user("agent")
    with translation.override("pt-br"):
        draft = make_draft(agent)
        with pytest.raises(PaymentFailed) as refused:
            order_place(order_id=draft.pk, idempotency_key="card-pt", acting_user=agent,
                        payment=card("4000000000009995"))
    assert refused.value.message == "O cartão não tem saldo suficiente."  # the agent, now, in Portuguese
    event = draft.events.get(kind=OrderEvent.Kind.PAYMENT)
    assert (event.reason, event.reason_params) == ("The card has insufficient funds.", {})
    payment = Payment.objects.get(order=draft)
    assert (payment.decline_code, payment.decline_message) == ("insufficient_funds", "The card has insufficient funds.")

    order_place(order_id=draft.pk, idempotency_key="card-pt-2", acting_user=agent, payment=card())  # another card

    client = role_client("manager")
    response = client.get(reverse("orders:order_detail", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="ar")
    history = response.content.decode()
    panel = client.get(reverse("payments:order_payments", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="ar",
                       headers={"HX-Request": "true"}).content.decode()
    for page in (history, panel):
        assert "البطاقة لا تحتوي على رصيد كافٍ" in page
        assert "saldo suficiente" not in page and "insufficient funds" not in page



def test_the_phone_screen_says_what_to_do_after_a_declined_card(role_client, world, make_draft):
    from django.urls import reverse

    client = role_client("agent")
    draft = make_draft(client.user, payment_method="card")
    declined = card("4000000000000002")
    response = client.post(reverse("orders:phone_place", args=[draft.pk]), {
        "idempotency_key": "d-1", "payment_method": "card", "card_token": declined.token,
        "card_brand": declined.details["brand"], "card_last4": declined.details["last4"]}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "declined" in page and "Ask for another card (Change card in the card field) or another way to pay." in page

# ruff: noqa: F811 - the fulfilment network fixtures are imported, then requested by name
"""A capture or refund reference names one request: asked again for the same amount it is a retry (the first
answer, nothing new written); asked for another amount it is refused, naming the reference and both amounts,
with nothing written. The order flows that capture or refund more than once name each real request apart."""

from decimal import Decimal

import pytest
from django.utils import translation

from oms.models import AuditEntry
from payments.errors import IdempotencyConflict
from payments.ledger import verify_journal
from payments.models import JournalEntry, Payment, PaymentTransaction
from payments.services import payment_authorize, payment_capture, payment_refund, settle_to_amount
from tests.fulfilment.conftest import net, stock  # noqa: F401 - fixtures

D = Decimal
NBSP = "\xa0"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def authorized(order, token, amount="100.00", key="k1"):
    return payment_authorize(order_id=order.pk, method="card", amount=D(amount), currency="BRL", token=token,
                             idempotency_key=key, acting_user=None)


def written():
    """Everything a capture or refund writes: its transaction, its journal entry, its audit entry."""
    return (PaymentTransaction.objects.count(), JournalEntry.objects.count(), AuditEntry.objects.count())


def state(payment):
    payment.refresh_from_db()
    return payment.status, payment.captured_amount, payment.refunded_amount


@pytest.mark.django_db(transaction=True)
def test_a_capture_retried_with_its_amount_returns_the_first_and_writes_nothing(order, card_token):
    payment = authorized(order, card_token())
    first = payment_capture(payment_id=payment.pk, amount=D("60"), reference="shipment:1", acting_user=None)
    before, paid = written(), state(payment)

    again = payment_capture(payment_id=payment.pk, amount="60.00", reference="shipment:1", acting_user=None)

    assert again.pk == first.pk and again.result == "success"
    assert written() == before and state(payment) == paid == ("partially_captured", D("60"), D("0"))


@pytest.mark.django_db(transaction=True)
def test_a_capture_reference_reused_for_another_amount_is_refused_and_writes_nothing(order, card_token):
    payment = authorized(order, card_token())
    first = payment_capture(payment_id=payment.pk, amount=D("60"), reference="shipment:1", acting_user=None)
    before, paid = written(), state(payment)

    with pytest.raises(IdempotencyConflict) as caught:
        payment_capture(payment_id=payment.pk, amount=D("40"), reference="shipment:1", acting_user=None)

    assert caught.value.message == (
        f"The reference “shipment:1” was already used for a capture of R${NBSP}60.00 on this payment; this capture "
        f"is of R${NBSP}40.00. Give the new capture its own reference.")
    assert (caught.value.code, caught.value.field) == ("idempotency_conflict", "reference")
    assert written() == before and state(payment) == paid
    first.refresh_from_db()
    assert (first.amount, first.result) == (D("60"), "success")
    # The 40 is still there to capture under its own reference.
    payment_capture(payment_id=payment.pk, amount=D("40"), reference="shipment:2", acting_user=None)
    assert state(payment) == ("captured", D("100"), D("0"))
    assert verify_journal() == []


@pytest.mark.django_db(transaction=True)
def test_an_unfinished_capture_is_not_finished_for_another_amount(order, card_token):
    """A capture left pending (a crash after asking the processor) is finished by a retry for its amount; a request
    for another amount under its reference used to push the first amount through and report it as the new one."""
    payment = authorized(order, card_token())
    pending = PaymentTransaction.objects.create(payment=payment, kind="capture", amount=D("40"),
                                                idempotency_key=f"{payment.pk}:capture:shipment:7",
                                                reference="shipment:7")
    before = written()
    with pytest.raises(IdempotencyConflict, match=f"capture of R\\${NBSP}40.00 .* is of R\\${NBSP}55.00"):
        payment_capture(payment_id=payment.pk, amount=D("55"), reference="shipment:7", acting_user=None)
    assert written() == before and state(payment) == ("authorized", D("0"), D("0"))
    pending.refresh_from_db()
    assert (pending.result, pending.amount) == ("pending", D("40"))

    done = payment_capture(payment_id=payment.pk, amount=D("40"), reference="shipment:7", acting_user=None)
    assert (done.pk, done.result) == (pending.pk, "success")
    assert state(payment) == ("partially_captured", D("40"), D("0"))


@pytest.mark.django_db(transaction=True)
def test_a_refund_retried_with_its_amount_returns_the_first_and_another_amount_is_refused(order, card_token):
    payment = authorized(order, card_token())
    payment_capture(payment_id=payment.pk, amount=D("100"), reference="shipment:1", acting_user=None)
    first = payment_refund(payment_id=payment.pk, amount=D("25.50"), reason="return", reference="return:7",
                           acting_user=None)
    before, paid = written(), state(payment)

    again = payment_refund(payment_id=payment.pk, amount=D("25.5"), reason="return", reference="return:7",
                           acting_user=None)
    assert again.pk == first.pk and written() == before and state(payment) == paid

    with pytest.raises(IdempotencyConflict) as caught:
        payment_refund(payment_id=payment.pk, amount=D("30"), reason="return", reference="return:7",
                       acting_user=None)
    assert caught.value.message == (
        f"The reference “return:7” was already used for a refund of R${NBSP}25.50 on this payment; this refund is "
        f"of R${NBSP}30.00. Give the new refund its own reference.")
    assert written() == before and state(payment) == paid == ("partially_refunded", D("100"), D("25.50"))


@pytest.mark.django_db(transaction=True)
def test_the_same_reference_on_another_payment_is_that_payments_own_capture(order, card_token):
    """A shipment paid from two authorizations captures from each under the shipment's reference."""
    one = authorized(order, card_token(), amount="30", key="a")
    two = authorized(order, card_token(), amount="70", key="b")
    first = payment_capture(payment_id=one.pk, amount=D("30"), reference="shipment:1", acting_user=None)
    second = payment_capture(payment_id=two.pk, amount=D("50"), reference="shipment:1", acting_user=None)
    assert first.pk != second.pk
    assert state(one)[1:] == (D("30"), D("0")) and state(two)[1:] == (D("50"), D("0"))


@pytest.mark.django_db(transaction=True)
def test_two_edits_taking_off_the_same_amount_refund_twice_and_a_rerun_refunds_nothing(order, card_token):
    """The settlement named its refunds by amount only: the second edit taking off 10 got the first edit's refund
    back and the customer was 10 short."""
    payment = authorized(order, card_token())
    payment_capture(payment_id=payment.pk, amount=D("100"), reference="shipment:1", acting_user=None)

    assert settle_to_amount(order_id=order.pk, amount=D("90"), reason="order:7", acting_user=None)["refunded"] == [
        [payment.pk, "10.0000"]]
    assert settle_to_amount(order_id=order.pk, amount=D("90"), reason="order:7", acting_user=None)["refunded"] == []
    assert settle_to_amount(order_id=order.pk, amount=D("80"), reason="order:7", acting_user=None)["refunded"] == [
        [payment.pk, "10.0000"]]

    assert state(payment) == ("partially_refunded", D("100"), D("20"))
    assert payment.transactions.filter(kind="refund", result="success").count() == 2
    assert verify_journal() == []


@pytest.mark.django_db
def test_a_gift_card_added_by_an_edit_is_captured_apart_from_the_first(make_user, net, gift_sku):
    """The gift-card capture was named after the order only: once an edit added a second card, its capture got the
    first card's back and the card waited for a payment forever."""
    from orders.giftcards import order_giftcards_issue
    from orders.models import OrderLine
    from orders.services import order_edit, payment_adjust
    from tests.payments.test_giftcard_sale import draft_with, place

    agent = make_user("agent")
    order = place(draft_with(agent, net, [(net["shirt"], 1, {}), (gift_sku, 1, {"amount": "200"})]), agent)
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.amount) == ("invoice", D("315.00"))
    [first] = order_giftcards_issue(order_id=order.pk, acting_user=agent)
    assert state(payment)[1] == D("200")
    assert order_giftcards_issue(order_id=order.pk, acting_user=agent) == []  # nothing more to issue or capture

    order_edit(order_id=order.pk, acting_user=agent, add=[(gift_sku.pk, 1)], reason="a second card")
    payment_adjust(order_id=order.pk, acting_user=agent)
    second_line = order.lines.get(variant=gift_sku, status=OrderLine.Status.OPEN)

    [second] = order_giftcards_issue(order_id=order.pk, acting_user=agent)

    assert (second.line_id, second.amount) == (second_line.pk, second_line.line_total)
    assert state(payment)[1] == D("200") + second_line.line_total
    captures = payment.transactions.filter(kind="capture", result="success").order_by("pk")
    assert [c.amount for c in captures] == [D("200"), second_line.line_total]
    assert first.card_id != second.card_id
    assert verify_journal() == []


@pytest.mark.django_db
def test_the_payments_panel_shows_the_refusal_of_a_reused_refund_reference(make_user, client):
    from django.urls import reverse

    from tests.payments.factories import issue_card, make_order

    _card, code = issue_card("25.00")
    order = make_order("25.00")
    gift = payment_authorize(order_id=order.pk, method="gift_card", amount=D("25"), currency="BRL",
                             details={"code": code}, idempotency_key="g1", acting_user=None)
    client.force_login(make_user("finance"))
    url = reverse("payments:payment_refund", args=[gift.pk])
    htmx = {"HX-Request": "true"}
    assert client.post(url, {"amount": "5", "reason": "damaged", "reference": "RMA-1"}, headers=htmx).status_code == 200
    before, paid = written(), state(gift)
    retry = client.post(url, {"amount": "5,00", "reason": "damaged", "reference": "RMA-1"}, headers=htmx)
    assert retry.status_code == 200 and written() == before and state(gift) == paid

    reused = client.post(url, {"amount": "7", "reason": "damaged", "reference": "RMA-1"}, headers=htmx)

    assert reused.status_code == 422
    assert (f"The reference “RMA-1” was already used for a refund of R${NBSP}5.00 on this payment; this refund is of "
            f"R${NBSP}7.00.") in reused.content.decode()
    assert written() == before and state(gift) == paid == ("partially_refunded", D("25"), D("5"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("operation", ["capture", "refund"])
def test_a_retry_arriving_while_the_first_waits_for_the_processor_is_recorded_once(order, card_token, monkeypatch,
                                                                                   operation):
    """Both runs ask the processor with the same key and get the same answer; the one that records second used to
    record the money again (two journal entries, the amount counted twice)."""
    from payments.gateway.sandbox import SandboxGateway

    payment = authorized(order, card_token())
    if operation == "refund":
        payment_capture(payment_id=payment.pk, amount=D("100"), reference="shipment:1", acting_user=None)

    def run():
        if operation == "capture":
            return payment_capture(payment_id=payment.pk, amount=D("40"), reference="shipment:2", acting_user=None)
        return payment_refund(payment_id=payment.pk, amount=D("40"), reason="return", reference="return:2",
                              acting_user=None)

    real = getattr(SandboxGateway, operation)
    calls = []

    def at_the_processor(self, **kwargs):
        calls.append(kwargs["idempotency_key"])
        if len(calls) == 1:  # the same request comes again (a double click, a worker retry) while this one waits
            run()
        return real(self, **kwargs)

    monkeypatch.setattr(SandboxGateway, operation, at_the_processor)
    before = JournalEntry.objects.count()

    txn = run()

    assert len(calls) == 2 and calls[0] == calls[1]
    assert txn.result == "success" and payment.transactions.filter(kind=operation).count() == 1
    assert JournalEntry.objects.count() == before + 1
    assert state(payment)[1:] == ((D("40"), D("0")) if operation == "capture" else (D("100"), D("40")))
    assert verify_journal() == []

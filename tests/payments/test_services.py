from decimal import Decimal

import pytest
from django.urls import reverse

from oms.models import AuditEntry
from payments.errors import AmountError, IdempotencyConflict, InvalidPaymentState, PaymentDeclined, PaymentError
from payments.ledger import verify_journal
from payments.models import GiftCard, Invoice, JournalEntry, Payment, PaymentTransaction
from payments.services import (
    invoice_issue,
    invoice_record_payment,
    payment_authorize,
    payment_capture,
    payment_confirm,
    payment_refund,
    payment_void,
    pix_confirm,
    settle_to_amount,
)
from tests.payments.factories import issue_card

pytestmark = pytest.mark.django_db(transaction=True)  # processor calls refuse to run inside a transaction

D = Decimal


def balances():
    from payments.ledger import trial_balance

    return {r["account"].code: r["balance"] for r in trial_balance()}


def authorize_card(order, token, amount="100.00", key="k1", user=None):
    return payment_authorize(order_id=order.pk, method="card", amount=D(amount), currency="BRL", token=token,
                             idempotency_key=key, acting_user=user)


def test_card_authorize_capture_per_shipment_and_partial_refund(order, card_token, make_user):
    user = make_user("finance")
    payment = authorize_card(order, card_token(), user=user)
    assert (payment.status, payment.card_brand, payment.card_last4, payment.card_exp_year) == (
        "authorized", "visa", "1111", 2030)
    assert JournalEntry.objects.count() == 0  # an authorization moves no money

    first = payment_capture(payment_id=payment.pk, amount=D("60"), reference="shipment:1", acting_user=user)
    again = payment_capture(payment_id=payment.pk, amount=D("60"), reference="shipment:1", acting_user=user)
    assert again.pk == first.pk
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount) == ("partially_captured", D("60"))
    payment_capture(payment_id=payment.pk, amount=D("40"), reference="shipment:2", acting_user=user)
    with pytest.raises(InvalidPaymentState):
        payment_capture(payment_id=payment.pk, amount=D("0.01"), reference="shipment:3", acting_user=user)

    refund = payment_refund(payment_id=payment.pk, amount=D("25.50"), reason="return of 1 shirt", acting_user=user,
                            reference="return:1")
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount, payment.refunded_amount) == (
        "partially_refunded", D("100"), D("25.50"))
    assert refund.result == "success" and refund.gateway_reference.startswith("ref_")
    assert balances() == {"1010": D("74.50"), "2000": D("-74.50")}
    audit = AuditEntry.objects.get(verb="payment_refund")
    assert (audit.actor, audit.reason, audit.changes) == (user, "return of 1 shirt",
                                                          {"refunded_amount": ["0.0000", "25.5000"]})
    with pytest.raises(AmountError):
        payment_refund(payment_id=payment.pk, amount=D("74.51"), reason="too much", acting_user=user)
    assert verify_journal() == []


@pytest.mark.parametrize(("number", "code", "status"), [
    ("4000000000000002", "card_declined", "declined"),
    ("4000000000009995", "insufficient_funds", "declined"),
    ("4000000000000069", "expired_card", "declined"),
    ("4000000000000119", "timeout", "failed"),
])
def test_test_cards_decline_with_clear_codes(order, card_token, number, code, status):
    with pytest.raises(PaymentDeclined) as caught:
        authorize_card(order, card_token(number))
    assert caught.value.code == code
    payment = Payment.objects.get()
    assert (payment.status, payment.decline_code, payment.captured_amount) == (status, code, D("0"))
    assert caught.value.payment_id == payment.pk and caught.value.message


def test_expired_expiry_date_is_declined(order, card_token):
    with pytest.raises(PaymentDeclined) as caught:
        authorize_card(order, card_token(exp_month=1, exp_year=2020))
    assert caught.value.code == "expired_card"


def test_idempotent_authorize_returns_first_result_and_refuses_other_payload(order, card_token):
    token = card_token()
    first = authorize_card(order, token, key="same")
    assert authorize_card(order, token, key="same").pk == first.pk
    assert PaymentTransaction.objects.filter(kind="authorize").count() == 1
    with pytest.raises(IdempotencyConflict):
        authorize_card(order, token, amount="99.00", key="same")
    with pytest.raises(PaymentDeclined):
        authorize_card(order, card_token("4000000000000002"), key="dec")
    with pytest.raises(PaymentDeclined):  # the retry with the same key gets the same decline
        authorize_card(order, token, key="dec")


def test_void_on_cancel_and_after_partial_capture(order, card_token):
    payment = authorize_card(order, card_token())
    payment = payment_void(payment_id=payment.pk, acting_user=None)
    assert payment.status == "voided"
    assert payment_void(payment_id=payment.pk, acting_user=None).status == "voided"
    other = authorize_card(order, card_token(), key="k2")
    payment_capture(payment_id=other.pk, amount=D("30"), reference="shipment:1", acting_user=None)
    other = payment_void(payment_id=other.pk, acting_user=None)
    assert (other.status, other.amount, other.captured_amount) == ("captured", D("30"), D("30"))


def test_a_refund_after_a_partial_capture_leaves_the_rest_of_the_authorization(order, card_token, role_client):
    """First parcel shipped (60 of 100 captured), 10 of it refunded: the second parcel can still be captured, or the
    rest released; the refund used to strand the 40 (neither capturable nor voidable, yet counted as covered)."""
    from payments.selectors import order_payment_summary
    from payments.services import payments_capture_up_to

    payment = authorize_card(order, card_token())
    payment_capture(payment_id=payment.pk, amount=D("60"), reference="shipment:1", acting_user=None)
    payment_refund(payment_id=payment.pk, amount=D("10"), reason="damaged", reference="return:1", acting_user=None)
    payment.refresh_from_db()
    assert (payment.status, payment.capturable, payment.voidable) == ("partially_refunded", D("40"), True)
    assert order_payment_summary(order_id=order.pk)["capturable"] == D("40")
    page = role_client("finance").get(reverse("payments:order_payments", args=[order.pk])).content.decode()
    assert reverse("payments:payment_capture", args=[payment.pk]) in page
    assert payments_capture_up_to(order_id=order.pk, amount=D("40"), reference_for=lambda pk: "shipment:2",
                                  acting_user=None) == (D("40"), None)
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount, payment.refunded_amount, payment.capturable) == (
        "partially_refunded", D("100"), D("10"), 0)
    assert balances() == {"1010": D("90"), "2000": D("-90")}

    other = authorize_card(order, card_token(), key="k2")
    payment_capture(payment_id=other.pk, amount=D("60"), reference="shipment:3", acting_user=None)
    payment_refund(payment_id=other.pk, amount=D("60"), reason="returned", reference="return:2", acting_user=None)
    other = payment_void(payment_id=other.pk, acting_user=None)
    assert (other.status, other.amount, other.captured_amount, other.refunded_amount) == (
        "refunded", D("60"), D("60"), D("60"))
    with pytest.raises(InvalidPaymentState):
        payment_capture(payment_id=other.pk, amount=D("1"), reference="shipment:4", acting_user=None)
    assert verify_journal() == []


def test_card_services_refuse_to_run_inside_a_transaction(order, card_token):
    from django.db import transaction

    token = card_token()
    with pytest.raises(RuntimeError), transaction.atomic():
        authorize_card(order, token)
    assert Payment.objects.count() == 0


def test_pix_is_pending_until_the_webhook_confirms_it(order):
    payment = payment_authorize(order_id=order.pk, method="pix", amount=D("100"), currency="BRL",
                                idempotency_key="pix1", acting_user=None)
    code = payment.instructions["copy_paste"]
    assert payment.status == "pending" and code.startswith("000201") and "br.gov.bcb.pix" in code
    assert "5406100.00" in code
    with pytest.raises(AmountError):
        pix_confirm(txid=payment.instructions["txid"], amount="99.00", end_to_end_id="E1")
    txn = pix_confirm(txid=payment.instructions["txid"], amount="100.00", end_to_end_id="E123")
    assert pix_confirm(txid=payment.instructions["txid"], amount="100.00", end_to_end_id="E123").pk == txn.pk
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount) == ("captured", D("100"))
    assert balances() == {"1020": D("100"), "2000": D("-100")}
    with pytest.raises(InvalidPaymentState):
        payment_capture(payment_id=payment.pk, amount=D("10"), reference="s", acting_user=None)
    with pytest.raises(InvalidPaymentState):
        payment_void(payment_id=payment.pk, acting_user=None)


def test_pix_brcode_crc_matches_the_published_example():
    from payments.pix import crc16

    # Example payload from Banco Central's BR Code manual (CRC field value 1D3D).
    payload = ("00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
               "5913Fulano de Tal6008BRASILIA62070503***6304")
    assert crc16(payload) == "1D3D"


def test_cod_boleto_transfer_and_check_are_confirmed_by_hand(order):
    for index, method in enumerate(["cod", "boleto", "bank_transfer", "check"]):
        payment = payment_authorize(order_id=order.pk, method=method, amount=D("10"), currency="BRL",
                                    details={"check_number": "000123"}, idempotency_key=f"m{index}", acting_user=None)
        assert payment.status == "pending"
        payment_confirm(payment_id=payment.pk, acting_user=None, reference="collected")
        payment.refresh_from_db()
        assert payment.status == "captured"
    assert balances() == {"1020": D("20"), "1030": D("10"), "1040": D("10"), "2000": D("-40")}


def test_gift_card_plus_card_on_one_order_and_refund_back_to_the_card(order, card_token):
    card, code = issue_card("30.00")
    gift = payment_authorize(order_id=order.pk, method="gift_card", amount=D("30"), currency="BRL",
                             details={"code": code.lower()}, idempotency_key="g1", acting_user=None)
    rest = authorize_card(order, card_token(), amount="70.00", key="c1")
    assert (gift.status, rest.status) == ("captured", "authorized")
    card.refresh_from_db()
    assert card.balance == D("0")
    with pytest.raises(PaymentDeclined) as caught:
        payment_authorize(order_id=order.pk, method="gift_card", amount=D("1"), currency="BRL",
                          details={"code": code}, idempotency_key="g2", acting_user=None)
    assert caught.value.code == "insufficient_balance"
    payment_refund(payment_id=gift.pk, amount=D("12"), reason="return", acting_user=None, reference="r1")
    card.refresh_from_db()
    assert card.balance == D("12")
    assert verify_journal() == []


def test_invoice_within_credit_limit_then_issued_at_shipment_and_paid(order):
    with pytest.raises(PaymentDeclined) as caught:
        payment_authorize(order_id=order.pk, method="invoice", amount=D("100"), currency="BRL",
                          idempotency_key="i0", acting_user=None, credit_limit=D("500"), open_balance=D("450"))
    assert caught.value.code == "credit_limit_exceeded"
    assert Payment.objects.get(idempotency_key="i0").status == "declined"
    payment = payment_authorize(order_id=order.pk, method="invoice", amount=D("100"), currency="BRL",
                                details={"terms_days": 15, "customer_name": "ACME Ltda"}, idempotency_key="i1",
                                acting_user=None, credit_limit=D("500"), open_balance=D("100"))
    payment_capture(payment_id=payment.pk, amount=D("100"), reference="shipment:9", acting_user=None)
    invoice = Invoice.objects.get()
    assert (invoice.customer_name, invoice.amount, (invoice.due_on - invoice.issued_on).days) == ("ACME Ltda",
                                                                                                D("100"), 15)
    assert balances() == {"1100": D("100"), "2000": D("-100")}
    invoice_record_payment(invoice_id=invoice.pk, amount=D("100"), reference="TED 55", acting_user=None)
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert balances() == {"1000": D("100"), "1100": D("0"), "2000": D("-100")}


def test_invoice_issue_in_one_step_and_credit_note(order):
    invoice = invoice_issue(order_id=order.pk, amount=D("80"), currency="BRL", terms_days=30, acting_user=None,
                            reference="shipment:4", customer_name="B2B Co")
    assert invoice.open_amount == D("80")
    payment_refund(payment_id=invoice.payment_id, amount=D("20"), reason="return", acting_user=None)
    invoice.refresh_from_db()
    assert (invoice.credited_amount, invoice.open_amount, invoice.status) == (D("20"), D("60"), "open")


def test_settle_to_amount_voids_and_refunds(order, card_token):
    card, code = issue_card("20.00")
    gift = payment_authorize(order_id=order.pk, method="gift_card", amount=D("20"), currency="BRL",
                             details={"code": code}, idempotency_key="g", acting_user=None)
    paid = authorize_card(order, card_token(), amount="50", key="a")
    payment_capture(payment_id=paid.pk, amount=D("50"), reference="s1", acting_user=None)
    open_auth = authorize_card(order, card_token(), amount="30", key="b")
    done = settle_to_amount(order_id=order.pk, amount=D("0"), reason="cancel", acting_user=None)
    assert done["voided"] == [open_auth.pk]
    assert sorted(done["refunded"]) == sorted([[paid.pk, "50.0000"], [gift.pk, "20.0000"]])
    card.refresh_from_db()
    assert card.balance == D("20")
    assert settle_to_amount(order_id=order.pk, amount=D("0"), reason="cancel", acting_user=None)["refunded"] == []


def test_card_number_in_details_is_refused(order):
    with pytest.raises(PaymentError) as caught:
        payment_authorize(order_id=order.pk, method="check", amount=D("5"), currency="BRL",
                          details={"bank": "card 4111 1111 1111 1111"}, idempotency_key="x", acting_user=None)
    assert caught.value.code == "card_number_refused"
    assert Payment.objects.count() == 0
    assert GiftCard.objects.count() == 0


def test_a_capture_left_pending_by_a_crash_is_finished_once(order, card_token):
    from datetime import timedelta

    from django.utils import timezone

    from payments.gateway import get_gateway
    from payments.services import payment_resume_pending

    payment = authorize_card(order, card_token())
    # Simulate a crash after the processor captured but before the OMS recorded the result.
    txn = PaymentTransaction.objects.create(payment=payment, kind="capture", amount=D("40"),
                                            idempotency_key=f"{payment.pk}:capture:shipment:7")
    first = get_gateway().capture(reference=payment.gateway_reference, amount=D("40"),
                                  idempotency_key=txn.idempotency_key)
    PaymentTransaction.objects.filter(pk=txn.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert payment_resume_pending() == {"done": 1, "failed": 0}
    txn.refresh_from_db()
    payment.refresh_from_db()
    assert (txn.result, txn.gateway_reference, payment.captured_amount) == ("success", first.reference, D("40"))
    assert payment_resume_pending() == {"done": 0, "failed": 0}
    assert verify_journal() == []


def test_saved_card_keeps_a_vault_token_only_and_pays_a_later_order(order, card_token, make_user):
    from orders.models import Customer
    from payments.models import SavedCard
    from payments.services import card_forget, card_save

    customer = Customer.objects.create(name="Ana Lima")
    saved = card_save(customer_id=customer.pk, token=card_token("5555555555554444"), acting_user=make_user("agent"))
    assert (saved.brand, saved.last4, saved.exp_year, saved.token.startswith("card_")) == ("mastercard", "4444",
                                                                                         2030, True)
    payment = authorize_card(order, saved.token, key="saved-1")
    assert (payment.status, payment.card_last4) == ("authorized", "4444")
    card_forget(saved_card_id=saved.pk, acting_user=None)
    assert SavedCard.objects.get().is_active is False
    with pytest.raises(PaymentError) as caught:
        card_save(customer_id=customer.pk, token="tok_unknown", acting_user=None)
    assert caught.value.code == "invalid_token"


def test_paypal_is_sandboxed_through_the_same_interface(order):
    payment = payment_authorize(order_id=order.pk, method="paypal", amount=D("20"), currency="BRL",
                                details={"email": "ana@example.com"}, idempotency_key="pp1", acting_user=None)
    assert (payment.status, payment.card_brand) == ("authorized", "paypal")
    payment_capture(payment_id=payment.pk, amount=D("20"), reference="shipment:1", acting_user=None)
    assert balances() == {"1050": D("20"), "2000": D("-20")}
    with pytest.raises(PaymentDeclined) as caught:
        payment_authorize(order_id=order.pk, method="paypal", amount=D("20"), currency="BRL",
                          details={"email": "declined@example.com"}, idempotency_key="pp2", acting_user=None)
    assert caught.value.code == "paypal_declined"


def test_status_changes_reach_registered_listeners_through_the_outbox(order):
    from oms.models import OutboxMessage
    from oms.outbox import outbox_deliver_message
    from payments import events

    heard = []

    @events.payment_listener
    def listener(**news):
        heard.append(news)

    try:
        payment = payment_authorize(order_id=order.pk, method="pix", amount=D("10"), currency="BRL",
                                    idempotency_key="ev1", acting_user=None)
        assert OutboxMessage.objects.filter(topic="payments.changed").count() == 0  # pending is the start state
        payment_confirm(payment_id=payment.pk, acting_user=None)
        message = OutboxMessage.objects.get(topic="payments.changed")
        assert outbox_deliver_message(message_id=message.pk) == "done"
        assert heard == [{"payment_id": payment.pk, "order_id": order.pk, "method": "pix", "previous": "pending",
                          "status": "captured"}]
    finally:
        events._listeners.remove(listener)


def test_concurrent_captures_never_exceed_the_authorization(order, card_token):
    import threading

    from django.db import connection

    payment = authorize_card(order, card_token())
    barrier = threading.Barrier(4)
    results = []

    def capture(n):
        try:
            barrier.wait()
            payment_capture(payment_id=payment.pk, amount=D("40"), reference=f"shipment:{n}", acting_user=None)
            results.append("ok")
        except AmountError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=capture, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    payment.refresh_from_db()
    assert sorted(results) == ["ok", "ok", "refused", "refused"]
    assert payment.captured_amount == D("80")
    assert verify_journal() == []


def test_reauthorization_when_an_edit_raises_the_total(order, card_token):
    from payments.services import payment_reauthorize

    old = authorize_card(order, card_token(), amount="100.00", key="r1")
    new = payment_reauthorize(payment_id=old.pk, amount=D("130.00"), idempotency_key="r2", acting_user=None)
    old.refresh_from_db()
    assert (old.status, new.status, new.amount, new.card_last4) == ("voided", "authorized", D("130"), "1111")
    payment_capture(payment_id=new.pk, amount=D("1"), reference="s1", acting_user=None)
    with pytest.raises(InvalidPaymentState):
        payment_reauthorize(payment_id=new.pk, amount=D("200"), idempotency_key="r4", acting_user=None)
    assert Payment.objects.count() == 2

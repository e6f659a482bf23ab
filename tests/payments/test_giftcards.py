import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from oms.models import AuditEntry
from payments.errors import GiftCardError
from payments.giftcards import code_hash, giftcard_disable, giftcard_lookup, giftcard_redeem
from payments.ledger import verify_journal
from payments.models import GiftCard, GiftCardTransaction
from tests.payments.factories import issue_card

D = Decimal


@pytest.mark.django_db
def test_issue_shows_the_code_once_and_stores_only_a_hash(make_user):
    user = make_user("finance")
    card, code = issue_card("50.00", acting_user=user, source="goodwill")
    assert len(code) == 19 and code.count("-") == 3
    card.refresh_from_db()
    assert card.code_hash == code_hash(code) and code not in card.code_hash
    assert card.last4 == code[-4:] and card.balance == D("50")
    stored = " ".join(str(v) for v in GiftCard.objects.values_list().get(pk=card.pk))
    assert code.replace("-", "") not in stored.replace("-", "")
    assert [t.kind for t in card.transactions.all()] == ["issue"]
    assert AuditEntry.objects.filter(verb="giftcard_issue", object_id=str(card.pk)).count() == 1
    assert verify_journal() == []


@pytest.mark.django_db
def test_partial_redemptions_until_empty():
    card, code = issue_card("30.00")
    giftcard_redeem(code=code, amount=D("10"), reference="order:1", acting_user=None)
    giftcard_redeem(code=code.lower().replace("-", " "), amount=D("20"), reference="order:2", acting_user=None)
    card.refresh_from_db()
    assert card.balance == D("0")
    with pytest.raises(GiftCardError) as caught:
        giftcard_redeem(code=code, amount=D("0.01"), reference="order:3", acting_user=None)
    assert caught.value.code == "insufficient_balance"
    assert list(card.transactions.values_list("kind", "amount", "balance_after")) == [
        ("issue", D("30"), D("30")), ("redeem", D("-10"), D("20")), ("redeem", D("-20"), D("0"))]


@pytest.mark.django_db
def test_expired_disabled_and_unknown_cards_are_refused(make_user):
    card, code = issue_card("30.00", expires_on=timezone.localdate())
    GiftCard.objects.filter(pk=card.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(GiftCardError) as caught:
        giftcard_redeem(code=code, amount=D("1"), reference="x", acting_user=None)
    assert caught.value.code == "gift_card_expired"
    other, other_code = issue_card("5.00")
    giftcard_disable(card_id=other.pk, reason="reported stolen", acting_user=make_user("finance"))
    with pytest.raises(GiftCardError) as caught:
        giftcard_redeem(code=other_code, amount=D("1"), reference="x", acting_user=None)
    assert caught.value.code == "gift_card_disabled"
    with pytest.raises(GiftCardError) as caught:
        giftcard_redeem(code="NOPE-NOPE-NOPE-NOPE", amount=D("1"), reference="x", acting_user=None)
    assert caught.value.code == "gift_card_not_found"
    assert GiftCardTransaction.objects.filter(kind="redeem").count() == 0


@pytest.mark.django_db
def test_database_keeps_balance_not_negative():
    card, _code = issue_card("5.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCard.objects.filter(pk=card.pk).update(balance=D("-1"))


@pytest.mark.django_db
def test_lookup_is_logged_found_or_not(make_user):
    user = make_user("agent")
    card, code = issue_card("5.00")
    assert giftcard_lookup(code=code, acting_user=user, ip_address="10.0.0.1") == card
    assert giftcard_lookup(code="ZZZZ-ZZZZ-ZZZZ-ZZZZ", acting_user=user) is None
    logged = list(AuditEntry.objects.filter(verb="giftcard_lookup").order_by("id")
                  .values_list("actor", "object_id", "changes"))
    assert logged == [(user.pk, str(card.pk), {"found": True, "last4": code[-4:]}),
                      (user.pk, "", {"found": False, "last4": "ZZZZ"})]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_redemptions_never_overspend():
    card, code = issue_card("100.00")
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem(n: int) -> None:
        try:
            barrier.wait()
            giftcard_redeem(code=code, amount=D("7.00"), reference=f"order:{n}", acting_user=None)
            result = "ok"
        except GiftCardError as exc:
            result = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    card.refresh_from_db()
    assert outcomes.count("ok") == 14  # 14 x 7.00 = 98.00 <= 100.00 < 15 x 7.00
    assert outcomes.count("insufficient_balance") == 6
    assert card.balance == D("2.00")
    assert card.transactions.filter(kind="redeem").count() == 14
    assert verify_journal() == []


def test_a_gift_card_payment_without_a_code_is_declined_not_left_pending(order):
    from payments.errors import PaymentDeclined
    from payments.models import Payment
    from payments.services import payment_authorize

    with pytest.raises(PaymentDeclined, match="Enter the gift card code"):
        payment_authorize(order_id=order.pk, method="gift_card", amount=Decimal("10.00"), currency="BRL",
                          details={}, idempotency_key="gc-empty", acting_user=None)
    assert list(Payment.objects.values_list("status", flat=True)) == ["declined"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["gift_card", "store_credit"])
def test_a_payment_refunded_after_its_card_was_replaced_goes_on_the_replacement(order, kind):
    """The customer lost the code after paying 60 of 100: the refund goes on the new card they hold, not back on
    the disabled card (it went there, out of the customer's reach)."""
    from payments.giftcards import giftcard_find, giftcard_replace
    from payments.services import payment_authorize, payment_refund

    card, code = issue_card("100.00", kind=kind, source="goodwill")
    payment = payment_authorize(order_id=order.pk, method=kind, amount=D("60"), currency="BRL",
                                details={"code": code}, idempotency_key="gc-replaced", acting_user=None)
    new, new_code = giftcard_replace(card_id=card.pk, reason="lost", acting_user=None)
    payment_refund(payment_id=payment.pk, amount=D("60"), reason="returned", reference="return:1", acting_user=None)
    card.refresh_from_db()
    assert (card.status, card.balance) == ("disabled", D("0"))
    found = giftcard_find(code=new_code)
    assert (found.pk, found.status, found.balance, found.initial_amount) == (new.pk, "active", D("100"), D("100"))
    assert list(found.transactions.values_list("kind", "amount", "balance_after")) == [
        ("issue", D("40"), D("40")), ("reload", D("60"), D("100"))]
    giftcard_redeem(code=new_code, amount=D("100"), reference="order:2", acting_user=None)  # all of it spendable
    assert verify_journal() == []

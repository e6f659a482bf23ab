"""A lost card is replaced while its old code is still being spent: never more spent than the balance, the
replacement carries exactly what was left, and two finance users replacing at once make one new card."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from payments.errors import GiftCardError
from payments.giftcards import giftcard_issue, giftcard_redeem, giftcard_replace
from payments.ledger import verify_journal
from payments.models import GiftCard, GiftCardTransaction

pytestmark = pytest.mark.django_db(transaction=True)


def _run(workers):
    barrier = threading.Barrier(len(workers))
    results, errors = [], []

    def run(work):
        try:
            barrier.wait()
            results.append(work())
        except GiftCardError as exc:
            errors.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_spending_and_replacing_at_once_never_loses_or_makes_money(make_user):
    finance = make_user()
    from django.db import transaction

    with transaction.atomic():
        card, code = giftcard_issue(amount="100.00", currency="BRL", source="goodwill", acting_user=finance)

    def spend():
        with transaction.atomic():
            return giftcard_redeem(amount="30.00", reference="shop", acting_user=None, code=code)

    def replace():
        return giftcard_replace(card_id=card.pk, reason="lost", acting_user=finance)

    results, errors = _run([spend] * 6 + [replace, replace])
    new_cards = list(GiftCard.objects.exclude(pk=card.pk))
    assert len(new_cards) == 1  # the second replacement was refused
    assert errors.count("gift_card_replaced") == 1
    spent = -(GiftCardTransaction.objects.filter(card=card, kind="redeem").aggregate(s=Sum("amount"))["s"]
              or Decimal(0))
    card.refresh_from_db()
    assert card.balance == 0 and card.replaced_by_id == new_cards[0].pk
    assert spent + new_cards[0].balance == Decimal("100.00")
    assert spent <= Decimal("90.00")  # at most three spends of 30 fit in 100: the others were refused
    assert verify_journal() == []

# ruff: noqa: F811 - the fulfilment network fixtures are imported, then requested by name
"""The agent's screen and the background job issue the same order's gift cards at the same moment: one card."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from orders.giftcards import order_giftcards_issue
from payments.ledger import verify_journal
from payments.models import GiftCard, JournalEntry, Payment
from tests.fulfilment.conftest import net, stock  # noqa: F401 - fixtures
from tests.inventory.factories import VariantFactory
from tests.payments.test_giftcard_sale import draft_with, place

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def roles(transactional_db):
    from django.apps import apps

    from oms.permissions import sync_roles

    sync_roles(apps)


def test_two_concurrent_issues_make_one_card_and_one_capture(make_user, net):
    gift_sku = VariantFactory(sku="GIFT-CARD", base_price=Decimal("100.00"), cost=Decimal("0"), is_gift_card=True)
    agent = make_user("agent")
    order = place(draft_with(agent, net, [(gift_sku, 2, {"amount": "75"})]), agent)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def issue():
        try:
            barrier.wait()
            results.append(order_giftcards_issue(order_id=order.pk, acting_user=None))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 0, 2]
    assert GiftCard.objects.filter(order=order).count() == 2
    payment = Payment.objects.get(order=order)
    assert payment.captured_amount == Decimal("150.00")
    assert payment.transactions.filter(kind="capture", result="success").count() == 1
    assert JournalEntry.objects.filter(lines__account__code="2100").count() == 2
    assert verify_journal() == []

"""Two orders billed on terms at the same moment (two B2B shipments leaving together) get two invoice numbers."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from payments.models import Invoice
from payments.services import invoice_issue
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_invoices_issued_at_once_are_both_numbered():
    """The number was the last invoice's id plus one, read before the new row was written: the second of two
    invoices issued in overlapping transactions read the same last id, took the same number and failed on the unique
    number when the first committed (the shipment that billed it failed with a server error)."""
    first_order, second_order = make_order("100.00"), make_order("200.00")
    first_written, second_started = threading.Event(), threading.Event()
    failures = []

    def first():
        try:
            with transaction.atomic():  # a shipment's transaction billing its order
                invoice_issue(order_id=first_order.pk, amount=Decimal("100.00"), currency="BRL", terms_days=30,
                              acting_user=None, reference="shipment:1")
                first_written.set()
                second_started.wait(10)
                threading.Event().wait(1)  # the second is inside its own billing meanwhile
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
            first_written.set()
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_written.wait(20)
    second_started.set()
    try:
        invoice_issue(order_id=second_order.pk, amount=Decimal("200.00"), currency="BRL", terms_days=30,
                      acting_user=None, reference="shipment:2")
    except Exception as exc:  # noqa: BLE001 - reported below
        failures.append(repr(exc))
    thread.join()
    assert failures == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert len(numbers) == 2 and len(set(numbers)) == 2
    assert {i.order_id: i.amount for i in Invoice.objects.all()} == {first_order.pk: Decimal("100.00"),
                                                                      second_order.pk: Decimal("200.00")}

import io
from decimal import Decimal

import pytest

from payments import demo
from payments.giftcards import giftcard_find
from payments.ledger import verify_journal
from payments.models import GiftCard, Invoice, Payment
from tests.payments.factories import make_order


@pytest.mark.django_db
def test_demo_seed_is_idempotent():
    for index in range(5):
        make_order("500.00", number=f"DM-{index}")
    for index, method in enumerate(["pix", "pix", "pix", "boleto"]):
        order = make_order("80.00", number=f"DP-{index}")
        type(order).objects.filter(pk=order.pk).update(payment_method=method)
    demo.seed(stdout=io.StringIO())
    out = io.StringIO()
    demo.seed(stdout=out)
    assert GiftCard.objects.count() == 4 and Invoice.objects.count() == 5
    assert "0 gift cards, 0 invoices, 0 PIX/boleto payments added" in out.getvalue()
    offline = sorted(Payment.objects.exclude(method="invoice").values_list("method", "status"))
    assert offline == [("boleto", "pending"), ("pix", "captured"), ("pix", "captured"), ("pix", "pending")]
    assert giftcard_find(code="demo-gift-0000-0100").balance == Decimal("100.00")
    assert verify_journal() == []


@pytest.mark.django_db
def test_global_search_finds_invoices_for_finance_only(make_user):
    from payments.search import search
    from payments.services import invoice_issue

    invoice = invoice_issue(order_id=make_order().pk, amount=Decimal("10"), currency="BRL", terms_days=30,
                            acting_user=None, reference="s1", customer_name="ACME")
    assert [r.label for r in search(query=invoice.number.lower(), user=make_user("finance"))] == [invoice.number]
    assert search(query=invoice.number, user=make_user("agent")) == []

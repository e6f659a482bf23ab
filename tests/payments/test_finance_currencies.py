"""The trial balance and the AR aging show one currency at a time: money in different currencies is never added."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from payments.ledger import Acct, cr, dr, journal_post
from payments.models import Invoice, Payment
from payments.selectors import ar_aging
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db
D = Decimal


def test_trial_balance_opens_in_the_base_currency_and_names_the_others(role_client):
    """With no currency chosen, 100.00 BRL and 1.500 KWD posted to the bank were shown as one bank balance of
    R$ 101,50."""
    client = role_client("finance")
    journal_post(lines=[dr(Acct.BANK, D("100.00")), cr(Acct.SALES, D("100.00"))], memo="BRL sale", reference="",
                 acting_user=None, currency="BRL", posted_on=date(2026, 3, 1))
    journal_post(lines=[dr(Acct.BANK, D("1.500")), cr(Acct.SALES, D("1.500"))], memo="KWD sale", reference="",
                 acting_user=None, currency="KWD", posted_on=date(2026, 3, 1))
    response = client.get(reverse("payments:trial_balance"))
    assert response.status_code == 200
    assert response.context["currency"] == "BRL"
    assert {r["account"].code: r["debit"] for r in response.context["rows"]} == {Acct.BANK: D("100.00"),
                                                                                  Acct.SALES: D("0")}
    assert response.context["total_debit"] == D("100.00")
    html = response.content.decode()
    assert '<option value="">' not in html  # no "All currencies" choice
    assert "currency=KWD" in html
    kwd = client.get(reverse("payments:trial_balance"), {"currency": "KWD"})
    assert kwd.context["total_debit"] == D("1.500") and "currency=BRL" in kwd.content.decode()
    # an unknown code is not a currency with nothing posted: the page says which one it shows
    assert client.get(reverse("payments:trial_balance"), {"currency": "XYZ"}).context["currency"] == "BRL"


def test_ar_aging_opens_in_the_base_currency_and_names_the_others(role_client):
    client = role_client("finance")
    today = timezone.localdate()
    for currency, amount in [("BRL", "100.00"), ("KWD", "7.250")]:
        order = make_order(amount, currency=currency)
        Invoice.objects.create(number=f"INV-{currency}", order=order, customer_name="ACME", currency=currency,
                               payment=Payment.objects.create(order=order, method="invoice", amount=D(amount),
                                                              currency=currency, idempotency_key=currency),
                               amount=D(amount), issued_on=today - timedelta(days=40),
                               due_on=today - timedelta(days=10))
    response = client.get(reverse("payments:ar_aging"))
    assert response.status_code == 200
    assert response.context["aging"]["totals"]["total"] == D("100.00")
    html = response.content.decode()
    assert '<option value="">' not in html and "currency=KWD" in html
    kwd = client.get(reverse("payments:ar_aging"), {"currency": "KWD"})
    assert kwd.context["aging"]["totals"]["total"] == D("7.250")


def test_ar_aging_buckets_at_their_exact_edges():
    order = make_order("1000.00")
    as_of = date(2026, 5, 31)
    for late in [0, 1, 30, 31, 60, 61, 90, 91]:
        Invoice.objects.create(number=f"INV-E{late}", order=order, customer_name="ACME",
                               payment=Payment.objects.create(order=order, method="invoice", amount=D(1),
                                                              idempotency_key=f"e{late}"),
                               amount=D(late + 1000), issued_on=date(2026, 1, 1),
                               due_on=as_of - timedelta(days=late))
    totals = ar_aging(as_of=as_of, currency="BRL")["totals"]
    assert totals["current"] == D(1000)
    assert totals["1_30"] == D(1001 + 1030)
    assert totals["31_60"] == D(1031 + 1060)
    assert totals["61_90"] == D(1061 + 1090)
    assert totals["90_plus"] == D(1091)

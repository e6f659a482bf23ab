from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from payments.errors import UnbalancedEntry, UnknownAccount
from payments.exports import export_csv
from payments.ledger import Acct, cr, dr, ensure_chart, journal_post, trial_balance, verify_journal
from payments.models import Account, JournalEntry, JournalLine, Payment

pytestmark = pytest.mark.django_db


def test_chart_of_accounts_is_seeded():
    ensure_chart()
    assert Account.objects.filter(code__in=[Acct.BANK, Acct.GIFT_CARDS, Acct.SALES]).count() == 3


def test_standard_accounts_read_in_the_readers_language_until_renamed(role_client):
    """The chart is created in the language of the day; a Portuguese or Arabic reader saw its English names."""
    from django.urls import reverse
    from django.utils import translation

    with translation.override("en"):
        ensure_chart()
    Account.objects.filter(code=Acct.BANK).update(name="Banco Itaú 1234-5")  # renamed by the retailer
    client = role_client("finance")
    journal_post(lines=[dr(Acct.INVENTORY, Decimal("10")), cr(Acct.BANK, Decimal("10"))], memo="Stock bought",
                 reference="test", acting_user=client.user, currency="BRL")
    client.cookies["django_language"] = "pt-br"
    html = client.get(reverse("payments:trial_balance")).content.decode()
    assert f"{Acct.INVENTORY} Estoque" in html and f"{Acct.BANK} Banco Itaú 1234-5" in html
    inventory = Account.objects.get(code=Acct.INVENTORY)
    with translation.override("ar"):
        assert inventory.label == "المخزون"
    with translation.override("pt-br"):
        assert inventory.name == "Inventory" and inventory.label == "Estoque"


def test_journal_post_writes_a_balanced_entry(make_user):
    user = make_user("finance")
    entry = journal_post(lines=[dr(Acct.CARD_CLEARING, Decimal("10.005")),
                                cr(Acct.CUSTOMER_BALANCES, Decimal("10.01"))],
                         memo="Capture", reference="order:1", acting_user=user, currency="BRL")
    lines = list(entry.lines.order_by("id").values_list("account__code", "debit", "credit"))
    assert lines == [("1010", Decimal("10.0100"), Decimal("0")), ("2000", Decimal("0"), Decimal("10.0100"))]
    assert entry.created_by == user
    assert verify_journal() == []


def test_journal_post_accepts_tuples_and_nets_negative_amounts():
    entry = journal_post(lines=[(Acct.BANK, Decimal("-5"), 0), (Acct.SALES, 0, Decimal("-5"))], memo="Reversal",
                         reference="x", acting_user=None)
    assert list(entry.lines.values_list("account__code", "debit", "credit").order_by("id")) == [
        ("1000", Decimal("0"), Decimal("5.0000")), ("4000", Decimal("5.0000"), Decimal("0"))]


def test_unbalanced_entry_is_refused_and_nothing_written():
    with pytest.raises(UnbalancedEntry):
        journal_post(lines=[dr(Acct.BANK, 10), cr(Acct.SALES, 9)], memo="Bad", reference="x", acting_user=None)
    with pytest.raises(UnknownAccount):
        journal_post(lines=[dr("0000", 10), cr(Acct.SALES, 10)], memo="Bad", reference="x", acting_user=None)
    assert JournalEntry.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_database_trigger_refuses_unbalanced_lines_written_directly():
    ensure_chart()  # a transactional test may run after another flushed the seeded chart
    bank, sales = Account.objects.get(code=Acct.BANK), Account.objects.get(code=Acct.SALES)
    with pytest.raises(IntegrityError), transaction.atomic():
        entry = JournalEntry.objects.create(posted_on=date(2026, 1, 5), memo="direct", currency="BRL")
        JournalLine.objects.create(entry=entry, account=bank, debit=Decimal("10"))
        JournalLine.objects.create(entry=entry, account=sales, credit=Decimal("9"))
    assert JournalEntry.objects.count() == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        entry = JournalEntry.objects.create(posted_on=date(2026, 1, 5), memo="both sides", currency="BRL")
        JournalLine.objects.create(entry=entry, account=bank, debit=Decimal("10"), credit=Decimal("10"))
    assert JournalLine.objects.count() == 0


def test_verify_journal_reports_an_unbalanced_entry():
    entry = journal_post(lines=[dr(Acct.BANK, 10), cr(Acct.SALES, 10)], memo="ok", reference="", acting_user=None)
    with connection.cursor() as cursor:  # bypass the deferred trigger inside this test transaction
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE payments_journalline DISABLE TRIGGER payments_journal_entry_balanced")
        cursor.execute("UPDATE payments_journalline SET credit = 9 WHERE entry_id = %s AND credit > 0", [entry.pk])
        cursor.execute("ALTER TABLE payments_journalline ENABLE TRIGGER payments_journal_entry_balanced")
    assert verify_journal() == [f"Journal entry {entry.pk}: 2 line(s), debits 10.0000 != credits 9.0000"]


def test_trial_balance_sums_each_account():
    journal_post(lines=[dr(Acct.CARD_CLEARING, 100), cr(Acct.CUSTOMER_BALANCES, 100)], memo="a", reference="",
                 acting_user=None, posted_on=date(2026, 3, 1))
    journal_post(lines=[dr(Acct.CUSTOMER_BALANCES, 30), cr(Acct.CARD_CLEARING, 30)], memo="b", reference="",
                 acting_user=None, posted_on=date(2026, 3, 2))
    rows = {r["account"].code: (r["debit"], r["credit"], r["balance"]) for r in trial_balance(currency="BRL")}
    assert rows == {"1010": (Decimal("100"), Decimal("30"), Decimal("70")),
                    "2000": (Decimal("30"), Decimal("100"), Decimal("-70"))}
    assert trial_balance(until=date(2026, 3, 1))[0]["balance"] == Decimal("100")


def test_exports_in_three_layouts():
    entry = journal_post(lines=[dr(Acct.BANK, Decimal("12.50"), "deposit"), cr(Acct.CARD_CLEARING, Decimal("12.50"))],
                         memo="Settlement", reference="settle:7", acting_user=None, posted_on=date(2026, 4, 9))
    journal_post(lines=[dr(Acct.BANK, 1), cr(Acct.SALES, 1)], memo="outside", reference="", acting_user=None,
                 posted_on=date(2026, 5, 1))
    span = {"since": date(2026, 4, 1), "until": date(2026, 4, 30)}
    assert export_csv(layout="generic", **span).splitlines() == [
        "entry,date,reference,memo,currency,account,account_name,debit,credit,description",
        f"{entry.pk},2026-04-09,settle:7,Settlement,BRL,1000,Bank,12.50,0.00,deposit",
        f"{entry.pk},2026-04-09,settle:7,Settlement,BRL,1010,Card processor clearing,0.00,12.50,",
    ]
    assert export_csv(layout="dynamics_gp", **span).splitlines() == [
        "BACHNUMB,JRNENTRY,TRXDATE,REFRENCE,CURNCYID,ACTNUMST,DEBITAMT,CRDTAMNT,DSCRIPTN",
        f"OMS260401-0430,{entry.pk},04/09/2026,settle:7,BRL,1000,12.50,0.00,deposit",
        f"OMS260401-0430,{entry.pk},04/09/2026,settle:7,BRL,1010,0.00,12.50,Settlement",
    ]
    assert export_csv(layout="sage50", **span).splitlines() == [
        "Date,Reference,Number of Distributions,G/L Account,Description,Amount",
        f"04/09/26,JE-{entry.pk},2,1000,deposit,12.50",
        f"04/09/26,JE-{entry.pk},2,1010,Settlement,-12.50",
    ]


def test_verify_journal_reports_a_payment_out_of_step_with_its_transactions():
    from tests.payments.factories import make_order

    payment = Payment.objects.create(order=make_order(), method="cod", amount=Decimal("10"),
                                     captured_amount=Decimal("10"), idempotency_key="v1")
    assert verify_journal() == [f"Payment {payment.pk}: captured 10.0000 / refunded 0.0000 but its transactions say "
                                "0 / 0"]

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import PurchaseOrder, PurchaseOrderLine
from oms.models import AuditEntry
from payments.errors import PaymentError
from payments.models import SupplierInvoice
from payments.purchasing import SupplierLineInput, supplier_invoice_approve, supplier_invoice_record, three_way_match
from tests.inventory.factories import LocationFactory, SupplierFactory, VariantFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def po():
    order = PurchaseOrder.objects.create(supplier=SupplierFactory(), location=LocationFactory(), currency="BRL",
                                         status="partially_received")
    shirt, mug = VariantFactory(sku="SHIRT"), VariantFactory(sku="MUG")
    PurchaseOrderLine.objects.create(purchase_order=order, variant=shirt, quantity_ordered=10, quantity_received=10,
                                     unit_cost=D("20.00"))
    PurchaseOrderLine.objects.create(purchase_order=order, variant=mug, quantity_ordered=5, quantity_received=3,
                                     unit_cost=D("8.00"))
    order.shirt, order.mug = shirt, mug
    return order


def test_invoice_matching_order_and_receipt_is_matched(po):
    invoice = supplier_invoice_record(purchase_order_id=po.pk, number="NF-1", invoice_date=date(2026, 5, 1),
                                      lines=[SupplierLineInput(po.shirt.pk, 10, D("20.00")),
                                             SupplierLineInput(po.mug.pk, 3, D("8.00"))], acting_user=None)
    assert (invoice.status, invoice.total) == ("matched", D("224.00"))
    assert all(not row.flags for row in three_way_match(invoice=invoice))


def test_differences_are_flagged_and_can_be_approved_with_a_reason(po, make_user):
    stray = VariantFactory(sku="PEN")
    invoice = supplier_invoice_record(purchase_order_id=po.pk, number="NF-2", invoice_date=date(2026, 5, 1),
                                      lines=[SupplierLineInput(po.shirt.pk, 10, D("21.00")),
                                             SupplierLineInput(po.mug.pk, 5, D("8.00")),
                                             SupplierLineInput(stray.pk, 1, D("2.00"))], acting_user=None)
    assert invoice.status == "differences"
    flags = {row.sku: row.flags for row in three_way_match(invoice=invoice)}
    assert flags == {"SHIRT": ["price"], "MUG": ["over_received"], "PEN": ["not_on_order"]}
    second = supplier_invoice_record(purchase_order_id=po.pk, number="NF-3", invoice_date=date(2026, 5, 2),
                                     lines=[SupplierLineInput(po.shirt.pk, 1, D("20.00"))], acting_user=None)
    assert {r.sku: r.flags for r in three_way_match(invoice=second)}["SHIRT"] == ["over_ordered"]
    with pytest.raises(PaymentError):
        supplier_invoice_approve(invoice_id=invoice.pk, reason=" ", acting_user=None)
    user = make_user("finance")
    supplier_invoice_approve(invoice_id=invoice.pk, reason="price rise agreed", acting_user=user)
    invoice.refresh_from_db()
    assert invoice.status == "approved"
    assert AuditEntry.objects.get(verb="supplier_invoice_approve").reason == "price rise agreed"


def test_duplicate_or_empty_invoices_are_refused(po):
    line = [SupplierLineInput(po.shirt.pk, 1, D("20"))]
    supplier_invoice_record(purchase_order_id=po.pk, number="NF-9", invoice_date=date(2026, 5, 1), lines=line,
                            acting_user=None)
    with pytest.raises(PaymentError) as caught:
        supplier_invoice_record(purchase_order_id=po.pk, number="NF-9", invoice_date=date(2026, 5, 1), lines=line,
                                acting_user=None)
    assert caught.value.code == "duplicate_invoice"
    with pytest.raises(PaymentError) as caught:
        supplier_invoice_record(purchase_order_id=po.pk, number="NF-10", invoice_date=date(2026, 5, 1),
                                lines=[SupplierLineInput(po.shirt.pk, 0, D("20"))], acting_user=None)
    assert caught.value.code == "no_lines"
    assert SupplierInvoice.objects.count() == 1


def test_supplier_invoice_screens(po, role_client):
    client = role_client("finance")
    form = client.get(reverse("payments:supplier_invoice_new"), {"po": po.number})
    assert form.status_code == 200 and b"SHIRT" in form.content
    lines = {line.variant.sku: line.pk for line in po.lines.select_related("variant")}
    response = client.post(reverse("payments:supplier_invoice_new") + f"?po={po.pk}", {
        "po": po.pk, "number": "NF-77", "invoice_date": "2026-05-03", f"qty-{lines['SHIRT']}": "10",
        f"cost-{lines['SHIRT']}": "20.00", f"qty-{lines['MUG']}": "4", f"cost-{lines['MUG']}": "8.00"})
    invoice = SupplierInvoice.objects.get()
    assert response.status_code == 302 and invoice.status == "differences"
    detail = client.get(reverse("payments:supplier_invoice_detail", args=[invoice.pk]))
    assert "Billed for more than was received" in detail.content.decode()
    bad = client.post(reverse("payments:supplier_invoice_new"), {"po": po.pk, "number": "NF-78",
                                                                 f"qty-{lines['SHIRT']}": "x"})
    assert bad.status_code == 400 and SupplierInvoice.objects.count() == 1
    impossible = client.post(reverse("payments:supplier_invoice_new") + f"?po={po.pk}", {
        "po": po.pk, "number": "NF-79", "invoice_date": "2026-02-30", f"qty-{lines['SHIRT']}": "1",
        f"cost-{lines['SHIRT']}": "20.00"})
    assert impossible.status_code == 400
    assert "The date “2026-02-30” does not exist: February 2026 has 28 days." in impossible.content.decode()
    assert SupplierInvoice.objects.count() == 1


def test_an_invoice_billed_before_the_goods_arrived_matches_once_they_are_received(po, make_user):
    """It stayed 'differences' for good, its page showing every line OK beside an 'approve despite differences'."""
    from inventory.services import po_receive
    from oms.models import OutboxMessage
    from oms.outbox import outbox_deliver_message

    early = supplier_invoice_record(purchase_order_id=po.pk, number="NF-1", invoice_date=date(2026, 5, 1),
                                    lines=[SupplierLineInput(po.mug.pk, 5, D("8.00"))], acting_user=None)
    dearer = supplier_invoice_record(purchase_order_id=po.pk, number="NF-2", invoice_date=date(2026, 5, 1),
                                     lines=[SupplierLineInput(po.shirt.pk, 10, D("21.00"))], acting_user=None)
    assert [row.flags for row in three_way_match(invoice=early) if row.billed_here] == [["over_received"]]
    assert (early.status, dearer.status) == ("differences", "differences")
    mugs = po.lines.get(variant=po.mug)
    po_receive(po_id=po.pk, quantities={mugs.pk: 2}, acting_user=make_user("warehouse"))
    message = OutboxMessage.objects.get(topic="inventory.po_received")
    assert outbox_deliver_message(message_id=message.pk) == "done"
    early.refresh_from_db()
    dearer.refresh_from_db()
    assert (early.status, dearer.status) == ("matched", "differences")  # a price difference still needs approval
    assert AuditEntry.objects.get(verb="supplier_invoice_rematch").object_id == str(early.pk)


def test_an_invoice_dated_after_today_or_with_a_number_too_long_is_refused_and_nothing_recorded(po):
    """An invoice dated 2099-11-20 (a typo for 2026) was recorded as it stood, and a number of 41 characters was cut
    to 40 without a word (a second invoice then clashed with a number it did not have)."""
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    lines = [SupplierLineInput(po.shirt.pk, 10, D("20.00"))]
    with pytest.raises(PaymentError) as future:
        supplier_invoice_record(purchase_order_id=po.pk, number="NF-9", invoice_date=today + timedelta(days=1),
                                lines=lines, acting_user=None)
    assert future.value.message == "The invoice date cannot be after today."
    with pytest.raises(PaymentError) as long:
        supplier_invoice_record(purchase_order_id=po.pk, number="N" * 41, invoice_date=today, lines=lines,
                                acting_user=None)
    assert long.value.message == "The supplier's invoice number has at most 40 characters."
    assert not SupplierInvoice.objects.exists()
    assert supplier_invoice_record(purchase_order_id=po.pk, number="N" * 40, invoice_date=today, lines=lines,
                                   acting_user=None).number == "N" * 40


def test_a_refused_invoice_form_keeps_the_date_typed(po, role_client):
    """After a refusal (a price that is no number) the date box came back empty, and sending the form again recorded
    the invoice under today's date instead of the one typed."""
    client = role_client("finance")
    shirt = po.lines.get(variant=po.shirt).pk
    refused = client.post(reverse("payments:supplier_invoice_new") + f"?po={po.pk}", {
        "po": po.pk, "number": "NF-80", "invoice_date": "2026-05-03", f"qty-{shirt}": "10", f"cost-{shirt}": "abc"})
    assert refused.status_code == 400
    assert 'name="invoice_date" value="2026-05-03"' in refused.content.decode()
    assert not SupplierInvoice.objects.exists()


def test_the_invoice_summary_keeps_each_part_whole_in_arabic(po, role_client):
    """In Arabic the summary line read "20 · Acessórios Minas · PO-000003 · 2099 نوفمبر،": the day of the date, a
    number after Latin text, joined the supplier's name and left its month."""
    invoice = supplier_invoice_record(purchase_order_id=po.pk, number="NF-5", invoice_date=date(2026, 5, 20),
                                      lines=[SupplierLineInput(po.shirt.pk, 10, D("20.00"))], acting_user=None)
    client = role_client("finance")
    client.cookies["django_language"] = "ar"
    page = client.get(reverse("payments:supplier_invoice_detail", args=[invoice.pk])).content.decode()
    summary = page.split('id="invoice-summary">')[1].split("</p>")[0]
    assert f"<bdi>{po.number}</bdi> · <bdi>{po.supplier.name}</bdi> · <bdi>20 مايو، 2026</bdi>" in summary

def _entries(reference):
    from payments.models import JournalEntry

    return [{line.account.code: (line.debit, line.credit) for line in entry.lines.select_related("account")}
            for entry in JournalEntry.objects.filter(reference=reference)]


def test_a_supplier_invoice_accepted_puts_the_goods_in_inventory_and_owes_the_supplier(po, make_user):
    """Supplier invoices posted nothing: inventory (1200) was only ever credited, by the cost of every shipment, so
    the trial balance showed it negative and no payable was owed to anybody."""
    from payments.ledger import Acct, trial_balance, verify_journal

    matched = supplier_invoice_record(purchase_order_id=po.pk, number="NF-10", invoice_date=date(2026, 5, 1),
                                      lines=[SupplierLineInput(po.shirt.pk, 10, D("20.00"))], acting_user=None)
    assert _entries(f"supplier_invoice:{matched.pk}") == [
        {Acct.INVENTORY: (D("200.00"), D("0")), Acct.ACCOUNTS_PAYABLE: (D("0"), D("200.00"))}]
    held = supplier_invoice_record(purchase_order_id=po.pk, number="NF-11", invoice_date=date(2026, 5, 1),
                                   lines=[SupplierLineInput(po.mug.pk, 5, D("8.50"))], acting_user=None)
    assert held.status == "differences" and _entries(f"supplier_invoice:{held.pk}") == []  # not owed until accepted
    supplier_invoice_approve(invoice_id=held.pk, reason="price rise agreed", acting_user=make_user("finance"))
    assert _entries(f"supplier_invoice:{held.pk}") == [
        {Acct.INVENTORY: (D("42.50"), D("0")), Acct.ACCOUNTS_PAYABLE: (D("0"), D("42.50"))}]
    balances = {row["account"].code: row["balance"] for row in trial_balance(currency="BRL")}
    assert balances == {Acct.INVENTORY: D("242.50"), Acct.ACCOUNTS_PAYABLE: D("-242.50")}
    assert verify_journal() == []


def test_a_held_supplier_invoice_is_posted_once_the_goods_arrive(po):
    from payments.ledger import Acct
    from payments.purchasing import supplier_invoices_rematch

    held = supplier_invoice_record(purchase_order_id=po.pk, number="NF-12", invoice_date=date(2026, 5, 1),
                                   lines=[SupplierLineInput(po.mug.pk, 5, D("8.00"))], acting_user=None)
    assert _entries(f"supplier_invoice:{held.pk}") == []
    PurchaseOrderLine.objects.filter(purchase_order=po, variant=po.mug).update(quantity_received=5)
    assert supplier_invoices_rematch(purchase_order_id=po.pk) == 1
    assert supplier_invoices_rematch(purchase_order_id=po.pk) == 0
    assert _entries(f"supplier_invoice:{held.pk}") == [
        {Acct.INVENTORY: (D("40.00"), D("0")), Acct.ACCOUNTS_PAYABLE: (D("0"), D("40.00"))}]

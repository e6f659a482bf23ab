"""Purchase-order three-way match: the supplier's invoice against the order and what was received.

Purchase orders and receipts belong to the inventory app; payments reads them through its foreign
keys (no inventory code is imported). A line is flagged when it is not on the order, when the
quantity billed (over all invoices of the order) exceeds what was received or ordered, or when the
unit price differs from the order's.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from oms.audit import audit_record
from oms.i18n import stored_text
from oms.models import AuditEntry
from oms.money import ZERO, quantize
from payments.errors import PaymentError
from payments.ledger import Acct, cr, dr, journal_post
from payments.models import SupplierInvoice, SupplierInvoiceLine

FLAGS = {
    "not_on_order": gettext_lazy("Not on the purchase order"),
    "over_received": gettext_lazy("Billed for more than was received"),
    "over_ordered": gettext_lazy("Billed for more than was ordered"),
    "price": gettext_lazy("Unit price differs from the order"),
}


@dataclass(frozen=True)
class SupplierLineInput:
    variant_id: int
    quantity: int
    unit_cost: Decimal


@dataclass
class MatchRow:
    variant_id: int
    sku: str
    ordered: int = 0
    received: int = 0
    billed_here: int = 0
    billed_total: int = 0
    order_cost: Decimal | None = None
    billed_cost: Decimal | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAGS[f]) for f in self.flags]


def _po_model():
    return SupplierInvoice._meta.get_field("purchase_order").remote_field.model


def three_way_match(*, invoice: SupplierInvoice) -> list[MatchRow]:
    po = invoice.purchase_order
    rows: dict[int, MatchRow] = {}
    for line in po.lines.select_related("variant"):
        rows[line.variant_id] = MatchRow(variant_id=line.variant_id, sku=line.variant.sku,
                                         ordered=line.quantity_ordered, received=line.quantity_received,
                                         order_cost=line.unit_cost)
    totals = dict(SupplierInvoiceLine.objects.filter(invoice__purchase_order=po).values("variant")
                  .annotate(q=Sum("quantity")).values_list("variant", "q"))
    for line in invoice.lines.select_related("variant"):
        row = rows.setdefault(line.variant_id, MatchRow(variant_id=line.variant_id, sku=line.variant.sku))
        row.billed_here, row.billed_cost = line.quantity, line.unit_cost
    for row in rows.values():
        row.billed_total = totals.get(row.variant_id, 0)
        if not row.billed_here:
            continue
        if row.order_cost is None:
            row.flags.append("not_on_order")
            continue
        if row.billed_total > row.ordered:
            row.flags.append("over_ordered")
        elif row.billed_total > row.received:
            row.flags.append("over_received")
        if quantize(row.billed_cost, po.currency) != quantize(row.order_cost, po.currency):
            row.flags.append("price")
    return sorted(rows.values(), key=lambda r: r.sku)


def supplier_invoice_record(*, purchase_order_id: int, number: str, invoice_date: date,
                            lines: list[SupplierLineInput], acting_user) -> SupplierInvoice:
    number = number.strip()
    if not number:
        raise PaymentError(_("Enter the supplier's invoice number."), code="number_required", field="number")
    limit = SupplierInvoice._meta.get_field("number").max_length
    if len(number) > limit:
        raise PaymentError(_("The supplier's invoice number has at most %(max)s characters.") % {"max": limit},
                           code="number_too_long", field="number")
    if invoice_date > timezone.localdate():  # a supplier bills what it has sent: a later date is a typo (2062)
        raise PaymentError(_("The invoice date cannot be after today."), code="future_date", field="invoice_date")
    lines = [line for line in lines if line.quantity]
    if not lines:
        raise PaymentError(_("The invoice has no lines with a quantity."), code="no_lines")
    if any(line.quantity < 0 or line.unit_cost < 0 for line in lines):
        raise PaymentError(_("Quantities and prices cannot be negative."), code="negative")
    po = _po_model().objects.filter(pk=purchase_order_id).first()
    if po is None:
        raise PaymentError(_("No such purchase order."), code="unknown_po", field="purchase_order")
    try:
        with transaction.atomic(durable=True):
            invoice = SupplierInvoice.objects.create(
                purchase_order=po, number=number, invoice_date=invoice_date, currency=po.currency,
                total=sum((quantize(line.unit_cost * line.quantity, po.currency) for line in lines), ZERO),
                created_by=acting_user if getattr(acting_user, "pk", None) else None)
            SupplierInvoiceLine.objects.bulk_create(
                SupplierInvoiceLine(invoice=invoice, variant_id=line.variant_id, quantity=line.quantity,
                                    unit_cost=line.unit_cost) for line in lines)
            differences = any(row.flags for row in three_way_match(invoice=invoice))
            _supplier_invoice_transition(
                invoice, to=SupplierInvoice.Status.DIFFERENCES if differences else SupplierInvoice.Status.MATCHED,
                acting_user=acting_user)
            audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=invoice, verb="supplier_invoice",
                         changes={"total": str(invoice.total), "status": invoice.status})
    except IntegrityError:
        raise PaymentError(_("Invoice %(number)s is already recorded for this purchase order.") % {"number": number},
                           code="duplicate_invoice", field="number")
    return invoice


ACCEPTED = (SupplierInvoice.Status.MATCHED, SupplierInvoice.Status.APPROVED)


def _supplier_invoice_transition(invoice: SupplierInvoice, *, to: str, acting_user) -> None:
    """The one place a supplier invoice's status changes. Accepted (matched, or its differences approved), the goods
    it bills enter inventory at what it bills and the supplier is owed that: Dr 1200 / Cr 2300, once."""
    accepted_before = invoice.status in ACCEPTED
    invoice.status = to
    invoice.save(update_fields=["status"])
    if to in ACCEPTED and not accepted_before and invoice.total > 0:
        journal_post(lines=[dr(Acct.INVENTORY, invoice.total), cr(Acct.ACCOUNTS_PAYABLE, invoice.total)],
                     memo=stored_text(gettext_noop("Supplier invoice %(number)s"), number=invoice.number),
                     reference=f"supplier_invoice:{invoice.pk}", currency=invoice.currency,
                     acting_user=acting_user)


def supplier_invoices_rematch(*, purchase_order_id: int, acting_user=None) -> int:
    """Goods received after the supplier's invoice: an invoice held for billing more than had arrived matches once
    the receipts cover it (called when the purchase order is received). Only invoices with differences are looked
    at; a matched or approved one stays as it is. Returns how many now match."""
    matched = 0
    with transaction.atomic(durable=True):
        invoices = (SupplierInvoice.objects.select_for_update().select_related("purchase_order")
                    .filter(purchase_order_id=purchase_order_id, status=SupplierInvoice.Status.DIFFERENCES)
                    .order_by("pk"))
        for invoice in invoices:
            if any(row.flags for row in three_way_match(invoice=invoice)):
                continue
            _supplier_invoice_transition(invoice, to=SupplierInvoice.Status.MATCHED, acting_user=acting_user)
            audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=invoice,
                         verb="supplier_invoice_rematch", changes={"status": ["differences", "matched"]})
            matched += 1
    return matched


def supplier_invoice_approve(*, invoice_id: int, reason: str, acting_user) -> SupplierInvoice:
    """Accepts an invoice with differences (e.g. a price rise agreed by phone); audited with the reason."""
    if not reason.strip():
        raise PaymentError(_("Say why the differences are accepted."), code="reason_required", field="reason")
    with transaction.atomic(durable=True):
        invoice = SupplierInvoice.objects.select_for_update().filter(pk=invoice_id).first()
        if invoice is None:
            raise PaymentError(_("No such supplier invoice."), code="unknown_invoice")
        if invoice.status == SupplierInvoice.Status.APPROVED:
            raise PaymentError(_("Invoice %(number)s is already approved.") % {"number": invoice.number},
                               code="already_approved")
        if invoice.status != SupplierInvoice.Status.DIFFERENCES:
            raise PaymentError(_("Invoice %(number)s matches the purchase order: there is nothing to approve.")
                               % {"number": invoice.number}, code="nothing_to_approve")
        _supplier_invoice_transition(invoice, to=SupplierInvoice.Status.APPROVED, acting_user=acting_user)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=invoice,
                     verb="supplier_invoice_approve", changes={"status": ["differences", "approved"]},
                     reason=reason)
    return invoice

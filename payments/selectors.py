"""Read queries for views, the orders app and reports."""

from datetime import date
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from oms.money import ZERO
from payments.models import Invoice, InvoiceMovement, Payment, PaymentTransaction
from payments.services import SETTLEMENT_REFUND, settle_to_amount  # noqa: F401 - the orders app looks for it here too

LIVE = [Payment.Status.PENDING, Payment.Status.AUTHORIZED, Payment.Status.PARTIALLY_CAPTURED,
        Payment.Status.CAPTURED, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED]


def payment_search(text: str) -> Q:
    """What the payment list's search box finds: the order number, a processor reference (the authorization's, or
    a capture's or refund's as a settlement file names it), or the last four of the card or gift card."""
    text = text.strip()
    found = (Q(order__number__iexact=text) | Q(gateway_reference=text)
             | Q(pk__in=PaymentTransaction.objects.filter(gateway_reference=text).values("payment_id")))
    last4 = text.lstrip("•*· ")
    if len(last4) == 4:  # not the end of an order number or reference
        found |= Q(card_last4__iexact=last4) | Q(gift_card__last4__iexact=last4)
    return found


def order_payments(*, order_id: int):
    return (Payment.objects.filter(order_id=order_id).select_related("gift_card")
            .prefetch_related("transactions", "invoices"))


def order_payment_summary(*, order_id: int) -> dict:
    """Totals for the order page and for the orders app's decisions (all Decimals)."""
    payments = list(Payment.objects.filter(order_id=order_id, status__in=LIVE))
    summary = {
        "authorized": sum((p.amount for p in payments if p.status != Payment.Status.PENDING), ZERO),
        "pending": sum((p.amount for p in payments if p.status == Payment.Status.PENDING), ZERO),
        "captured": sum((p.captured_amount for p in payments), ZERO),
        "refunded": sum((p.refunded_amount for p in payments), ZERO),
        "capturable": sum((Decimal(p.capturable) for p in payments), ZERO),
    }
    summary["net_paid"] = summary["captured"] - summary["refunded"]
    # Only the refunds that followed a lower total (an edit, a cancellation: ``settle_to_amount``) take money off
    # what covers the order. A return's refund, a gift card's or one given by hand (goodwill) leaves the total as it
    # was and nobody owes it back: counted, a refunded return read "still to pay" for the money given back.
    settled = PaymentTransaction.objects.filter(
        payment__in=[p.pk for p in payments], kind=PaymentTransaction.Kind.REFUND,
        result=PaymentTransaction.Result.SUCCESS, reference__startswith=SETTLEMENT_REFUND,
    ).aggregate(s=Sum("amount"))["s"] if summary["refunded"] else ZERO
    summary["covered"] = summary["authorized"] + summary["pending"] - (settled or ZERO)
    return summary


def customer_open_balance(*, order_ids) -> Decimal:
    """What invoices of these orders still owe (for a credit-limit check by the orders app)."""
    open_invoices = Invoice.objects.filter(order_id__in=order_ids, status=Invoice.Status.OPEN)
    totals = open_invoices.aggregate(a=Sum("amount"), p=Sum("paid_amount"), c=Sum("credited_amount"))
    return (totals["a"] or ZERO) - (totals["p"] or ZERO) - (totals["c"] or ZERO)


def customer_open_invoices(*, customer_id: int) -> Decimal:
    """What a customer's open invoices still owe plus invoice payments authorized but not yet billed."""
    owed = customer_open_balance(order_ids=Invoice.objects.filter(order__customer_id=customer_id)
                                 .values("order_id"))
    unbilled = (Payment.objects.filter(order__customer_id=customer_id, method=Payment.Method.INVOICE,
                                       status=Payment.Status.AUTHORIZED).aggregate(s=Sum("amount"))["s"] or ZERO)
    return owed + unbilled


AGING_BUCKETS = [("current", None, 0), ("1_30", 1, 30), ("31_60", 31, 60), ("61_90", 61, 90), ("90_plus", 91, None)]


def _owed_on(as_of: date):
    """Invoices that owed something on ``as_of``: open now, or paid or credited after that day."""
    later = InvoiceMovement.objects.filter(invoice=OuterRef("pk"), on__gt=as_of)
    return (Invoice.objects.filter(Q(status=Invoice.Status.OPEN) | Exists(later), issued_on__lte=as_of)
            .exclude(status=Invoice.Status.VOID))


def ar_aging_currencies(*, as_of: date) -> set[str]:
    """The currencies of the invoices an aging as of that day may list (each is aged on its own)."""
    return set(_owed_on(as_of).values_list("currency", flat=True).distinct())


def ar_aging(*, as_of: date | None = None, currency: str | None = None) -> dict:
    """Invoices open on ``as_of`` by days past due: current, 1-30, 31-60, 61-90, 90+; per customer and in total.

    As of a past day an invoice owes what it owed then: the payments and credit notes after that day are added
    back, and an invoice paid since is still listed.
    """
    as_of = as_of or timezone.localdate()
    later = InvoiceMovement.objects.filter(invoice=OuterRef("pk"), on__gt=as_of)
    invoices = (
        _owed_on(as_of)
        .annotate(later=Coalesce(Subquery(later.values("invoice").annotate(s=Sum("amount")).values("s")), ZERO))
        .order_by("due_on", "id")
    )
    if currency:
        invoices = invoices.filter(currency=currency)
    rows: dict[tuple, dict] = {}
    totals = dict.fromkeys([b[0] for b in AGING_BUCKETS], ZERO) | {"total": ZERO}
    invoices = invoices.annotate(customer_id=F("order__customer_id"))
    for invoice in invoices.only("customer_name", "amount", "paid_amount", "credited_amount", "due_on", "currency"):
        owed = invoice.open_amount + invoice.later
        if owed <= 0:
            continue
        late = (as_of - invoice.due_on).days
        bucket = next(name for name, low, high in AGING_BUCKETS
                      if (low is None and late <= 0)
                      or (low is not None and late >= low and (high is None or late <= high)))
        # one row a customer (two of the same name are two rows); an order without a customer, one row a name
        key = (invoice.customer_id, "" if invoice.customer_id else invoice.customer_name)
        row = rows.setdefault(key, dict.fromkeys(totals, ZERO) | {"customer": invoice.customer_name or "—",
                                                                  "customer_id": invoice.customer_id})
        row[bucket] += owed
        row["total"] += owed
        totals[bucket] += owed
        totals["total"] += owed
    return {"as_of": as_of, "rows": sorted(rows.values(), key=lambda r: -r["total"]), "totals": totals,
            "buckets": [b[0] for b in AGING_BUCKETS]}

"""Demo data: the chart of accounts, a few gift cards with known codes, and open B2B invoices."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from payments.giftcards import giftcard_find, giftcard_issue
from payments.ledger import ensure_chart
from payments.models import Invoice, Payment

DEMO_CARDS = [
    ("DEMO-GIFT-0000-0050", Decimal("50.00"), "gift_card", "sale"),
    ("DEMO-GIFT-0000-0100", Decimal("100.00"), "gift_card", "sale"),
    ("DEMO-GIFT-0000-0250", Decimal("250.00"), "gift_card", "promotion"),
    ("DEMO-CRED-0000-0030", Decimal("30.00"), "store_credit", "goodwill"),
]
# (days the invoice is past due, amount): fills every AR aging bucket.
DEMO_INVOICES = [(-10, Decimal("1200.00")), (12, Decimal("830.50")), (40, Decimal("2100.00")),
                 (70, Decimal("640.00")), (120, Decimal("415.90"))]


def seed(*, stdout) -> None:
    created_accounts = ensure_chart()
    cards = 0
    for code, amount, kind, source in DEMO_CARDS:
        if giftcard_find(code=code) is None:
            giftcard_issue(amount=amount, kind=kind, source=source, code=code, reference="demo",
                           expires_on=timezone.localdate() + timedelta(days=365), acting_user=None)
            cards += 1
    invoices = _seed_invoices()
    payments = _seed_offline_payments()
    stdout.write(f"Payments: {created_accounts} accounts, {cards} gift cards, {invoices} invoices, "
                 f"{payments} PIX/boleto payments added. "
                 f"Demo gift card codes: {', '.join(code for code, *_rest in DEMO_CARDS)}. "
                 "Sandbox test card: 4111 1111 1111 1111 (any future expiry, any CVC); 4000 0000 0000 0002 declines; "
                 "4000 0566 5566 5556 is a debit card (refused in installments).")


def _seed_invoices() -> int:
    from payments.services import invoice_issue

    if Invoice.objects.filter(payment__idempotency_key__contains=":demo:").exists():
        return 0
    order_model = Payment._meta.get_field("order").remote_field.model
    placed = order_model.objects.exclude(number="").filter(total__gt=0)
    orders = list(placed.filter(payment_method="invoice").order_by("id")[: len(DEMO_INVOICES)])
    if len(orders) < len(DEMO_INVOICES):
        orders += list(placed.exclude(pk__in=[o.pk for o in orders]).order_by("id")[: len(DEMO_INVOICES) - len(orders)])
    names = ["Atacado Paulista Ltda", "Comercial Rio Verde", "Lojas Horizonte", "Distribuidora Sul", "Mercado Norte"]
    today = timezone.localdate()
    for (late, amount), order, name in zip(DEMO_INVOICES, orders, names, strict=False):
        invoice = invoice_issue(order_id=order.pk, amount=amount, currency=order.currency, terms_days=30,
                                acting_user=None, reference=f"demo:{order.pk}", customer_name=name)
        Invoice.objects.filter(pk=invoice.pk).update(due_on=today - timedelta(days=late),
                                                     issued_on=today - timedelta(days=late + 30))
    return len(orders)


def _seed_offline_payments(limit: int = 60) -> int:
    """PIX and boleto payments for demo orders that chose them (two PIX in three already received)."""
    from payments.services import payment_authorize, payment_confirm

    if Payment.objects.filter(idempotency_key__startswith="demo:").exists():
        return 0
    order_model = Payment._meta.get_field("order").remote_field.model
    orders = (order_model.objects.exclude(number="")
              .filter(total__gt=0, currency="BRL", payment_method__in=["pix", "boleto"])
              .exclude(payments__isnull=False).order_by("id")[:limit])
    count = 0
    for index, order in enumerate(orders):
        payment = payment_authorize(order_id=order.pk, method=order.payment_method, amount=order.total,
                                    currency=order.currency, idempotency_key=f"demo:{order.pk}", acting_user=None)
        if payment.method == Payment.Method.PIX and index % 3:
            payment_confirm(payment_id=payment.pk, reference=f"E{order.pk:010d}", acting_user=None)
        count += 1
    return count

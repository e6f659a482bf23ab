"""A customer's requests about their personal data (LGPD art. 18): a copy of it, and its erasure.

Erasure anonymizes instead of deleting: orders, payments and stock movements stay for the accounts (their
amounts, SKUs, dates and regions), while what identifies the person goes from every place this system copies
it to: the customer record and addresses, the orders' contact details, address snapshots, notes and
personalizations, the history and audit texts that quote them, returns' notes and delivery reports, channel import
rows, saved cards, segment lists and queued e-mails. Issued invoices keep the buyer's name: they are fiscal
records the law requires us to keep.
"""

import re
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.audit import audit_record
from oms.mail import TOPIC as EMAIL_TOPIC
from oms.models import AuditEntry
from oms.templatetags.oms_tags import money
from orders.errors import OrderError
from orders.models import Address, Customer, Order, OrderEvent, OrderLine, new_tracking_token
from orders.services.core import save_rows
from orders.validators import format_phone, format_tax_id

S = Order.Status

# Orders in these states have nothing left to ship to the person (a later return refers to the order, not to them).
FINISHED = (S.DELIVERED, S.COMPLETED, S.PARTIALLY_RETURNED, S.RETURNED, S.CANCELLED)
OPEN_ORDERS_NAMED = 10
# What an anonymized order keeps of its addresses: the region, for tax and the reports.
KEPT_ADDRESS_PARTS = ("city", "state", "country")
ERASED = "—"
# Shorter values (a house number, "SP") are too common to take out of free text without taking other words too.
MIN_QUOTED_LENGTH = 5


class ErasureRefused(OrderError):
    code = "erasure_refused"


def customer_personal_data(*, customer_id: int, acting_user) -> dict[str, Any]:
    """Everything this system keeps about the customer as a person, for the customer (JSON-ready)."""
    from marketing.models import Segment
    from orders.fulfilment.models import Return
    from payments.models import Payment, SavedCard

    customer = Customer.objects.get(pk=customer_id)
    orders = list(Order.objects.filter(customer=customer).exclude(status=S.DRAFT).select_related("channel")
                  .prefetch_related("lines").order_by("placed_at", "pk"))
    data = {
        "exported_at": timezone.now().isoformat(),
        "customer": {
            "id": customer.pk, "kind": customer.kind, "name": customer.name, "email": customer.email,
            "phone": customer.phone, "phone_alt": customer.phone_alt, "tax_country": customer.tax_country,
            "tax_id": customer.tax_id, "language": customer.language, "notes": customer.notes,
            "marketing_consent": customer.marketing_consent,
            "consent_at": customer.consent_at.isoformat() if customer.consent_at else None,
            "created_at": customer.created_at.isoformat(),
        },
        "addresses": [{name: getattr(a, name) for name in ("kind", "label", *Address.SNAPSHOT_FIELDS)}
                      for a in customer.addresses.all()],
        "orders": [{
            "number": o.number, "channel": o.channel.name, "status": o.status,
            "placed_at": o.placed_at.isoformat() if o.placed_at else None, "email": o.email, "phone": o.phone,
            "shipping_address": o.shipping_address, "billing_address": o.billing_address, "notes": o.notes,
            "currency": o.currency, "total": str(o.total),
            "lines": [{"sku": line.sku, "name": line.name, "quantity": line.quantity,
                       "line_total": str(line.line_total), "personalization": line.personalization}
                      for line in o.lines.all()],
        } for o in orders],
        "payments": [{
            "order": p.order.number, "method": p.method, "status": p.status, "amount": str(p.amount),
            "currency": p.currency, "card": f"{p.card_brand} {p.card_last4}".strip(),
        } for p in Payment.objects.filter(order__customer=customer).select_related("order").order_by("pk")],
        # What people wrote about them: notes on their orders' timelines and on their returns.
        "order_notes": [{
            "order": e.order.number, "at": e.created_at.isoformat(), "text": e.reason,
        } for e in OrderEvent.objects.filter(order__in=orders, kind=OrderEvent.Kind.NOTE, reason_params__isnull=True)
            .exclude(reason="").select_related("order").order_by("created_at", "pk")],
        "returns": [{
            "return": str(rma), "order": rma.order.number, "status": rma.status,
            "requested_at": rma.created_at.isoformat(), "note": rma.note,
            "refund_amount": str(rma.refund_amount), "refund_method": rma.refund_method,
        } for rma in Return.objects.filter(order__in=orders).select_related("order").order_by("created_at", "pk")],
        "saved_cards": [str(card) for card in SavedCard.objects.filter(customer=customer, is_active=True)],
        "segments": sorted(Segment.objects.filter(members__customer_id=customer.pk).values_list("name", flat=True)),
    }
    audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, obj=customer, verb="customer_data_export",
                 changes={"orders": len(orders)})
    return data


def customer_erase(*, customer_id: int, reason: str, acting_user) -> Customer:
    """Anonymizes the customer everywhere (see the module); refused while an order still has something to ship
    or an invoice is unpaid. All or nothing."""
    from marketing.models import SegmentMember
    from oms.models import OutboxMessage
    from orders.channels.models import IdempotencyRecord, ImportRow
    from orders.fulfilment.models import Return, Shipment, ShipmentEvent
    from payments.models import Payment, SavedCard
    from payments.selectors import customer_open_invoices

    reason = (reason or "").strip()
    if not reason:
        raise ErasureRefused(_("Give the reason for the erasure (e.g. the customer's request and its date)."),
                             field="reason")
    with transaction.atomic(durable=True):
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        if customer.erased_at:
            raise ErasureRefused(_("This customer's personal data was already erased."))
        open_orders = list(Order.objects.filter(customer=customer).exclude(status__in=FINISHED)
                           .order_by("pk").values_list("number", "status"))
        if open_orders:
            names = ", ".join(f"{number or _('draft')} ({S(status).label})"
                              for number, status in open_orders[:OPEN_ORDERS_NAMED])
            if len(open_orders) > OPEN_ORDERS_NAMED:
                names = _("%(orders)s and %(n)s more") % {"orders": names, "n": len(open_orders) - OPEN_ORDERS_NAMED}
            raise ErasureRefused(_("Finish, cancel or discard these orders first: %(orders)s.") % {"orders": names})
        owed = customer_open_invoices(customer_id=customer.pk)
        if owed > 0:
            raise ErasureRefused(_("The customer still owes %(amount)s on invoices: the debt must be settled "
                                   "first.") % {"amount": money(owed, customer.currency)})

        quoted = _quoted_values(customer)
        orders = Order.objects.filter(customer=customer)
        order_ids = list(orders.values_list("pk", flat=True))
        addresses = {customer.email, *orders.values_list("email", flat=True)} - {""}
        scrubbed = list(orders.only("pk", "shipping_address", "billing_address"))
        for order in scrubbed:
            order.email = order.phone = order.notes = ""
            order.tracking_token = new_tracking_token()
            order.shipping_address = _region_only(order.shipping_address)
            order.billing_address = _region_only(order.billing_address)
        save_rows(Order, scrubbed, ["email", "phone", "notes", "tracking_token", "shipping_address", "billing_address"])
        OrderLine.objects.filter(order_id__in=order_ids).exclude(personalization={}).update(personalization={})
        _scrub_rows(OrderEvent.objects.filter(order_id__in=order_ids), ["reason", "reason_params", "data"], quoted)
        _scrub_rows(ImportRow.objects.filter(order_id__in=order_ids), ["raw", "fixed", "error"], quoted)
        _scrub_rows(Return.objects.filter(order_id__in=order_ids), ["note"], quoted)
        _scrub_rows(Shipment.objects.filter(order_id__in=order_ids), ["failure_reason"], quoted)
        _scrub_rows(ShipmentEvent.objects.filter(shipment__order_id__in=order_ids), ["reason", "reason_params", "data"],
                    quoted)
        # the intake API's stored first answers (replayed on a retried key) hold the customer's name and e-mail
        _scrub_rows(IdempotencyRecord.objects.filter(response_body__customer__id=customer.pk), ["response_body"],
                    quoted)
        _scrub_rows(AuditEntry.objects.filter(
            Q(object_type="orders.customer", object_id=str(customer.pk))
            | Q(object_type="orders.address", object_id__in=[str(a) for a in
                                                             customer.addresses.values_list("pk", flat=True)])
            | Q(object_type="orders.order", object_id__in=[str(pk) for pk in order_ids])),
            ["object_repr", "changes", "reason"], quoted)
        payments = list(Payment.objects.filter(order_id__in=order_ids, instructions__has_key="customer_name")
                        .only("pk", "instructions"))
        for payment in payments:
            payment.instructions = {**payment.instructions, "customer_name": ERASED}
        save_rows(Payment, payments, ["instructions"])
        for address in addresses:  # e-mails queued to the customer or to an order's own address
            OutboxMessage.objects.filter(topic=EMAIL_TOPIC, payload__to__contains=[address]).delete()
        SavedCard.objects.filter(customer=customer).delete()
        SegmentMember.objects.filter(customer_id=customer.pk).delete()
        customer.addresses.all().delete()

        customer.name = f"#{customer.pk}"
        customer.email = customer.phone = customer.phone_alt = customer.tax_id = customer.notes = ""
        customer.language = ""
        customer.marketing_consent, customer.consent_at = False, None
        customer.is_active = False
        customer.erased_at = timezone.now()
        customer.save()
        audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, obj=customer, verb="customer_erase",
                     changes={"orders": len(order_ids)}, reason=reason)
    return customer


def _quoted_values(customer: Customer) -> list[str]:
    """The customer's identifying values that history texts may quote, longest first."""
    values = {customer.name, customer.email, customer.tax_id, format_tax_id(customer.tax_id)}
    phones = {customer.phone, customer.phone_alt}
    for address in customer.addresses.all():
        values |= {address.recipient, address.street, address.complement, address.postal_code}
        phones.add(address.phone)
    for email, phone, shipping, billing in Order.objects.filter(customer=customer).values_list(
            "email", "phone", "shipping_address", "billing_address"):
        values.add(email)  # an order may carry contact details of its own
        phones.add(phone)
        for snapshot in (shipping or {}, billing or {}):
            values |= {str(snapshot.get(k) or "") for k in ("recipient", "street", "complement", "postal_code")}
            phones.add(str(snapshot.get("phone") or ""))
    # Tax ids and phones also as people write them and the pages show them: a CPF with its dots, +55 11 98765-4321.
    values |= phones | {format_phone(phone) for phone in phones}
    return sorted((v.strip() for v in values if len(v.strip()) >= MIN_QUOTED_LENGTH), key=len, reverse=True)


def _region_only(address: dict | None) -> dict:
    return {k: v for k, v in (address or {}).items() if k in KEPT_ADDRESS_PARTS}


def _scrub(value, pattern: re.Pattern):
    """``value`` (text or JSON) with every quoted value replaced by ``ERASED``."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, pattern) for key, item in value.items()}
    return value


def _scrub_rows(rows, fields: list[str], quoted: list[str]) -> None:
    if not quoted:
        return
    pattern = re.compile("|".join(re.escape(v) for v in quoted), re.IGNORECASE)
    changed_rows = []
    for row in rows.only("pk", *fields):
        changed = False
        for name in fields:
            value = _scrub(getattr(row, name), pattern)
            if value != getattr(row, name):
                setattr(row, name, value)
                changed = True
        if changed:
            changed_rows.append(row)
    save_rows(rows.model, changed_rows, fields)  # one UPDATE for every row that quoted the customer

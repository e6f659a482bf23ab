"""E-mails to customers about their orders: confirmed, ready for pick-up, on its way, cancelled.

Written by the worker from the order's status-change notice (``orders.channel_status``), in the customer's
language (``Order.customer_language``), for channels that do not tell their customers themselves
(``Channel.notify_customers``: a web shop or marketplace usually does). A notice delivered twice sends one e-mail.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from oms.i18n import StoredDate, StoredMoney, StoredText, stored_join, stored_text
from oms.mail import absolute_url, email_enqueue, recipient
from orders.events import order_event
from orders.models import Order, OrderEvent

S = Order.Status
ACCEPTED_FROM = {S.PLACED, S.ON_HOLD}  # the first time an order is accepted (not e.g. backordered -> confirmed)


def order_status_notice(*, order_id: int, status: str, previous: str, notice_id: int) -> int:
    """E-mails the customer about this status change when it is news to them; returns how many were queued."""
    order = Order.objects.select_related("channel", "customer").filter(pk=order_id).first()
    if order is None or not order.email or not order.channel.notify_customers:
        return 0
    key = f"order-notice:{notice_id}"  # the same notice delivered twice
    if status in (S.CONFIRMED, S.BACKORDERED) and previous in ACCEPTED_FROM:
        subject, body = _accepted(order)
        key = f"order-accepted:{order.pk}"  # once per order: a confirmed order held again after an edit, then
        # approved, leaves "on hold" as a new one does
    elif status in (S.PARTIALLY_SHIPPED, S.SHIPPED):
        if not _on_the_road(order).exists():
            return 0  # collected at the store: the customer has it in hand, nothing is on its way
        subject, body = _shipped(order)
    elif status == S.CANCELLED:
        subject, body = _cancelled(order)
    else:
        return 0
    return email_customer(order, subject=subject, body=body, key=key)


def email_customer(order: Order, *, subject: StoredText, body: StoredText, key: str = "") -> int:
    """Queues an e-mail to the order's customer in their language and notes it in the order's history (so the
    agent the customer calls knows what they were told); returns how many were queued."""
    with transaction.atomic():
        queued = email_enqueue(to=recipient(order.email, order.customer_language), subject=subject, body=body,
                               key=key)
        if queued:
            order_event(order=order, kind=OrderEvent.Kind.NOTE, reason=stored_text(
                gettext_noop("E-mailed to %(email)s: %(subject)s"), email=order.email, subject=subject))
    return queued


def tracking_url(order: Order) -> str:
    return absolute_url("orders:tracking", token=order.tracking_token)


def _hello(order: Order) -> StoredText:
    name = order.customer.name if order.customer_id else ""
    return stored_text(gettext_noop("Hello %(name)s,"), name=name) if name else stored_text(gettext_noop("Hello,"))


def _accepted(order: Order) -> tuple[StoredText, StoredText]:
    lines = [stored_text(gettext_noop("%(quantity)s × %(name)s: %(amount)s"), quantity=line.quantity,
                         name=line.name or line.sku, amount=StoredMoney(line.line_total, order.currency))
             for line in order.lines.exclude(status="cancelled").order_by("position")]
    if order.shipping_total:  # the lines' totals and the shipping make the total
        lines.append(stored_text(gettext_noop("Shipping: %(amount)s"),
                                 amount=StoredMoney(order.shipping_total, order.currency)))
    paragraphs = [
        _hello(order),
        stored_text(gettext_noop("Thank you: we have your order %(number)s."), number=order.number),
        stored_join("\n", lines),
        stored_text(gettext_noop("Total: %(total)s"), total=StoredMoney(order.total, order.currency)),
    ]
    if order.promised_date:
        paragraphs.append(stored_text(gettext_noop("Expected by %(date)s."),
                                      date=StoredDate(order.promised_date, "DATE_FORMAT")))
    paragraphs.append(stored_text(gettext_noop("Follow it here: %(url)s"), url=tracking_url(order)))
    return stored_text(gettext_noop("Your order %(number)s"), number=order.number), stored_join("\n\n", paragraphs)


def _on_the_road(order: Order):
    """The order's parcels handed to a carrier (not a pick-up the customer collected at the counter)."""
    return order.shipments.filter(shipped_at__isnull=False, picked_up_at__isnull=True)


def _shipped(order: Order) -> tuple[StoredText, StoredText]:
    shipments = [_shipment(s) for s in _on_the_road(order).order_by("shipped_at", "pk")]
    news = gettext_noop("All of your order %(number)s is on its way.") if order.status == S.SHIPPED \
        else gettext_noop("Part of your order %(number)s is on its way; the rest follows.")
    body = stored_join("\n\n", [
        _hello(order), stored_text(news, number=order.number), stored_join("\n", shipments),
        stored_text(gettext_noop("Follow it here: %(url)s"), url=tracking_url(order))])
    return stored_text(gettext_noop("Your order %(number)s is on its way"), number=order.number), body


def _shipment(shipment) -> StoredText:
    carrier = shipment.carrier or shipment.service
    if shipment.tracking_number:
        return stored_text(gettext_noop("%(carrier)s, tracking number %(tracking)s"), carrier=carrier,
                           tracking=shipment.tracking_number)
    return stored_text(gettext_noop("Handed to %(carrier)s"), carrier=carrier)


def pickup_ready_email(order: Order, shipment) -> dict[str, StoredText]:
    """The subject and body telling the customer the order waits at the store (its address, until when)."""
    store = shipment.location
    address = ", ".join(part for part in (store.address_line1, store.address_line2, store.city, store.state) if part)
    body = [_hello(order), stored_text(
        gettext_noop("Your order %(number)s is waiting at %(store)s until %(until)s."), number=order.number,
        store=store.name, until=StoredDate(timezone.localdate(shipment.expires_at), "SHORT_DATE_FORMAT"))]
    if address:
        body.append(address)
    body.append(stored_text(gettext_noop("Follow it here: %(url)s"), url=tracking_url(order)))
    return {"subject": stored_text(gettext_noop("Order %(number)s is ready for pick-up"), number=order.number),
            "body": stored_join("\n\n", body)}


def _cancelled(order: Order) -> tuple[StoredText, StoredText]:
    body = stored_join("\n\n", [
        _hello(order),
        stored_text(gettext_noop("Your order %(number)s was cancelled."), number=order.number),
        stored_text(gettext_noop("Anything you paid for it is returned the way you paid.")),
    ])
    return stored_text(gettext_noop("Your order %(number)s was cancelled"), number=order.number), body

"""E-mails to customers about their orders: confirmed, how to pay (PIX, boleto), ready for pick-up, on its way,
delivered, cancelled, return received, refund made.

In the customer's language (``Order.customer_language``), for channels that do not tell their customers themselves
(``Channel.notify_customers``: a web shop or marketplace usually does). Status changes are written by the worker
from the order's status-change notice (``orders.channel_status``), a refund from the payment's change notice
(``payments.events``), a delivery and a return received in the transaction that records them. Each e-mail has a
key naming its cause: a notice delivered twice, or a retried refund, sends one e-mail. No e-mail carries card data
(a card is named by its last four digits).
"""

from datetime import datetime

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
    if order is None or not tells_customer(order):
        return 0
    news = _status_news(order, status, previous, key=f"order-notice:{notice_id}")  # key: the notice delivered twice
    queued = email_customer(order, subject=news[0], body=news[1], key=news[2]) if news else 0
    if previous == S.PLACED:  # just placed: how to pay what is still to pay (PIX, boleto), after the thanks
        queued += payment_instructions_notice(order)
    return queued


def _status_news(order: Order, status: str, previous: str, *, key: str
                 ) -> tuple[StoredText, StoredText, str] | None:
    """The subject, body and key of the e-mail this status change is worth, if any."""
    if status in (S.CONFIRMED, S.BACKORDERED) and previous in ACCEPTED_FROM:
        # Once per order: a confirmed order held again after an edit, then approved, leaves "on hold" as a new
        # one does.
        return *_accepted(order), f"order-accepted:{order.pk}"
    if status in (S.PARTIALLY_SHIPPED, S.SHIPPED) and _on_the_road(order).exists():
        # (collected at the store: the customer has it in hand, nothing is on its way)
        return *_shipped(order), key
    if status == S.CANCELLED:
        return *_cancelled(order), key
    return None


def tells_customer(order: Order) -> bool:
    """Whether the customer hears from us about this order: they gave an e-mail, and the channel does not tell its
    customers itself."""
    return bool(order.email) and order.channel.notify_customers


def email_customer(order: Order, *, subject: StoredText, body: StoredText, key: str = "", codes=()) -> int:
    """Queues an e-mail to the order's customer in their language and notes it in the order's history (so the
    agent the customer calls knows what they were told); returns how many were queued. ``codes``: lines the
    customer copies whole (``oms.mail.right_to_left``)."""
    with transaction.atomic():
        queued = email_enqueue(to=recipient(order.email, order.customer_language), subject=subject, body=body,
                               key=key, codes=codes)
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
    if installments := _card_installments(order):
        paragraphs.append(installments)
    if order.promised_date:
        paragraphs.append(stored_text(gettext_noop("Expected by %(date)s."),
                                      date=StoredDate(order.promised_date, "DATE_FORMAT")))
    paragraphs.append(stored_text(gettext_noop("Follow it here: %(url)s"), url=tracking_url(order)))
    return stored_text(gettext_noop("Your order %(number)s"), number=order.number), stored_join("\n\n", paragraphs)


def _card_installments(order: Order) -> StoredText | None:
    """How the card paying the order in installments bills them, as the customer's statement will show it."""
    from payments.installments import installment_amounts
    from payments.models import Payment

    card = (order.payments.filter(method=Payment.Method.CARD, installments__gt=1)
            .exclude(status__in=[Payment.Status.DECLINED, Payment.Status.FAILED, Payment.Status.VOIDED])
            .order_by("pk").first())
    if card is None:
        return None
    first, part, *_rest = installment_amounts(card.amount, card.installments, card.currency)
    values = {"last4": card.card_last4, "count": card.installments, "part": StoredMoney(part, card.currency)}
    if first == part:
        return stored_text(gettext_noop("Paid by the card ending %(last4)s in %(count)s interest-free installments "
                                        "of %(part)s."), **values)
    return stored_text(gettext_noop("Paid by the card ending %(last4)s in %(count)s interest-free installments of "
                                    "%(part)s (the first %(first)s)."), first=StoredMoney(first, card.currency),
                       **values)


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


# --- delivered, return received, refund made, how to pay --------------------------------------------------------


def _items(lines) -> StoredText:
    """``[(quantity, order line)]`` one per line: "2 × Shirt"."""
    return stored_join("\n", [stored_text(gettext_noop("%(quantity)s × %(name)s"), quantity=quantity,
                                           name=line.name or line.sku) for quantity, line in lines])


def shipment_delivered_notice(order: Order, shipment, *, when: datetime) -> int:
    """A parcel handed to a carrier arrived: one e-mail per shipment, saying what it held. Called in the
    transaction that marks it delivered (after the order's own status moved); a pick-up collected at the counter
    is not a delivery of this kind (``pickup_confirm`` does not come here: the customer was told it was ready and
    has it in hand), nor is a transfer between our own locations."""
    if shipment.kind != "ship" or not tells_customer(order):
        return 0
    news = gettext_noop("Your order %(number)s was delivered on %(date)s.") if order.status == S.DELIVERED \
        else gettext_noop("A parcel of your order %(number)s was delivered on %(date)s; the rest follows.")
    lines = [(sl.quantity, sl.order_line) for sl in shipment.lines.select_related("order_line").order_by("pk")]
    body = stored_join("\n\n", [
        _hello(order),
        stored_text(news, number=order.number, date=StoredDate(timezone.localdate(when), "DATE_FORMAT")),
        _shipment(shipment), _items(lines),
        stored_text(gettext_noop("Follow it here: %(url)s"), url=tracking_url(order))])
    subject = stored_text(gettext_noop("Your order %(number)s was delivered"), number=order.number) \
        if order.status == S.DELIVERED else stored_text(gettext_noop("Part of your order %(number)s was delivered"),
                                                        number=order.number)
    return email_customer(order, subject=subject, body=body, key=f"shipment-delivered:{shipment.pk}")


def return_received_notice(order: Order, rma, *, refund) -> int:
    """The warehouse received a return: which items, and what comes next (``refund``: the return's value, what
    the customer gets back once the items are checked; nothing when the items cost nothing)."""
    if not tells_customer(order):
        return 0
    lines = [(rl.quantity, rl.order_line) for rl in rma.lines.select_related("order_line").order_by("pk")]
    if refund > 0:
        then = stored_text(gettext_noop(
            "Once we have checked them we refund %(amount)s, the way you paid or as store credit if you asked for "
            "it. We will e-mail you when it is done."), amount=StoredMoney(refund, order.currency))
    else:
        then = stored_text(gettext_noop("Nothing was paid for these items, so there is nothing to refund."))
    body = stored_join("\n\n", [
        _hello(order),
        stored_text(gettext_noop("We received the items you sent back from order %(number)s (%(rma)s):"),
                    number=order.number, rma=str(rma)),
        _items(lines), then])
    return email_customer(order, subject=stored_text(gettext_noop("We received your return %(rma)s"), rma=str(rma)),
                          body=body, key=f"return-received:{rma.pk}")


def refund_notice(*, refund_id: int) -> int:
    """A refund to the customer's payment went through (``payments.events``: its change notice names the refund):
    how much, in the customer's money format, and where it went. Once per refund: a retried refund is the same
    refund, and its notice delivered twice queues one e-mail."""
    from payments.models import PaymentTransaction

    refund = (PaymentTransaction.objects.select_related("payment", "payment__gift_card")
              .filter(pk=refund_id, kind=PaymentTransaction.Kind.REFUND,
                      result=PaymentTransaction.Result.SUCCESS).first())
    order = refund and Order.objects.select_related("channel", "customer").filter(pk=refund.payment.order_id).first()
    if order is None or not tells_customer(order):
        return 0
    payment = refund.payment
    body = stored_join("\n\n", [
        _hello(order),
        stored_text(gettext_noop("We refunded %(amount)s for your order %(number)s."),
                    amount=StoredMoney(refund.amount, payment.currency), number=order.number),
        _refunded_to(payment),
        stored_text(gettext_noop("Follow it here: %(url)s"), url=tracking_url(order))])
    return email_customer(order, subject=stored_text(gettext_noop("Refund for your order %(number)s"),
                                                     number=order.number),
                          body=body, key=f"order-refund:{refund.pk}")


def _refunded_to(payment) -> StoredText:
    """Where a refund went, as the customer knows the way they paid (a card by its last four digits only)."""
    method = payment.method
    if method == "card":
        return stored_text(gettext_noop("It goes back to your card ending in %(last4)s; your bank may take a few "
                                        "days to show it."), last4=payment.card_last4) if payment.card_last4 \
            else stored_text(gettext_noop("It goes back to the card you paid with; your bank may take a few days to "
                                          "show it."))
    if method in ("gift_card", "store_credit") and payment.gift_card_id:
        msgid = gettext_noop("It is back on your gift card ending in %(last4)s.") if method == "gift_card" \
            else gettext_noop("It is back on your store credit ending in %(last4)s.")
        return stored_text(msgid, last4=payment.gift_card.last4)
    return stored_text({
        "paypal": gettext_noop("It goes back to your PayPal account."),
        "pix": gettext_noop("It is sent back by PIX to the account that paid."),
        "invoice": gettext_noop("It is credited on your invoice; what you already paid on it is paid back to you."),
    }.get(method, gettext_noop("It is paid back to your bank account.")))


def payment_instructions_notice(order: Order) -> int:
    """How to pay an order placed with PIX or boleto: the code to copy, the amount and until when, one e-mail per
    payment still waiting (a payment paid or voided before the notice is read needs none; an order cancelled
    meanwhile neither)."""
    from payments.models import Payment

    if not tells_customer(order) or order.status == S.CANCELLED:
        return 0
    waiting = Payment.objects.filter(order=order, status=Payment.Status.PENDING,
                                     method__in=[Payment.Method.PIX, Payment.Method.BOLETO]).order_by("pk")
    return sum(_pay_by(order, payment) for payment in waiting)


def _pay_by(order: Order, payment) -> int:
    info, amount = payment.instructions or {}, StoredMoney(payment.amount, payment.currency)
    if payment.method == "pix" and info.get("copy_paste") and info.get("expires_at"):
        code = info["copy_paste"]
        until = StoredDate(datetime.fromisoformat(info["expires_at"]), "SHORT_DATETIME_FORMAT")
        how = [stored_text(gettext_noop("To pay %(amount)s by PIX, copy this code into your bank's app (PIX copy and "
                                        "paste):"), amount=amount), code,
               stored_text(gettext_noop("The code can be paid until %(until)s."), until=until)]
    elif payment.method == "boleto" and info.get("digitable_line") and info.get("due_on"):
        code = info["digitable_line"]
        until = StoredDate(datetime.fromisoformat(info["due_on"]).date(), "SHORT_DATE_FORMAT")
        how = [stored_text(gettext_noop("To pay %(amount)s by boleto, use this line in your bank's app or at any "
                                        "bank:"), amount=amount), code,
               stored_text(gettext_noop("The boleto is due on %(until)s."), until=until)]
    else:
        return 0
    body = stored_join("\n\n", [
        _hello(order),
        stored_text(gettext_noop("Thank you for your order %(number)s. We send it once the payment arrives."),
                    number=order.number),
        stored_join("\n", how),
        stored_text(gettext_noop("Follow it here: %(url)s"), url=tracking_url(order))])
    return email_customer(order, subject=stored_text(gettext_noop("How to pay for your order %(number)s"),
                                                     number=order.number),
                          body=body, key=f"payment-instructions:{payment.pk}", codes=(code,))

"""Gift cards sold as a product: order lines whose SKU is a gift card (``Variant.is_gift_card``).

* On the draft the agent gives the card's value (between ``GIFT_CARD_MIN_AMOUNT`` and
  ``GIFT_CARD_MAX_AMOUNT``; the SKU's base price is the suggestion) and, optionally, the recipient's
  name, e-mail and a message. The value is the line's price (kept in ``override_unit_price``);
  ``marketing.pricing`` keeps it out of promotions and tax.
* The line reserves no stock, is not sourced and never goes into a shipment (``reserve_lines`` skips it).
* ``order_giftcards_issue`` issues the cards once the order is paid: when it is confirmed (not on hold,
  not cancelled) it captures the cards' value from the order's open authorizations (card, PayPal,
  invoice) with no lock held, or waits for a pending payment (PIX, boleto...) to arrive; then, in one
  transaction, ``giftcard_issue`` (Dr 2000 customer balances / Cr 2100 gift-card liability) for each
  unit, the line becomes delivered and an order of gift cards only is delivered. Idempotent: lines are
  locked and only open lines are issued.
* The code is never stored: it is e-mailed to the recipient (or, when issued in the background without a
  recipient, to the buyer) right after the commit, or returned to the caller (the phone screen shows it
  once to the agent).
* ``order_giftcard_refund`` takes back an issued card never used (voided: Dr 2100 / Cr 2000) and pays
  its value back to the order's payments.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from oms import numbers
from oms.audit import audit_record
from oms.i18n import StoredMoney, stored_text
from oms.mail import Recipient, email_send_now
from oms.models import AuditEntry
from oms.money import ZERO, quantize
from oms.numbers import NumberError
from oms.templatetags.oms_tags import money
from orders.errors import OrderError
from orders.events import order_event
from orders.models import Order, OrderEvent, OrderLine
from orders.services.core import L, S, _line_transition, _order_transition, allowed_targets, lock_lines, lock_order

logger = logging.getLogger(__name__)

TOPIC = "orders.giftcards_issue"
# The agent placing the order gets the first chance to issue (and read out the codes); the background
# job issues what is still open after this delay (and whenever a payment of the order arrives).
BACKGROUND_DELAY_SECONDS = 60
ISSUABLE = {S.CONFIRMED, S.BACKORDERED, S.ALLOCATED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.COMPLETED}
DETAIL_FIELDS = {"recipient_name": 100, "recipient_email": 254, "message": 200}
DETAIL_LABELS = {"recipient_name": gettext_lazy("The recipient's name"),
                 "recipient_email": gettext_lazy("The recipient's e-mail"),
                 "message": gettext_lazy("The gift card's message")}


def limits() -> tuple[Decimal, Decimal]:
    return (Decimal(str(getattr(settings, "GIFT_CARD_MIN_AMOUNT", "10"))),
            Decimal(str(getattr(settings, "GIFT_CARD_MAX_AMOUNT", "5000"))))


def is_gift_card(line: OrderLine) -> bool:
    return bool(line.variant.is_gift_card)


def parse_amount(value) -> Decimal | None:
    """The value typed for a card, read as every amount is (``oms.numbers.parse_amount``: "1.000,00", "12,5"; not
    "1e3"); None when empty. Its limits are ``set_line_details``'s."""
    if not str(value or "").strip():
        return None
    try:
        return numbers.parse_amount(value, minimum=None, name=_("The gift card value"))
    except NumberError as exc:
        raise OrderError(exc.message, field="personalization_amount") from None


def set_line_details(line: OrderLine, values: dict) -> None:
    """The gift-card part of ``_set_personalization``: value, recipient and message, checked.

    ``values["amount"]`` empty keeps the current value (the SKU's base price on a new line).
    """
    currency = line.order.currency if line.order_id else None
    amount = parse_amount(values.get("amount"))
    if amount is None:
        amount = line.override_unit_price if line.override_unit_price is not None else line.variant.base_price
    amount = quantize(amount, currency)
    low, high = limits()
    if amount < low or amount > high:
        raise OrderError(_("A gift card's value must be between %(low)s and %(high)s.") % {"low": low, "high": high},
                         field="personalization_amount")
    clean: dict[str, str] = {}
    for code, max_length in DETAIL_FIELDS.items():
        value = str(values.get(code, "") or "").strip()
        if not value:
            continue
        if len(value) > max_length:
            raise OrderError(_("%(field)s allows at most %(n)s characters.")
                             % {"field": DETAIL_LABELS[code], "n": max_length}, field=f"personalization_{code}")
        clean[code] = value
    if "recipient_email" in clean:
        try:
            validate_email(clean["recipient_email"])
        except ValidationError:
            raise OrderError(_("“%(email)s” is not a valid e-mail address for the gift card's recipient.")
                             % {"email": clean["recipient_email"]}, field="personalization_recipient_email")
    line.personalization = clean
    line.extra_unit_price = ZERO
    line.override_unit_price = amount
    line.override_reason, line.override_reason_params = gettext_noop("Gift card value"), {}


def needs_shipping(lines: list[OrderLine]) -> bool:
    """Whether any active line is a physical item (an order of gift cards only has nothing to ship)."""
    return any(not is_gift_card(line) for line in lines if line.status != L.CANCELLED)


def ships_something():
    """Query filter on ``Order``: it has an active line that is not a gift card (something to ship)."""
    from django.db.models import Exists, OuterRef

    return Exists(OrderLine.objects.filter(order_id=OuterRef("pk"), variant__is_gift_card=False)
                  .exclude(status=L.CANCELLED))


def refuse_issued(lines: list[OrderLine]) -> None:
    """Hook of ``order_cancel``: a gift card already issued cannot be cancelled (its code is out there)."""
    issued = [line for line in lines if line.status == L.DELIVERED and is_gift_card(line)]
    if issued:
        raise OrderError(_("Gift card %(sku)s was already issued: it cannot be cancelled. Refund it from the order's "
                           "payments if it is unused, and cancel the other lines by themselves.")
                         % {"sku": issued[0].sku})


def issued_lines(lines: list[OrderLine]) -> list[OrderLine]:
    return [line for line in lines if line.status == L.DELIVERED and is_gift_card(line)]


def refuse_issued_edit(order: Order, lines: list[OrderLine], quantities: dict[int, int]) -> None:
    """Hook of ``order_edit``: an issued gift-card line cannot change (its codes are out there)."""
    from django.utils import formats, timezone

    from payments.models import GiftCard

    for line in issued_lines(lines):
        if line.pk in quantities and quantities[line.pk] != line.quantity:
            issued_at = (GiftCard.objects.filter(order_id=order.pk, reference=f"order:{order.pk}:line:{line.pk}")
                         .order_by("created_at").values_list("created_at", flat=True).first())
            day = formats.date_format(timezone.localtime(issued_at), "SHORT_DATE_FORMAT") if issued_at else "?"
            raise OrderError(_("Gift card line %(sku)s was issued on %(date)s; it cannot be changed — refund it "
                               "instead.") % {"sku": line.sku, "date": day}, field=f"qty_{line.pk}")


# --- issuing --------------------------------------------------------------------------------------------


@dataclass
class IssuedCard:
    line_id: int
    sku: str
    card_id: int
    last4: str
    amount: Decimal
    currency: str
    code: str = field(default="", repr=False)  # only in memory: shown once or e-mailed, never stored
    emailed_to: str = ""


def order_has_open_gift_cards(order_id: int) -> bool:
    return OrderLine.objects.filter(order_id=order_id, status=L.OPEN, variant__is_gift_card=True).exists()


def enqueue_issue(order: Order, *, lines: list[OrderLine] | None = None,
                  delay_seconds: float = BACKGROUND_DELAY_SECONDS) -> None:
    """Hook of ``_order_transition``: a confirmed order with gift cards to issue gets a background issue.
    ``lines``: all the order's lines (with variants) when the caller has them loaded."""
    from oms.outbox import outbox_enqueue

    to_issue = (any(line.status == L.OPEN and is_gift_card(line) for line in lines) if lines is not None
                else order_has_open_gift_cards(order.pk))
    if to_issue:
        outbox_enqueue(topic=TOPIC, payload={"order_id": order.pk}, delay_seconds=delay_seconds)


def _payments(order_id: int) -> list:
    from payments.models import Payment

    return list(Payment.objects.filter(order_id=order_id).exclude(status__in=["declined", "voided", "failed"]))


def _paid(payments: list) -> Decimal:
    return sum((p.captured_amount - p.refunded_amount for p in payments), ZERO)


def _capture_for_cards(order: Order, needed: Decimal, payments: list, *, actor) -> str:
    """Captures ``needed`` more from the order's open authorizations (``payments``: those ``needed`` was counted
    from); returns an error message or ''.

    Each capture is named by what its payment had captured when it was counted: a retry, or the background job
    issuing the same cards at the same moment, counts the same and collapses onto that capture; a later capture
    for another card of the order (added by an edit) counts more captured and is a capture of its own."""
    from payments.services import payments_capture_up_to

    captured_before = {p.pk: p.captured_amount for p in payments}

    def reference_for(payment_id: int) -> str:
        return f"giftcards:order:{order.pk}:{captured_before.get(payment_id, ZERO):f}"

    _captured, refused = payments_capture_up_to(order_id=order.pk, amount=needed, acting_user=actor,
                                                reference_for=reference_for)
    return refused.message if refused else ""


def order_giftcards_issue(*, order_id: int, acting_user, email_all: bool = False) -> list[IssuedCard]:
    """Issues the order's gift cards that are paid and not yet issued; returns them (with their codes).

    Codes of cards with a recipient e-mail are e-mailed to the recipient; with ``email_all`` (the
    background job: nobody is there to read them out) the others are e-mailed to the buyer. The caller
    shows the remaining codes once. Nothing is issued while the order is on hold, cancelled or unpaid.
    Calls the payment processor (capture) with no lock held: call it outside any transaction.
    """
    order = Order.objects.get(pk=order_id)
    if order.status not in ISSUABLE:
        return []
    pending = list(OrderLine.objects.filter(order=order, status=L.OPEN, variant__is_gift_card=True))
    if not pending:
        return []
    issued_value = sum((line.line_total for line in OrderLine.objects.filter(
        order=order, status=L.DELIVERED, variant__is_gift_card=True)), ZERO)
    needed = issued_value + sum((line.line_total for line in pending), ZERO)
    problem = ""
    payments = _payments(order.pk)
    paid = _paid(payments)
    if paid < needed:
        problem = _capture_for_cards(order, needed - paid, payments, actor=acting_user)
    if not problem and _paid(_payments(order.pk)) < needed:
        problem = _("waiting for the payment")
    if problem:
        with transaction.atomic(durable=True):
            locked = lock_order(order.pk)
            last = locked.events.filter(kind=OrderEvent.Kind.PAYMENT, data__giftcards="waiting").last()
            if last is None or (last.reason_params or {}).get("why") != problem:  # once per problem
                order_event(order=locked, actor=acting_user, kind=OrderEvent.Kind.PAYMENT,
                            reason=stored_text(gettext_noop("Gift cards not issued yet: %(why)s"), why=problem),
                            data={"giftcards": "waiting"})
        return []
    issued = _issue_paid(order.pk, actor=acting_user)
    _deliver_codes(order, issued, email_all=email_all)
    return issued


def _issue_paid(order_id: int, *, actor) -> list[IssuedCard]:
    from payments.services import giftcard_issue

    issued: list[IssuedCard] = []
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        if order.status not in ISSUABLE:
            return []
        lines = lock_lines(order)
        todo = [line for line in lines if line.status == L.OPEN and is_gift_card(line)]
        for line in todo:
            for _unit in range(line.quantity):
                card, code = giftcard_issue(amount=line.unit_price, currency=order.currency, source="sale",
                                            reference=f"order:{order.pk}:line:{line.pk}", order_id=order.pk,
                                            acting_user=actor)
                issued.append(IssuedCard(line_id=line.pk, sku=line.sku, card_id=card.pk, last4=card.last4,
                                         amount=card.initial_amount, currency=card.currency, code=code))
        if not todo:
            return []
        _line_transition(todo, to=L.DELIVERED)
        order_event(order=order, actor=actor, kind=OrderEvent.Kind.PAYMENT,
                    reason=stored_text(gettext_noop("Gift cards issued: %(cards)s"),
                                       cards=", ".join(f"••••{c.last4}" for c in issued)),
                    data={"giftcards": "issued", "cards": [c.card_id for c in issued]})
        deliver_if_only_cards(order, lines, actor=actor)
    return issued


def deliver_if_only_cards(order: Order, lines: list[OrderLine], *, actor) -> None:
    """A confirmed order left with issued gift cards only (issued, or the rest cancelled) is delivered."""
    active = [line for line in lines if line.status != L.CANCELLED]
    if order.status == S.CONFIRMED and active and all(
            line.status == L.DELIVERED and is_gift_card(line) for line in active):
        _order_transition(order, to=S.DELIVERED, actor=actor,
                          reason=stored_text(gettext_noop("Gift cards issued: nothing to ship")),
                          gift_cards_only=True)


def _deliver_codes(order: Order, issued: list[IssuedCard], *, email_all: bool) -> None:
    """E-mails codes after the commit (never through a stored message: the code must not be kept)."""
    details = {line.pk: line.personalization or {} for line in OrderLine.objects.filter(
        pk__in={c.line_id for c in issued})}
    language = order.customer_language
    for card in issued:
        line = details.get(card.line_id, {})
        to = line.get("recipient_email") or (order.email if email_all else "")
        if not to:
            continue
        body = stored_text(gettext_noop("You received a gift card of %(amount)s.\n\nCode: %(code)s\n\n%(message)s"),
                           amount=StoredMoney(card.amount, card.currency), code=card.code,
                           message=line.get("message", ""))
        try:
            email_send_now(to=Recipient(to, language), subject=stored_text(gettext_noop("Your gift card")), body=body)
        except Exception:  # noqa: BLE001 - the mail server is the outside world; the agent can replace the card
            logger.warning("Gift card %s of order %s could not be e-mailed", card.card_id, order.pk)
            continue
        card.emailed_to = to
        card.code = ""


# --- refund ---------------------------------------------------------------------------------------------


def order_giftcard_refund(*, order_id: int, line_id: int, reason: str, acting_user, remainder: bool = False) -> Decimal:
    """Refunds a gift-card line: its cards voided, what was on them paid back.

    By default only cards never used (one used card refuses the whole line); with ``remainder`` (finance
    chose to) what is left on partly spent cards is refunded, never more than their balances. Cards
    replaced (code lost) count through their replacement. Idempotent: a retry after a processor failure
    re-asks only for the money. Returns the amount refunded.
    """
    from payments.errors import PaymentError
    from payments.models import GiftCard, GiftCardTransaction
    from payments.services import giftcard_void

    reason = (reason or "").strip()
    if not reason:
        raise OrderError(_("Give a reason for the refund."), field="reason")
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        lines = lock_lines(order)
        line = next((x for x in lines if x.pk == line_id), None)
        if line is None or not is_gift_card(line):
            raise OrderError(_("That line is not a gift card of this order."))
        if line.status not in (L.DELIVERED, L.RETURNED):
            raise OrderError(_("The gift card of this line was not issued: cancel the line instead."))
        cards = list(GiftCard.objects.filter(order=order, reference=f"order:{order.pk}:line:{line.pk}").order_by("pk"))
        live = [card for card in cards if not card.replaced_by_id]
        if line.status == L.DELIVERED:
            if not remainder:
                used = GiftCard.objects.filter(pk__in=[c.pk for c in cards],
                                               transactions__kind=GiftCardTransaction.Kind.REDEEM).first()
                if used is not None:
                    raise OrderError(_("Card ••••%(last4)s has been used: only what is left on the cards can be "
                                       "refunded (refund the remaining balance).") % {"last4": used.last4})
            else:
                live = [card for card in live if card.balance > 0]
                if not live:
                    raise OrderError(_("Nothing is left on the cards of %(sku)s to refund.") % {"sku": line.sku})
            try:
                for card in live:
                    giftcard_void(card_id=card.pk, reason=reason, reference=f"order:{order.pk}:line:{line.pk}",
                                  acting_user=acting_user, remainder=True)
            except PaymentError as exc:
                raise OrderError(exc.message)
        amount = -sum(GiftCardTransaction.objects.filter(card__in=cards, kind=GiftCardTransaction.Kind.VOID)
                      .values_list("amount", flat=True), ZERO)
        if line.status == L.DELIVERED:
            _line_transition([line], to=L.RETURNED)
            active = [x for x in lines if x.status != L.CANCELLED]
            target = S.RETURNED if all(x.status == L.RETURNED for x in active) else S.PARTIALLY_RETURNED
            if target in allowed_targets(order.status):  # an order not shipped yet keeps its status
                _order_transition(order, to=target, actor=acting_user, reason=reason)
            data = {"cards": [c.pk for c in live], "amount": str(amount), **({"remainder": True} if remainder else {})}
            order_event(order=order, actor=acting_user, kind=OrderEvent.Kind.PAYMENT, reason=reason,
                        data={"giftcards": "voided", **data})
            audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, obj=order, verb="giftcard_refund",
                         changes={"line": line.sku, **data}, reason=reason)
    short = _refund_money(order, amount, reference=f"giftcard:line:{line.pk}", reason=reason, actor=acting_user)
    if short > 0:  # the cards stay voided; a retry asks again for the money only, and says the same
        raise OrderError(_("The gift cards were voided (%(voided)s) but the order's payments hold only %(paid)s to "
                           "pay back: pay the other %(short)s back another way (store credit or a bank transfer).")
                         % {"voided": money(amount, order.currency), "paid": money(amount - short, order.currency),
                            "short": money(short, order.currency)})
    return amount


def _refund_money(order: Order, amount: Decimal, *, reference: str, reason: str, actor) -> Decimal:
    """Pays ``amount`` back over the order's payments (card and other money first, gift cards last); returns what
    they could not take (their captured money already refunded)."""
    from payments.errors import PaymentError
    from payments.models import Payment, PaymentTransaction
    from payments.services import payment_refund

    done = PaymentTransaction.objects.filter(payment__order=order, kind="refund", result="success",
                                             reference__startswith=f"{reference}:")
    already = sum((t.amount for t in done), ZERO)
    left = amount - already
    payments = Payment.objects.filter(order=order).exclude(status__in=["declined", "voided", "failed"])
    for payment in sorted(payments, key=lambda p: (p.method in ("gift_card", "store_credit"), p.pk)):
        if left <= 0:
            break
        give = min(left, payment.captured_amount - payment.refunded_amount)
        if give <= 0:
            continue
        try:
            payment_refund(payment_id=payment.pk, amount=give, reason=reason, acting_user=actor,
                           reference=f"{reference}:{payment.pk}")
        except PaymentError as exc:
            raise OrderError(_("The cards were voided but the refund failed: %(why)s Try again.")
                             % {"why": exc.message})
        left -= give
    return max(left, ZERO)

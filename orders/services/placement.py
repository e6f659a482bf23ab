"""Drafts (the phone-order screen's working copy), stock holds on drafts, and placing an order.

Placing follows "reserve, commit, call, then confirm or release": stock is reserved and the draft
marked as being placed in one transaction; the payment gateway is called with no lock held; a second
transaction redeems promotions, numbers the order, applies the hold rules and moves it to placed.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from oms.i18n import StoredMoney, StoredNumber, StoredText, split, stored_join, stored_text, stored_value
from orders.errors import (
    IncompleteOrder,
    InvalidTransition,
    OrderError,
    PaymentFailed,
    PlacementInProgress,
)
from orders.events import order_event
from orders.models import Address, Channel, Customer, Order, OrderEvent, OrderHold, OrderLine
from orders.services.core import (
    L,
    S,
    _order_transition,
    lock_lines,
    lock_order,
    next_order_number,
    price_lines,
    redemption_reference,
    release_lines,
    reserve_lines,
    save_prices,
)
from orders.services.customers import refuse_retired
from payments.installments import installments_problem

PLACING_TIMEOUT = timedelta(minutes=2)


def _setting(name: str, default):
    return getattr(settings, name, default)


STORED_VALUE_METHODS = ("gift_card", "store_credit")
REMAINDER_METHODS = ("card", "pix", "boleto")


@dataclass(frozen=True)
class PaymentRequest:
    """What the payment step collected: a method and, for cards, the hosted field's token (never a number).

    Gift card / store credit: ``details={"code": ...}`` (kept out of ``repr`` so it never reaches a log) and,
    optionally, ``remainder``: the second method (card, PIX, boleto) paying what the card's balance does not.
    """

    method: str
    token: str = field(default="", repr=False)
    details: dict = field(default_factory=dict, repr=False)
    remainder: "PaymentRequest | None" = None

    @property
    def needs_authorization(self) -> bool:
        return bool(self.method)

    @property
    def card_fingerprint(self) -> str:
        if self.remainder is not None:
            return self.remainder.card_fingerprint
        d = self.details or {}
        if not d.get("last4"):
            return ""
        return f"{d.get('brand', '')}:{d.get('last4', '')}:{d.get('exp_month', '')}/{d.get('exp_year', '')}"


# --- drafts ---------------------------------------------------------------------------------------


def draft_create(*, channel_id: int, acting_user, customer_id: int | None = None,
                 lines: "Sequence[DraftLine]" = (), **header) -> Order:
    """Starts a draft. A channel order arrives whole, so its header (``DRAFT_FIELDS``) and lines can come in the
    same call: one transaction and one repricing instead of three of each (create, update, add lines)."""
    _check_draft_fields(header)
    channel = Channel.objects.get(pk=channel_id)
    with transaction.atomic(durable=True):
        order = Order.objects.create(channel=channel, currency=channel.currency, created_by=acting_user,
                                     placed_by=acting_user, customer_id=customer_id)
        order_event(order=order, actor=acting_user, kind=OrderEvent.Kind.NOTE, to_status=S.DRAFT,
                    reason=stored_text(gettext_noop("Draft started")))
        if customer_id:
            _apply_customer_defaults(order)
        _apply_header(order, header)
        if customer_id or header:
            order.save()
        if lines:
            added = _new_lines(order, lines, after_position=0)
            OrderLine.objects.bulk_create(added)
            _reprice(order, added)
    return order


def _apply_customer_defaults(order: Order) -> None:
    customer = Customer.objects.get(pk=order.customer_id)
    refuse_retired(customer)
    order.customer = customer
    order.email = customer.email
    order.phone = customer.phone
    addresses = list(customer.addresses.all())
    shipping = next((a for a in addresses if a.kind in (Address.Kind.SHIPPING, Address.Kind.BOTH)), None)
    billing = next((a for a in addresses if a.kind in (Address.Kind.BILLING, Address.Kind.BOTH)), None)
    order.shipping_address = shipping.snapshot() if shipping else {}
    order.billing_address = billing.snapshot() if billing else (order.shipping_address or {})


DRAFT_FIELDS = {"customer_id", "delivery_method", "pickup_location_id", "shipping_service", "source_code",
                "coupons", "notes", "priority", "promised_date", "payment_method", "payment_installments",
                "shipping_address", "billing_address", "external_ref", "channel_placed_at"}


def _check_draft_fields(changes: dict) -> None:
    unknown = set(changes) - DRAFT_FIELDS
    if unknown:
        raise ValueError(f"Unknown draft fields: {sorted(unknown)}")


def _check_header_values(changes: dict) -> None:
    """Refuses a delivery or payment method the order cannot have, naming the field and the value given, before
    anything is saved (a crafted value would otherwise wait on the draft until placing, or become "ship")."""
    from payments.models import Payment

    if "delivery_method" in changes and changes["delivery_method"] not in Order.Delivery.values:
        raise OrderError(_("Unknown delivery method “%(value)s”: choose shipping or pick-up.")
                         % {"value": changes["delivery_method"]}, field="delivery_method")
    method = changes.get("payment_method")
    if method and method not in Payment.Method.values:
        raise OrderError(_("Unknown payment method “%(value)s”: choose one from the list.") % {"value": method},
                         field="payment_method")
    if problem := installments_problem(changes.get("payment_installments", 1), "card"):
        raise OrderError(problem, field="payment_installments")


def _apply_header(order: Order, changes: dict) -> None:
    _check_header_values(changes)
    for name, value in changes.items():
        setattr(order, name, value)
    if "pickup_location_id" in changes:
        # Assigning the relation sets the id too, so resolve it from the id given (None clears both).
        from inventory.models import Location

        location_id = changes["pickup_location_id"]
        order.pickup_location = Location.objects.get(pk=location_id) if location_id else None
    if order.delivery_method != Order.Delivery.PICKUP and order.pickup_location_id:
        order.pickup_location = None  # shipping to an address: no pick-up store left behind
    if order.delivery_method == Order.Delivery.PICKUP and order.shipping_service:
        order.shipping_service = ""  # collected at the store: no carrier service left behind, nor its charge
    if order.payment_method != "card":
        order.payment_installments = 1  # only a card is billed in installments


def _draft_locked(order_id: int) -> Order:
    order = lock_order(order_id, plans=True)  # a draft holding stock is sourced again by its changes
    if order.status != S.DRAFT:
        raise InvalidTransition(_("Order %(number)s is already placed.") % {"number": order})
    if order.placing_started_at and order.placing_started_at > timezone.now() - PLACING_TIMEOUT:
        raise PlacementInProgress()
    return order


def draft_update(*, order_id: int, acting_user, **changes) -> Order:
    """Changes the draft's header (customer, delivery, codes, notes) and reprices it."""
    _check_draft_fields(changes)
    with transaction.atomic(durable=True):
        order = _draft_locked(order_id)
        customer_changed = "customer_id" in changes and changes["customer_id"] != order.customer_id
        _apply_header(order, changes)
        if customer_changed and order.customer_id:
            _apply_customer_defaults(order)
        order.save()
        lines = lock_lines(order)
        if order.stock_held_until and ("delivery_method" in changes or "pickup_location_id" in changes):
            _rehold(order, lines, actor=acting_user)
        _reprice(order, lines)
    return order


def _reprice(order: Order, lines: list[OrderLine]) -> None:
    if lines:
        price_lines(order, lines)
    else:
        for name in ("subtotal", "discount_total", "shipping_total", "tax_total", "total"):
            setattr(order, name, Decimal(0))
        order.pricing_messages = []
        order.order_discounts = []
        order.shipping_options = []
    save_prices(order, lines)


def draft_line_add(*, order_id: int, variant_id: int, quantity: int = 1, personalization: dict | None = None,
                   acting_user, override_unit_price: Decimal | None = None,
                   override_reason: "str | StoredText" = "") -> OrderLine:
    """Adds a line; with ``override_unit_price`` (and its reason) the line is priced at it from the start, one
    repricing instead of two (channel intake adds every line at the price the channel charged)."""
    with transaction.atomic(durable=True):
        order = _draft_locked(order_id)
        lines = lock_lines(order)
        [line] = _new_lines(order, [DraftLine(variant_id=variant_id, quantity=quantity, personalization=personalization,
                                              override_unit_price=override_unit_price,
                                              override_reason=override_reason)],
                            after_position=max((x.position for x in lines), default=0))
        line.save()
        lines.append(line)
        if order.stock_held_until:
            _rehold(order, lines, actor=acting_user)
        _reprice(order, lines)
    return line


def _set_override(line: OrderLine, price: Decimal, reason: "str | StoredText") -> None:
    """Prices ``line`` at ``price`` for ``reason``: typed by the agent, or a system's (a ``StoredText``, read in
    the reader's language)."""
    text, params = split(reason)
    if price < 0:
        raise OrderError(_("The price cannot be negative."), field="override_unit_price")
    if not text.strip():
        raise OrderError(_("Give a reason for the price override."), field="override_reason")
    line.override_unit_price = price
    line.override_reason = text.strip()[:200] if params is None else text
    line.override_reason_params = params


def _set_personalization(line: OrderLine, values: dict, fields: list | None = None) -> None:
    """Keeps only the product's personalization fields, checks max length, adds the surcharge.

    ``fields``: the product's fields when the caller has already read them (several lines at once).
    A required field may still be empty on a draft (the agent adds the line, then types the engraving);
    placing refuses it (``_check_complete``)."""
    from inventory.models import PersonalizationField

    if line.variant.is_gift_card:
        from orders.giftcards import set_line_details

        return set_line_details(line, values)
    if fields is None:
        fields = list(PersonalizationField.objects.filter(product_id=line.variant.product_id))
    clean: dict[str, str] = {}
    extra = Decimal(0)
    for f in fields:
        value = str(values.get(f.code, "") or "").strip()
        if not value:
            continue
        if len(value) > f.max_length:
            raise OrderError(_("“%(label)s” allows at most %(n)s characters.") % {"label": f.label, "n": f.max_length},
                             field=f"personalization_{f.code}")
        clean[f.code] = value
        extra += f.extra_price
    line.personalization = clean
    line.extra_unit_price = extra


def draft_line_update(*, order_id: int, line_id: int, acting_user, quantity: int | None = None,
                      personalization: dict | None = None, override_unit_price: Decimal | None = None,
                      override_reason: str = "", clear_override: bool = False) -> Order:
    with transaction.atomic(durable=True):
        order = _draft_locked(order_id)
        lines = lock_lines(order)
        line = next((x for x in lines if x.pk == line_id), None)
        if line is None:
            raise OrderError(_("That line is not on this order."))
        if quantity is not None:
            if quantity < 1:
                raise OrderError(_("Quantity must be at least 1."), field="quantity")
            line.quantity = quantity
        if personalization is not None:
            _set_personalization(line, personalization)
        if clear_override:
            line.override_unit_price = None
            line.override_reason, line.override_reason_params = "", None
        elif override_unit_price is not None:
            _set_override(line, override_unit_price, override_reason)
        line.save(update_fields=["quantity", "personalization", "extra_unit_price", "override_unit_price",
                                 "override_reason", "override_reason_params"])
        if order.stock_held_until:
            _rehold(order, lines, actor=acting_user)
        _reprice(order, lines)
    return order


def draft_line_remove(*, order_id: int, line_id: int, acting_user) -> Order:
    with transaction.atomic(durable=True):
        order = _draft_locked(order_id)
        lines = lock_lines(order)
        line = next((x for x in lines if x.pk == line_id), None)
        if line is None:
            raise OrderError(_("That line is not on this order."))
        release_lines(order, [line], actor=acting_user)
        line.delete()
        lines.remove(line)
        _reprice(order, lines)
    return order


def draft_discard(*, order_id: int, acting_user, reason: str = "") -> None:
    """Abandons a draft: releases any held stock and cancels it (kept for the history)."""
    with transaction.atomic(durable=True):
        order = _draft_locked(order_id)
        lines = lock_lines(order)
        release_lines(order, lines, actor=acting_user, to=L.CANCELLED)
        order.stock_held_until = None
        order.save(update_fields=["stock_held_until", "updated_at"])
        _order_transition(order, to=S.CANCELLED, actor=acting_user,
                          reason=reason or stored_text(gettext_noop("Draft discarded")))


# --- stock holds on drafts -------------------------------------------------------------------------


def _rehold(order: Order, lines: list[OrderLine], *, actor) -> None:
    """Re-reserves a held draft after a change; keeps the expiry. Raises ``StockUnavailable`` (nothing changes)."""
    release_lines(order, lines, actor=actor)
    reserve_lines(order, lines, actor=actor)


def draft_hold_stock(*, order_id: int, acting_user, minutes: int | None = None) -> Order:
    """Reserves the draft's lines for a limited time (a quote); the beat job releases it when it expires."""
    minutes = minutes or _setting("ORDERS_DRAFT_HOLD_MINUTES", 30)
    with transaction.atomic(durable=True):
        order = _draft_locked(order_id)
        lines = lock_lines(order)
        if not lines:
            raise IncompleteOrder(_("Add at least one line before holding stock."))
        release_lines(order, lines, actor=acting_user)
        reserve_lines(order, lines, actor=acting_user)
        order.stock_held_until = timezone.now() + timedelta(minutes=minutes)
        order.save(update_fields=["stock_held_until", "updated_at"])
        order_event(order=order, actor=acting_user, kind=OrderEvent.Kind.STOCK,
                    reason=stored_text(gettext_noop("Stock held for %(n)s minutes"), n=minutes),
                    data={"until": order.stock_held_until.isoformat()})
    return order


def draft_release_stock(*, order_id: int, acting_user, reason: str = "") -> bool:
    """Releases a draft's stock hold; returns False when there was nothing to release (idempotent)."""
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        if order.status != S.DRAFT or not order.stock_held_until:
            return False
        lines = lock_lines(order)
        release_lines(order, lines, actor=acting_user)
        order.stock_held_until = None
        order.placing_started_at = None
        order.idempotency_key = ""
        order.save(update_fields=["stock_held_until", "placing_started_at", "idempotency_key", "updated_at"])
        order_event(order=order, actor=acting_user, kind=OrderEvent.Kind.STOCK,
                    reason=reason or stored_text(gettext_noop("Stock hold released")))
    return True


def release_expired_holds(*, now=None, limit: int = 200) -> int:
    """Beat job: releases every draft whose stock hold expired; returns how many were released."""
    now = now or timezone.now()
    due = list(
        Order.objects.filter(status=S.DRAFT, stock_held_until__lt=now).order_by("stock_held_until")
        .values_list("pk", flat=True)[:limit]
    )
    released = 0
    for order_id in due:
        with transaction.atomic(durable=True):
            order = lock_order(order_id)
            if order.status != S.DRAFT or not order.stock_held_until or order.stock_held_until >= now:
                continue
            lines = lock_lines(order)
            release_lines(order, lines, actor=None)
            order.stock_held_until = None
            order.placing_started_at = None
            order.idempotency_key = ""
            order.save(update_fields=["stock_held_until", "placing_started_at", "idempotency_key", "updated_at"])
            order_event(order=order, kind=OrderEvent.Kind.STOCK,
                        reason=stored_text(gettext_noop("Stock hold expired and was released")))
            released += 1
    return released


# --- placing ----------------------------------------------------------------------------------------


def _check_complete(order: Order, lines: list[OrderLine], *, shipping_chosen: bool = False) -> None:
    """What is missing before ``order`` can be placed, all of it in one refusal. ``shipping_chosen``: a shipped order
    needs one of the shipping options it was offered (the phone screen; channels bring their own shipping)."""
    problems = []
    if not order.customer_id:
        problems.append(_("choose or create a customer"))
    if not lines:
        problems.append(_("add at least one line"))
    from orders.giftcards import needs_shipping  # gift cards only: no address, no pick-up store

    ships = not lines or needs_shipping(lines)
    if ships and order.delivery_method == Order.Delivery.SHIP and not order.shipping_address:
        problems.append(_("give a shipping address"))
    if ships and order.delivery_method == Order.Delivery.PICKUP and not order.pickup_location_id:
        problems.append(_("choose the pick-up store"))
    elif ships and order.delivery_method == Order.Delivery.PICKUP and not (
            order.pickup_location.is_active and order.pickup_location.can_pickup):
        # A store closed since it was chosen, or a location that never offered pick-up (nothing is reserved there).
        problems.append(_("choose another pick-up store (%(store)s does not offer pick-up)")
                        % {"store": order.pickup_location.name})
    if (shipping_chosen and ships and order.delivery_method == Order.Delivery.SHIP and order.shipping_options
            and not order.shipping_service):
        problems.append(_("choose a shipping option"))
    if not order.payment_method:
        problems.append(_("choose a payment method"))
    problems += missing_personalization(lines)
    if problems:
        raise IncompleteOrder(_("To place the order: %(list)s.") % {"list": "; ".join(problems)})


def missing_personalization(lines: list[OrderLine]) -> list[str]:
    """"fill in “Engraving” for PEN-1" for each required personalization field left empty on a line (one query)."""
    from inventory.models import PersonalizationField

    required: dict[int, list[tuple[str, str]]] = {}
    for variant_id, code, label in (PersonalizationField.objects.filter(
            required=True, product__variants__in={line.variant_id for line in lines})
            .order_by("position", "id").values_list("product__variants__id", "code", "label")):
        required.setdefault(variant_id, []).append((code, label))
    return [_("fill in “%(label)s” for %(sku)s") % {"label": label, "sku": line.sku}
            for line in lines if line.status != L.CANCELLED
            for code, label in required.get(line.variant_id, []) if not (line.personalization or {}).get(code)]


def order_place(*, order_id: int, idempotency_key: str, acting_user, payment: PaymentRequest | None = None,
                accept_backorder: bool = False, shipping_chosen: bool = False) -> Order:
    """Places a draft: reserve stock (all-or-nothing), authorize payment, redeem promotions, number it, hold or confirm.

    A second call with the same ``idempotency_key`` (double submit) returns the same order and does nothing.
    ``accept_backorder``: the customer agreed to wait, so lines without stock are backordered (nothing is
    oversold: they reserve nothing) instead of refusing the order; channels that allow overselling always do.
    ``shipping_chosen``: the order must have one of its shipping options chosen (see ``_check_complete``).
    """
    if not idempotency_key:
        raise ValueError("idempotency_key is required")
    payment = payment or PaymentRequest(method="")
    # 1. Reserve and mark as being placed.
    with transaction.atomic(durable=True):
        order = lock_order(order_id, plans=True)
        if order.status != S.DRAFT:
            if order.idempotency_key == idempotency_key:
                return order
            if order.status == S.CANCELLED and not order.placed_at:
                raise InvalidTransition(_("%(number)s was discarded: it cannot be placed.") % {"number": order})
            raise InvalidTransition(_("Order %(number)s is already placed.") % {"number": order})
        if order.placing_started_at and order.placing_started_at > timezone.now() - PLACING_TIMEOUT:
            raise PlacementInProgress()
        if payment.method:
            order.payment_method = payment.method
        else:
            payment = PaymentRequest(method=order.payment_method)
        lines = lock_lines(order)
        _check_complete(order, lines, shipping_chosen=shipping_chosen)
        from orders.fulfilment.services import promised_date_for

        promised = promised_date_for(order, lines)  # exactly what the phone screen showed for this option
        # Priced before reserving (pricing reads neither locations nor line statuses), so the stock rows, which
        # every concurrent order wants, stay locked for the shortest time.
        priced = price_lines(order, lines)
        _check_installments_offered(order)
        held = order.stock_held_until and order.stock_held_until > timezone.now()
        if not (held and all(line.status == L.RESERVED for line in lines)):
            release_lines(order, lines, actor=acting_user)
            backordered = reserve_lines(order, lines, actor=acting_user,
                                        allow_backorder=order.channel.allow_oversell or accept_backorder)
        else:
            backordered = []
        if promised:
            order.promised_date = promised
        order.idempotency_key = idempotency_key
        order.placing_started_at = timezone.now()
        order.card_fingerprint = payment.card_fingerprint
        # If this process dies before the end, the beat job gives the stock back.
        order.stock_held_until = timezone.now() + timedelta(minutes=10)
        save_prices(order, lines, also=("idempotency_key", "placing_started_at", "card_fingerprint",
                                        "stock_held_until", "payment_method", "payment_installments"))
    # 2. The gateway call, with no lock held.
    payment_ids: list[int] = []
    if payment.needs_authorization and order.total > 0:
        payment_ids = _authorize_all(order, payment, idempotency_key=idempotency_key, actor=acting_user)
    payment_id = payment_ids[0] if payment_ids else None
    # 3. Confirm. Lines and prices cannot change meanwhile: drafts being placed refuse edits.
    try:
        with transaction.atomic(durable=True):
            order = lock_order(order_id)
            # Read-only rules first, promotion usage last: the order-number and promotion counters are rows every
            # order locks until this commits. A promotion used up meanwhile still rolls the whole step back.
            holds = evaluate_hold_rules(order, lines)
            placed_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
            not_applied = _codes_not_applied(order, priced)
            _order_transition(order, to=S.PLACED, actor=acting_user,
                              data={"payment_id": payment_id, "payment_ids": payment_ids}, fields={
                "number": next_order_number(order.channel), "placed_at": timezone.now(), "placed_by": placed_by,
                "placing_started_at": None, "stock_held_until": None,
                # The placed order keeps only the codes pricing applied; the others are noted with its reasons.
                "source_code": priced.source_code, "coupons": list(priced.coupons),
            })
            if not_applied:
                order_event(order=order, actor=acting_user, kind=OrderEvent.Kind.NOTE, reason=stored_text(
                    gettext_noop("Codes not applied: %(codes)s"), codes=", ".join(not_applied)))
            if holds:
                hold_for_rules(order, holds, actor=acting_user)
            elif backordered or any(line.status == L.BACKORDERED for line in lines):
                _order_transition(order, to=S.BACKORDERED, actor=acting_user, lines=lines)
            else:
                _order_transition(order, to=S.CONFIRMED, actor=acting_user, lines=lines)
            _redeem_promotions(order, priced, actor=acting_user)
    except Exception:
        _undo_placing(order_id, payment_ids=payment_ids, actor=acting_user)
        raise
    return order


def _check_installments_offered(order: Order) -> None:
    """The card installments the draft chose are ones its channel offers for the total now (a total lowered since
    the choice may put a part under the channel's smallest installment); any other method is paid at once."""
    if order.payment_method != "card":
        order.payment_installments = 1
    if problem := order.channel.installment_offer.refusal(order.payment_installments, order.total, order.currency):
        raise OrderError(problem, field="payment_installments")


def _codes_not_applied(order: Order, priced) -> list[str]:
    """The source code and coupons typed on the draft that pricing did not accept (unknown, expired, not for this
    customer or channel): the phone screen showed why (``pricing_messages``), the placed order does not keep them."""
    from marketing.pricing import normalise_code

    typed = [normalise_code(order.source_code)] + [normalise_code(code) for code in order.coupons or []]
    accepted = {normalise_code(priced.source_code), *(normalise_code(code) for code in priced.coupons)}
    return [code for code in dict.fromkeys(typed) if code and code not in accepted]


def _split(order: Order, payment: PaymentRequest) -> list[tuple[PaymentRequest, Decimal]]:
    """The payments to take: one for the total, or a gift card's balance plus the rest by the second method.

    Reads the card's balance without a lock; redemption is conditional in payments, so a card spent
    meanwhile is refused there (and the gift-card part voided) rather than overspent.
    """
    if payment.method not in STORED_VALUE_METHODS or payment.remainder is None:
        return [(payment, order.total)]
    from payments.giftcards import giftcard_find

    remainder = payment.remainder
    if remainder.method not in REMAINDER_METHODS:
        raise _Refused("unknown_method",
                       stored_text(gettext_noop("Choose card, PIX or boleto for the rest of the total.")))
    code = str((payment.details or {}).get("code", "")).strip()
    card = giftcard_find(code=code) if code else None
    if card is None or card.kind != payment.method or card.currency != order.currency or card.balance <= 0 \
            or card.balance >= order.total:
        # Either it covers everything, or payments refuses it with its own reason (not found, expired...).
        return [(payment, order.total)]
    if remainder.method == "card" and not remainder.token:
        raise _Refused("missing_token", stored_text(
            gettext_noop("The gift card covers %(part)s: enter the card for the rest (%(rest)s) in the secure card "
                         "field first."),
            part=StoredMoney(card.balance, order.currency),
            rest=StoredMoney(order.total - card.balance, order.currency)))
    return [(payment, card.balance), (remainder, order.total - card.balance)]


class _Refused(Exception):
    """Placement refuses the payment request itself; ``reason`` for the history, ``message`` for the agent now."""

    def __init__(self, code: str, reason: StoredText):
        self.code, self.reason, self.message = code, reason, str(reason)
        super().__init__(self.message)


def _authorize_all(order: Order, payment: PaymentRequest, *, idempotency_key: str, actor) -> list[int]:
    """Authorizes each part in turn (no lock held); if one fails, voids those already taken and keeps the draft."""
    from payments.errors import PaymentError
    from payments.services import payment_authorize

    taken: list[int] = []
    request = payment
    try:
        if payment.method in STORED_VALUE_METHODS and not str((payment.details or {}).get("code", "")).strip():
            raise _Refused("gift_card_not_found", stored_text(gettext_noop("Enter the gift card code.")))
        parts = _split(order, payment)
        for position, (request, amount) in enumerate(parts):
            key = f"order:{idempotency_key}" if position == 0 else f"order:{idempotency_key}:{position + 1}"
            result = payment_authorize(
                order_id=order.pk, method=request.method, amount=amount, currency=order.currency,
                token=request.token, details=dict(request.details or {}), idempotency_key=key, acting_user=actor,
                installments=order.payment_installments if request.method == "card" else 1,
            )
            taken.append(result.pk)
    except (PaymentError, _Refused) as exc:
        _void_all(taken, actor=actor)
        with transaction.atomic(durable=True):
            locked = lock_order(order.pk)
            locked.placing_started_at = None
            locked.idempotency_key = ""
            locked.save(update_fields=["placing_started_at", "idempotency_key", "updated_at"])
            order_event(order=locked, actor=actor, kind=OrderEvent.Kind.PAYMENT, reason=exc.reason,
                        data={"code": exc.code, "method": request.method, "voided": taken})
        message = exc.message
        if taken:
            message = _("%(reason)s The gift card was not charged; nothing was placed.") % {"reason": message}
        raise PaymentFailed(message, code=exc.code)
    return taken


def _void_all(payment_ids: list[int], *, actor) -> None:
    from payments.services import payment_void

    for payment_id in reversed(payment_ids):
        payment_void(payment_id=payment_id, acting_user=actor)


def _undo_placing(order_id: int, *, payment_ids: list[int], actor) -> None:
    """Step 3 failed (e.g. a coupon ran out): void the authorizations, keep the draft with its stock held."""
    _void_all(payment_ids, actor=actor)
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        if order.status == S.DRAFT:
            order.placing_started_at = None
            order.idempotency_key = ""
            order.save(update_fields=["placing_started_at", "idempotency_key", "updated_at"])


def _redeem_promotions(order: Order, priced, *, actor) -> None:
    """Counts promotion and coupon usage inside the placing transaction (limits enforced there)."""
    from marketing.errors import PromotionUnavailable
    from marketing.services import promotion_redeem

    try:
        promotion_redeem(priced=priced, order_reference=redemption_reference(order), customer_id=order.customer_id,
                         acting_user=actor)
    except PromotionUnavailable as exc:
        raise OrderError(exc.message, field="coupons")


# --- hold rules ---------------------------------------------------------------------------------


# What each rule says about the order that broke it (stored as a text with its values, read in the reader's
# language). The demo data describes its holds with the same texts.
HOLD_DETAILS = {
    OrderHold.Rule.PRICE_OVERRIDE: gettext_noop("%(sku)s priced %(off)s%% below list (limit %(limit)s%%): %(why)s"),
    OrderHold.Rule.HIGH_VALUE: gettext_noop("Total %(total)s above %(limit)s"),
    OrderHold.Rule.CREDIT_LIMIT: gettext_noop(
        "Open %(open)s + this order %(total)s exceed the credit limit %(limit)s"),
    OrderHold.Rule.ADDRESS_MISMATCH: gettext_noop("Billing in %(bill)s, shipping to %(ship)s"),
    OrderHold.Rule.CARD_VELOCITY: gettext_noop("%(n)s orders with this card in 24 hours"),
}


def hold_detail(rule: str, **values) -> StoredText:
    """The detail of a broken ``rule`` (``HOLD_DETAILS``) with its values."""
    return stored_text(HOLD_DETAILS[rule], **values)


def evaluate_hold_rules(order: Order, lines: list[OrderLine]) -> list[tuple[str, StoredText]]:
    """The business rules that stop an order for a manager; returns ``[(rule, detail)]``."""
    R = OrderHold.Rule
    holds: list[tuple[str, StoredText]] = []
    override_limit = Decimal(str(_setting("ORDERS_OVERRIDE_LIMIT_PERCENT", 15)))
    for line in lines:
        if line.override_unit_price is None or line.status == L.CANCELLED or not line.list_price:
            continue
        off = (line.list_price - line.override_unit_price) / line.list_price * 100
        if off > override_limit:
            holds.append((R.PRICE_OVERRIDE, hold_detail(R.PRICE_OVERRIDE, sku=line.sku, off=StoredNumber(off, 1),
                                                        limit=override_limit,
                                                        why=stored_value(line.override_reason,
                                                                         line.override_reason_params))))
    value_limit = Decimal(str(_setting("ORDERS_HOLD_ABOVE", 10000)))
    if order.total > value_limit:
        holds.append((R.HIGH_VALUE, hold_detail(R.HIGH_VALUE, total=StoredMoney(order.total, order.currency),
                                                limit=StoredMoney(value_limit, order.currency))))
    customer = order.customer
    if customer and customer.credit_limit > 0 and order.payment_method == "invoice":
        open_orders = (
            Order.objects.filter(customer=customer, payment_method="invoice")
            .exclude(pk=order.pk)
            .exclude(status__in=[S.DRAFT, S.CANCELLED, S.COMPLETED, S.RETURNED])
            .aggregate(total=Sum("total"))["total"] or Decimal(0)
        )
        if open_orders + order.total > customer.credit_limit:
            holds.append((R.CREDIT_LIMIT, hold_detail(
                R.CREDIT_LIMIT, open=StoredMoney(open_orders, order.currency),
                total=StoredMoney(order.total, order.currency),
                limit=StoredMoney(customer.credit_limit, order.currency))))
    ship, bill = order.shipping_address or {}, order.billing_address or {}
    if (order.delivery_method == Order.Delivery.SHIP and ship.get("state") and bill.get("state")
            and ship["state"] != bill["state"]):
        holds.append((R.ADDRESS_MISMATCH, hold_detail(R.ADDRESS_MISMATCH, bill=bill["state"], ship=ship["state"])))
    if order.card_fingerprint:
        window = timezone.now() - timedelta(hours=24)
        limit = int(_setting("ORDERS_CARD_VELOCITY_LIMIT", 3))
        recent = (
            Order.objects.filter(card_fingerprint=order.card_fingerprint, placed_at__gte=window)
            .exclude(pk=order.pk).count()
        )
        if recent >= limit:
            holds.append((R.CARD_VELOCITY, hold_detail(R.CARD_VELOCITY, n=recent + 1)))
    return holds


def hold_for_rules(order: Order, holds: list[tuple[str, StoredText]], *, actor) -> None:
    """Opens a hold for each broken rule (its detail read in the manager's language) and puts the locked order
    on hold, if it is not already."""
    rows = []
    for rule, detail in holds:
        text, params = split(detail)
        rows.append(OrderHold(order=order, rule=rule, detail=text, detail_params=params))
    OrderHold.objects.bulk_create(rows)
    if order.status != S.ON_HOLD:
        _order_transition(order, to=S.ON_HOLD, actor=actor,
                          reason=stored_join("; ", [OrderHold.Rule(rule).label for rule, _detail in holds]))


# --- several lines at once (channel orders: API and imports) ------------------------------------------


@dataclass(frozen=True)
class DraftLine:
    variant_id: int
    quantity: int = 1
    personalization: dict | None = None
    override_unit_price: Decimal | None = None
    override_reason: "str | StoredText" = ""  # typed by a person, or a system's stored text


def draft_lines_add(*, order_id: int, lines: list[DraftLine], acting_user) -> list[OrderLine]:
    """Adds several lines, each at its overridden price if given, in one transaction and one repricing.

    The same checks and the same end state as ``draft_line_add`` then ``draft_line_update`` for each line in
    turn (a channel order arrives with the price the channel charged), but all or nothing: when any line is
    refused no line is added. One repricing instead of two per line is what makes channel imports fast.
    """
    with transaction.atomic(durable=True):
        order = _draft_locked(order_id)
        current = lock_lines(order)
        added = _new_lines(order, lines, after_position=max((line.position for line in current), default=0))
        OrderLine.objects.bulk_create(added)
        current.extend(added)
        if order.stock_held_until:
            _rehold(order, current, actor=acting_user)
        _reprice(order, current)
    return added


def _new_lines(order: Order, specs: "Sequence[DraftLine]", *, after_position: int) -> list[OrderLine]:
    """The unsaved lines for ``specs``, checked like ``draft_line_add``'s (raises before anything is written)."""
    from inventory.models import PersonalizationField, Variant

    variants = Variant.objects.select_related("product").in_bulk({spec.variant_id for spec in specs})
    fields: dict[int, list] = {}
    for f in PersonalizationField.objects.filter(product_id__in={v.product_id for v in variants.values()}):
        fields.setdefault(f.product_id, []).append(f)
    position = after_position
    added = []
    for spec in specs:
        if spec.quantity < 1:
            raise OrderError(_("Quantity must be at least 1."), field="quantity")
        variant = variants.get(spec.variant_id)
        if variant is None:
            raise Variant.DoesNotExist(f"No variant {spec.variant_id}")
        if not variant.is_active:
            raise OrderError(_("SKU %(sku)s is not for sale.") % {"sku": variant.sku}, field="variant")
        position += 1
        line = OrderLine(order=order, position=position, variant=variant, sku=variant.sku, name=variant.name,
                         quantity=spec.quantity, list_price=variant.base_price, unit_price=variant.base_price)
        if spec.override_unit_price is not None:
            _set_override(line, spec.override_unit_price, spec.override_reason)
        _set_personalization(line, spec.personalization or {}, fields.get(variant.product_id, []))
        added.append(line)
    return added

"""After placing: explicit status changes, holds and approvals, edits and cancellations.

Money follows through the outbox (``orders.payment_adjust``): the handler compares what the order
now costs with what was authorized or captured and voids, refunds or asks for more through the
payments services, with no order lock held while the gateway answers.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from oms.audit import audit_record
from oms.i18n import StoredMoney, StoredText, split, stored_text
from oms.mail import email_enqueue, staff_recipients
from oms.models import AuditEntry
from oms.outbox import outbox_enqueue
from orders.errors import HoldNotOpen, InvalidTransition, OrderError, OrderNotEditable
from orders.events import order_event
from orders.models import Order, OrderEvent, OrderHold, OrderLine
from orders.services.core import (
    EDITABLE,
    L,
    S,
    _order_transition,
    allowed_targets,
    lock_lines,
    lock_order,
    price_lines,
    promotions_reconcile,
    release_lines,
    reserve_lines,
    save_line_fields,
    save_prices,
    ship_to_region,
)


def order_transition(*, order_id: int, to_status: str, acting_user, reason: str = "") -> Order:
    """A status change by hand (the manager's status box), limited to ``manual_targets``.

    "Cancelled" is the cancellation itself (``order_cancel``: stock released, payment voided or refunded) and
    "Allocated" the release to the warehouse (``order_allocate``: its shipments), never a bare status.
    """
    if to_status == S.CANCELLED:
        return order_cancel(order_id=order_id, reason=reason, acting_user=acting_user)
    if to_status == S.ALLOCATED:
        from orders.fulfilment.services import order_allocate  # the shipments the warehouse works from

        order_allocate(order_id=order_id, acting_user=acting_user)
        return Order.objects.get(pk=order_id)
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        if to_status in allowed_targets(order.status) and to_status not in manual_targets(order):
            if to_status == S.CONFIRMED and _has_backorders(order):
                raise InvalidTransition(
                    _("Order %(number)s has backordered lines: it is confirmed when their stock arrives.")
                    % {"number": order})
            if order.status == S.ON_HOLD:
                raise InvalidTransition(
                    _("Order %(number)s waits for a decision on its holds: approve or reject them first.")
                    % {"number": order})
            raise InvalidTransition(
                _("Order %(number)s cannot be set to “%(status)s” by hand: that follows from its shipments, returns "
                  "or edits.") % {"number": order, "status": S(to_status).label})
        _order_transition(order, to=to_status, actor=acting_user, reason=reason)
    return order


# What the status box may choose: a status alone (a pause, its release, a delivery the carrier never reported,
# completing) or a step with its own service (cancelling, releasing to the warehouse). Shipping, failed deliveries
# and returns happen on the shipments and returns, which move the stock and the money with them.
MANUAL_TARGETS = {S.ON_HOLD, S.CONFIRMED, S.BACKORDERED, S.ALLOCATED, S.DELIVERED, S.COMPLETED, S.CANCELLED}


def manual_targets(order: Order) -> set[str]:
    """The statuses a manager may choose for the order by hand (the page offers exactly these)."""
    targets = allowed_targets(order.status) & MANUAL_TARGETS
    if order.status != S.CONFIRMED:
        targets.discard(S.ALLOCATED)  # only a confirmed order goes to the warehouse
    if order.status == S.ALLOCATED:
        # its shipments are in the warehouse: edit or cancel the order. Not on hold either: the warehouse would go on
        # picking a parcel it may not ship, and the release (to confirmed) would send the order out a second time.
        targets -= {S.CONFIRMED, S.BACKORDERED, S.ON_HOLD}
    if order.status == S.ON_HOLD and any(hold.status == OrderHold.Status.OPEN for hold in order.holds.all()):
        targets -= {S.CONFIRMED, S.BACKORDERED}  # released by the approval of its holds
    if S.CONFIRMED in targets and _has_backorders(order):
        targets.discard(S.CONFIRMED)  # confirmed once their stock arrives (the backorder job), never before
    return targets


def _has_backorders(order: Order) -> bool:
    return any(line.status == L.BACKORDERED for line in order.lines.all())


def _enqueue_payment_adjust(order: Order, reason: "str | StoredText") -> None:
    outbox_enqueue(topic="orders.payment_adjust", payload={"order_id": order.pk, "reason": str(reason)[:200]})


def _notify_agent(order: Order, text: StoredText) -> None:
    """E-mails the agent who placed the order, in the agent's language."""
    if order.placed_by_id:
        email_enqueue(to=staff_recipients([order.placed_by]), body=text, subject=stored_text(
            gettext_noop("Order %(number)s: %(text)s"), number=order.number, text=text))


# --- cancel ---------------------------------------------------------------------------------------


def order_cancel(*, order_id: int, reason: "str | StoredText", acting_user,
                 line_ids: list[int] | None = None) -> Order:
    """Cancels the whole order (``line_ids`` None) or some lines: stock released, payment voided/refunded.

    ``reason``: what the person typed, or a system text (``oms.i18n.stored_text``) read in the reader's language."""
    if not isinstance(reason, StoredText):
        reason = (reason or "").strip()
    if not reason:
        raise OrderError(_("Give a reason for the cancellation."), field="reason")
    with transaction.atomic(durable=True):
        order = lock_order(order_id, plans=True)
        if order.status not in EDITABLE:
            raise OrderNotEditable(
                _("Order %(number)s is %(status)s and cannot be cancelled.")
                % {"number": order, "status": order.get_status_display()}
            )
        lines = lock_lines(order)
        active = [line for line in lines if line.status != L.CANCELLED]
        if line_ids is None:
            targets = active
        else:
            wanted = set(line_ids)
            targets = [line for line in active if line.pk in wanted]
            if len(targets) != len(wanted):
                raise OrderError(_("Some of those lines are not open on this order."))
        if not targets:
            raise OrderError(_("Nothing to cancel."))
        from orders.giftcards import refuse_issued  # an issued gift card is refunded, not cancelled

        refuse_issued(targets)
        release_lines(order, targets, actor=acting_user, to=L.CANCELLED)
        text, params = split(reason)
        OrderLine.objects.filter(pk__in=[line.pk for line in targets]).update(
            cancel_reason=text[:200] if params is None else text, cancel_reason_params=params)
        remaining = [line for line in lines if line.status != L.CANCELLED]
        from orders.fulfilment.services import shipments_after_cancel  # open shipments cancelled, rest re-released
        shipments_after_cancel(order, partial=bool(remaining), actor=acting_user)
        data = {"lines": [{"sku": line.sku, "quantity": line.quantity} for line in targets],
                "total_before": str(order.total)}
        if remaining:
            priced = price_lines(order, lines)
            promotions_reconcile(order, priced, actor=acting_user)  # a smaller discount, or none any more
            save_prices(order, lines)
            from orders.giftcards import deliver_if_only_cards  # only issued gift cards left: nothing to ship

            deliver_if_only_cards(order, lines, actor=acting_user)
            order_event(order=order, actor=acting_user, kind=OrderEvent.Kind.CANCEL, reason=reason,
                        data={**data, "total_after": str(order.total)})
        else:
            order.cancel_reason, order.cancel_reason_params = text, params
            order.save(update_fields=["cancel_reason", "cancel_reason_params", "updated_at"])
            holds_close(order, stored_text(gettext_noop("Order cancelled")))
            _order_transition(order, to=S.CANCELLED, actor=acting_user, reason=reason, data=data)
        _enqueue_payment_adjust(order, reason)
    return order


# --- edit -----------------------------------------------------------------------------------------


def order_edit(*, order_id: int, acting_user, reason: str = "", quantities: dict[int, int] | None = None,
               add: list[tuple] | None = None, shipping_address: dict | None = None) -> Order:
    """Changes a placed order: quantities (0 removes a line), new ``(variant_id, quantity)`` lines, address.

    A new gift card line takes ``(variant_id, quantity, details)``: its value and recipient, checked by the same
    rule as on the phone screen (``orders.giftcards.set_line_details``; an empty value is the SKU's base price).

    All stock is re-reserved (all-or-nothing: when anything is short nothing changes), totals are
    repriced, an allocated order goes back to confirmed to be sourced again, and the payment is adjusted.
    """
    from inventory.models import Variant

    quantities = quantities or {}
    add = add or []
    with transaction.atomic(durable=True):
        order = lock_order(order_id, plans=True)
        if order.status not in EDITABLE:
            raise OrderNotEditable(
                _("Order %(number)s is %(status)s and can no longer be edited.")
                % {"number": order, "status": order.get_status_display()}
            )
        lines = lock_lines(order)
        by_id = {line.pk: line for line in lines if line.status != L.CANCELLED}
        unknown = set(quantities) - set(by_id)
        if unknown:
            raise OrderError(_("Some of those lines are not open on this order."))
        from orders.giftcards import issued_lines, refuse_issued_edit  # issued cards: refunded, never changed

        refuse_issued_edit(order, lines, quantities)
        issued = issued_lines(list(by_id.values()))
        before = {"total": str(order.total), "lines": {line.sku: line.quantity for line in by_id.values()},
                  "address": order.shipping_address}
        waiting = {line.pk for line in by_id.values() if line.status == L.BACKORDERED}  # the customer agreed to wait
        active = [line for line in by_id.values() if line not in issued]
        # Open shipments first: giving up their requested transfers hands the transfers' units back to the lines
        # (reserved at the source again), so the release below frees them and sourcing counts them as available.
        _cancel_open_shipment_requests(order)
        release_lines(order, active, actor=acting_user)
        removed = [by_id[pk] for pk, qty in quantities.items() if qty <= 0]
        for pk, qty in quantities.items():
            if qty > 0:
                by_id[pk].quantity = qty
        if removed:
            from orders.services.core import _line_transition

            _line_transition(removed, to=L.CANCELLED)
        kept = [line for line in active if line not in removed]
        save_line_fields(kept, ["quantity"])
        position = max((line.position for line in lines), default=0)
        variants = Variant.objects.in_bulk([item[0] for item in add])
        added = []
        for variant_id, qty, *details in add:
            variant = variants.get(variant_id)
            if variant is None or not variant.is_active or qty < 1:
                raise OrderError(_("SKU #%(id)s cannot be added.") % {"id": variant_id})
            position += 1
            line = OrderLine(order=order, position=position, variant=variant, sku=variant.sku, name=variant.name,
                             quantity=qty)
            if variant.is_gift_card:
                from orders.giftcards import set_line_details

                set_line_details(line, details[0] if details else {})
            added.append(line)
        from orders.services.placement import missing_personalization

        if missing := missing_personalization(added):
            # This page takes no personalization: a line added without its required text would be packed blank.
            raise OrderError(_("This page takes no personalization, and the item needs it (%(list)s): sell it on a new "
                               "phone order.") % {"list": "; ".join(missing)}, field="add_sku")
        OrderLine.objects.bulk_create(added)  # one INSERT however many lines the edit adds
        kept.extend(added)
        lines.extend(added)
        if not kept and not issued:
            raise OrderError(_("An order needs at least one line; cancel the order instead."))
        service_name = order.shipping_service_name
        offered = order.delivery_method == Order.Delivery.SHIP and _offers_service(order)
        if shipping_address is not None:
            order.shipping_address = shipping_address
            order.save(update_fields=["shipping_address", "updated_at"])
        reserve_lines(order, kept, actor=acting_user, allow_backorder=order.channel.allow_oversell,
                      backorder_ok=waiting)
        priced = price_lines(order, lines)
        if offered and kept and not _offers_service(order):  # what still ships would silently ship free
            if shipping_address is not None:
                raise OrderError(_("%(service)s does not deliver to the new address (%(region)s): keep the address, "
                                   "or cancel the order and place it again with another shipping option.")
                                 % {"service": service_name, "region": ship_to_region(order) or "—"},
                                 field="shipping_address")
            raise OrderError(_("%(service)s has no rate for the order as changed (a parcel heavier than its rates "
                               "carry, or the service is no longer offered): change less, or cancel the order and "
                               "place it again with another shipping option.") % {"service": service_name})
        promotions_reconcile(order, priced, actor=acting_user)
        save_prices(order, lines)
        _status_after_edit(order, kept, actor=acting_user)
        _hold_if_rules_now_fail(order, lines, actor=acting_user)
        if issued and not kept:  # only issued gift cards left: nothing to ship
            from orders.giftcards import deliver_if_only_cards

            deliver_if_only_cards(order, lines, actor=acting_user)
        after = {"total": str(order.total), "lines": {line.sku: line.quantity for line in [*issued, *kept]},
                 "address": order.shipping_address}
        order_event(order=order, actor=acting_user, kind=OrderEvent.Kind.EDIT, reason=reason,
                    data={"before": before, "after": after})
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=order, verb="order_edit",
                     changes={"before": before, "after": after}, reason=reason)
        _enqueue_payment_adjust(order, reason or "edit")
    return order


def _offers_service(order: Order) -> bool:
    """The order's shipping service is among the options its last pricing quoted (it is charged)."""
    return bool(order.shipping_service) and any(
        option.get("code") == order.shipping_service for option in order.shipping_options or [])


def _status_after_edit(order: Order, lines: list[OrderLine], *, actor) -> None:
    """An allocated order is sourced again; an order with a line now backordered waits for stock (the job that
    retries backorders looks at backordered orders only), one with every line in stock goes on to the warehouse."""
    if order.status not in (S.ALLOCATED, S.CONFIRMED, S.BACKORDERED):
        return  # placed or on hold: the approval looks at the lines when it confirms
    backordered = any(line.status == L.BACKORDERED for line in lines)
    if order.status == S.ALLOCATED:
        _order_transition(order, to=S.CONFIRMED, actor=actor,
                          reason=stored_text(gettext_noop("Edited: to be sourced again")))
    if backordered and order.status == S.CONFIRMED:
        _order_transition(order, to=S.BACKORDERED, actor=actor,
                          reason=stored_text(gettext_noop("Edited: waiting for stock")))
    elif not backordered and order.status == S.BACKORDERED:
        _order_transition(order, to=S.CONFIRMED, actor=actor,
                          reason=stored_text(gettext_noop("Backordered items now in stock")))


def _hold_if_rules_now_fail(order: Order, lines: list[OrderLine], *, actor) -> None:
    """An edit that breaks a hold rule (e.g. now above the value limit) sends the order back for approval.

    Rules a manager already decided on this order are not asked again.
    """
    from orders.services.placement import evaluate_hold_rules, hold_for_rules

    decided = set(OrderHold.objects.filter(order=order).values_list("rule", flat=True))
    new = [(rule, detail) for rule, detail in evaluate_hold_rules(order, lines) if rule not in decided]
    if not new:
        return
    hold_for_rules(order, new, actor=actor)


def _cancel_open_shipment_requests(order: Order) -> None:
    """Seam for the fulfilment issue: cancels open pick/ship requests of an edited order (none exist yet)."""
    from orders.fulfilment.services import shipments_cancel_open  # edited: re-sourced, open shipments cancelled
    shipments_cancel_open(order)


# --- holds and approvals ------------------------------------------------------------------------


def hold_transition(hold: OrderHold, *, to: str, actor, reason: "str | StoredText") -> None:
    """The one place a hold leaves "open": approved or rejected by a manager (``reason`` as typed), or closed by
    the system (``reason`` a stored text, read in each reader's language)."""
    if hold.status != OrderHold.Status.OPEN:
        raise HoldNotOpen()
    hold.status = to
    hold.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    hold.decided_at = timezone.now()
    hold.decision_reason, hold.decision_reason_params = split(reason)
    hold.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "decision_reason_params"])


def holds_close(order: Order, reason: StoredText) -> None:
    """The order's open holds no longer wait for anybody (it was cancelled, or rejected on another hold)."""
    for hold in OrderHold.objects.select_for_update().filter(order=order, status=OrderHold.Status.OPEN):
        hold_transition(hold, to=OrderHold.Status.CLOSED, actor=None, reason=reason)


def hold_approve(*, hold_id: int, reason: str, acting_user) -> Order:
    return _hold_decide(hold_id=hold_id, approve=True, reason=reason, acting_user=acting_user)


def hold_reject(*, hold_id: int, reason: str, acting_user) -> Order:
    return _hold_decide(hold_id=hold_id, approve=False, reason=reason, acting_user=acting_user)


def _hold_decide(*, hold_id: int, approve: bool, reason: str, acting_user) -> Order:
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(_("Give a reason for the decision."), field="reason")
    order_id = OrderHold.objects.values_list("order_id", flat=True).get(pk=hold_id)
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        hold = OrderHold.objects.select_for_update().get(pk=hold_id)
        to = OrderHold.Status.APPROVED if approve else OrderHold.Status.REJECTED
        hold_transition(hold, to=to, actor=acting_user, reason=reason)
        order_event(order=order, actor=acting_user, kind=OrderEvent.Kind.APPROVAL, reason=reason,
                    data={"hold": hold.rule, "decision": to})
        audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, obj=order,
                     verb="hold_approve" if approve else "hold_reject",
                     changes={"rule": hold.rule, "decision": to}, reason=reason)
        if approve:
            still_open = OrderHold.objects.filter(order=order, status=OrderHold.Status.OPEN).exists()
            if not still_open and order.status == S.ON_HOLD:
                lines = lock_lines(order)
                target = S.BACKORDERED if any(line.status == L.BACKORDERED for line in lines) else S.CONFIRMED
                _order_transition(order, to=target, actor=acting_user,
                                  reason=stored_text(gettext_noop("Approved: %(r)s"), r=reason))
                _notify_agent(order, stored_text(gettext_noop("approved by a manager")))
        else:
            lines = lock_lines(order)
            release_lines(order, [line for line in lines if line.status != L.CANCELLED], actor=acting_user,
                          to=L.CANCELLED)
            holds_close(order, stored_text(gettext_noop("Order rejected")))
            rejected = stored_text(gettext_noop("Rejected: %(r)s"), r=reason)
            order.cancel_reason, order.cancel_reason_params = split(rejected)
            order.save(update_fields=["cancel_reason", "cancel_reason_params", "updated_at"])
            _order_transition(order, to=S.CANCELLED, actor=acting_user, reason=rejected)
            _enqueue_payment_adjust(order, "rejected")
            _notify_agent(order, stored_text(gettext_noop("rejected by a manager: %(r)s"), r=reason))
    return order


NOTE_LENGTH = 2000


def order_add_note(*, order_id: int, text: str, acting_user) -> None:
    text = (text or "").strip()
    if not text:
        raise OrderError(_("The note is empty."), field="text")
    if len(text) > NOTE_LENGTH:
        raise OrderError(_("The note has %(n)s characters; at most %(max)s fit.")
                         % {"n": len(text), "max": NOTE_LENGTH}, field="text")
    if "\x00" in text:
        raise OrderError(_("Remove the control characters (such as NUL) from this text."), field="text")
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        order_event(order=order, actor=acting_user, kind=OrderEvent.Kind.NOTE, reason=text)


# --- money ------------------------------------------------------------------------------------------


def payment_adjust(*, order_id: int, acting_user=None) -> dict:
    """Brings the order's payments in line with its total (called by the outbox handler; idempotent).

    Cancelled order: authorizations voided, captured money refunded. Smaller total: the captured
    excess refunded (an authorization is simply captured for less at shipment). Larger total: an
    uncaptured card authorization is re-authorized for the new total; otherwise the shortfall is
    recorded on the order for the agent, who takes an extra payment from the payments panel.
    """
    from payments.errors import PaymentError
    from payments.models import Payment
    from payments.services import payment_reauthorize, settle_to_amount

    order = Order.objects.get(pk=order_id)
    target = Decimal(0) if order.status == S.CANCELLED else order.total
    result = settle_to_amount(order_id=order.pk, amount=target, reason=f"order:{order.number or order.pk}",
                              acting_user=acting_user)
    shortfall = Decimal(result.get("shortfall") or 0)
    if shortfall > 0:
        card = (Payment.objects.filter(order=order, method__in=["card", "paypal"], status=Payment.Status.AUTHORIZED,
                                       captured_amount=0).order_by("-pk").first())
        if card is not None:
            try:
                new = payment_reauthorize(payment_id=card.pk, amount=card.amount + shortfall,
                                          idempotency_key=f"reauth:{order.pk}:{card.pk}:{card.amount + shortfall}",
                                          acting_user=acting_user)
                result["reauthorized"] = [card.pk, new.pk]
                result["shortfall"] = "0"
            except PaymentError as exc:
                result["reauthorize_failed"] = exc.message
    if result.get("voided") or result.get("refunded") or result.get("reauthorized") or \
            Decimal(result.get("shortfall") or 0) > 0:
        with transaction.atomic():
            order_event(order=order, kind=OrderEvent.Kind.PAYMENT, actor=acting_user,
                        reason=stored_text(gettext_noop("Payments adjusted to %(amount)s"),
                                           amount=StoredMoney(target, order.currency)),
                        data=dict(result))
    return result

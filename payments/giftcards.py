"""Gift-card and store-credit services (re-exported by ``payments.services``).

A card's code is shown once when it is issued and stored only as a keyed hash plus its last four
characters. Redemption is a conditional ``UPDATE ... WHERE balance >= amount`` whose row count is
checked, so concurrent redemptions can never overspend; a CHECK constraint keeps balance >= 0.
"""

import hashlib
import hmac
import secrets
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from oms.audit import audit_record
from oms.i18n import StoredText, split, stored_text
from oms.models import AuditEntry
from oms.money import default_currency, quantize
from oms.once import created_by_request
from payments.errors import AmountError, GiftCardAlreadyIssued, GiftCardError
from payments.ledger import Acct, cr, dr, journal_post
from payments.models import GiftCard, GiftCardTransaction, masked

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
LIABILITY = {GiftCard.Kind.GIFT_CARD: Acct.GIFT_CARDS, GiftCard.Kind.STORE_CREDIT: Acct.STORE_CREDIT}
SOURCE_DEBIT = {"sale": Acct.CUSTOMER_BALANCES, "refund": Acct.CUSTOMER_BALANCES, "goodwill": Acct.GOODWILL,
                "promotion": Acct.DISCOUNTS}


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    key = getattr(settings, "GIFT_CARD_CODE_KEY", settings.SECRET_KEY).encode()
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _card_text(msgid: str, card: GiftCard) -> StoredText:
    """A journal memo naming ``card`` ("Gift card issued ••••0250"), read in each reader's language."""
    return stored_text(msgid, kind=GiftCard.Kind(card.kind).label, card=masked(card.last4))


def _reference(msgid: str, card: GiftCard) -> dict:
    """The ``reference`` and ``reference_params`` of a card movement naming another card ("replaced by ••••C3YE")."""
    text, params = split(stored_text(msgid, card=masked(card.last4)))
    return {"reference": text, "reference_params": params}


def _positive(amount, currency: str) -> Decimal:
    value = quantize(Decimal(amount), currency)
    if value <= 0:
        raise AmountError(_("The amount must be greater than zero."), field="amount")
    return value


def giftcard_issue(*, amount, currency: str | None = None, kind: str = GiftCard.Kind.GIFT_CARD,
                   source: str = "sale", expires_on: date | None = None, reference: str = "",
                   acting_user, code: str | None = None, order_id: int | None = None,
                   request_key: str | None = None) -> tuple[GiftCard, str]:
    """Issues a card and returns ``(card, code)``; the code is never readable again.

    ``code`` is for cards printed in advance (at least 12 letters or digits); by default one is made.
    ``order_id``: the order that sold the card (a gift card sold as a product, ``source="sale"``).
    ``request_key`` names the issue form copy: the same copy sent twice (a double click) issues one card, and the
    second copy is refused with ``GiftCardAlreadyIssued`` naming it (its code was on the first answer only).

    Ledger: Dr the source (customer balances for a sale or refund, goodwill, discounts) / Cr the
    gift-card or store-credit liability.
    """
    currency = currency or default_currency()
    amount = _positive(amount, currency)
    if source not in SOURCE_DEBIT:
        raise GiftCardError(_("Unknown gift card source “%(source)s”.") % {"source": source}, field="source")
    if expires_on and expires_on < timezone.localdate():
        raise GiftCardError(_("The expiry date is in the past."), field="expires_on")
    if code is not None and len(normalise_code(code)) < 12:
        raise GiftCardError(_("A gift card code needs at least 12 letters or digits."), field="code")
    code = code or new_code()
    if GiftCard.objects.filter(code_hash=code_hash(code)).exists():
        raise GiftCardError(_("A card with this code already exists."), code="duplicate_code", field="code")
    with transaction.atomic(savepoint=False):
        if (sent_before := created_by_request(GiftCard, request_key)) is not None:
            raise GiftCardAlreadyIssued(_(
                "This form was sent twice: its first copy issued card %(card)s, whose code was shown on that "
                "answer only. If the code was not noted, replace the card to get a new code.")
                % {"card": masked(sent_before.last4)}, card_id=sent_before.pk)
        card = GiftCard.objects.create(kind=kind, code_hash=code_hash(code), last4=normalise_code(code)[-4:],
                                       currency=currency,
                                       initial_amount=amount, balance=amount, expires_on=expires_on, source=source,
                                       reference=reference[:60], order_id=order_id, issued_by=_user(acting_user),
                                       request_key=request_key or None)
        entry = journal_post(
            lines=[dr(SOURCE_DEBIT[source], amount), cr(LIABILITY[card.kind], amount)],
            memo=_card_text(gettext_noop("%(kind)s issued %(card)s"), card),
            reference=reference or f"giftcard:{card.pk}",
            currency=currency, acting_user=acting_user,
        )
        GiftCardTransaction.objects.create(card=card, kind=GiftCardTransaction.Kind.ISSUE, amount=amount,
                                           balance_after=amount, reference=reference[:60], journal_entry=entry,
                                           created_by=_user(acting_user))
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=card, verb="giftcard_issue",
                     changes={"amount": str(amount), "currency": currency, "source": source,
                              **({"order": order_id} if order_id else {})})
    return card, code


def giftcard_void(*, card_id: int, reason: str, reference: str, acting_user, remainder: bool = False,
                  debit_account: str | None = None, credit_account: str = Acct.CUSTOMER_BALANCES) -> GiftCard:
    """Takes back a card that was never used (its sale refunded): balance to zero, card disabled.

    Composes inside the caller's transaction. Refuses a card already spent from (even partly): what
    was spent cannot be taken back, so its sale is not refundable this way; with ``remainder`` a card
    partly spent gives back what is left on it (its balance, never more). Idempotent: a card voided
    before is returned as it is. Ledger: Dr the liability / Cr ``credit_account`` (customer order
    balances, from where the payment is refunded).
    """
    with transaction.atomic(savepoint=False):
        card = GiftCard.objects.select_for_update().get(pk=card_id)
        if card.transactions.filter(kind=GiftCardTransaction.Kind.VOID).exists():
            return card
        if card.balance <= 0:
            raise GiftCardError(_("Card ••••%(last4)s has nothing left on it to refund.") % {"last4": card.last4},
                                code="gift_card_used")
        if not remainder and (card.balance != card.initial_amount or card.transactions.exclude(
                kind=GiftCardTransaction.Kind.ISSUE).exists()):
            raise GiftCardError(_("Card ••••%(last4)s has been used (balance %(balance)s of %(initial)s): it cannot "
                                  "be refunded.") % {"last4": card.last4, "balance": card.balance,
                                                     "initial": card.initial_amount}, code="gift_card_used")
        if card.status != GiftCard.Status.ACTIVE:
            raise GiftCardError(_("Card ••••%(last4)s is disabled: enable it or refund it by hand.")
                                % {"last4": card.last4}, code="gift_card_disabled")
        amount = card.balance
        GiftCard.objects.filter(pk=card.pk, balance=amount).update(balance=0)  # locked: it cannot have moved
        entry = journal_post(lines=[dr(debit_account or LIABILITY[card.kind], amount), cr(credit_account, amount)],
                             memo=_card_text(gettext_noop("%(kind)s voided %(card)s"), card), reference=reference,
                             currency=card.currency, acting_user=acting_user)
        GiftCardTransaction.objects.create(card=card, kind=GiftCardTransaction.Kind.VOID, amount=-amount,
                                           balance_after=0, reference=reference[:60], journal_entry=entry,
                                           created_by=_user(acting_user))
        card.balance = 0
        _giftcard_transition(card, to=GiftCard.Status.DISABLED)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=card, verb="giftcard_void",
                     changes={"balance": [str(amount), "0"], "status": ["active", "disabled"]}, reason=reason)
    return card


def giftcard_replace(*, card_id: int, reason: str, acting_user) -> tuple[GiftCard, str]:
    """A card whose code was lost: the old card is emptied and disabled, a new code carries its balance.

    Returns ``(new card, code)``; the code is shown once. The new card keeps the old one's kind, expiry,
    source, order and reference (so an order's refund still finds it). Refuses a card already replaced,
    voided or empty. Ledger: one entry, Dr liability (old card) / Cr the same liability (new card): the
    liability does not change, the ledger shows the move. Audited on both cards with the reason.
    """
    reason = (reason or "").strip()
    if not reason:
        raise GiftCardError(_("Give a reason for replacing the card."), field="reason")
    if "\x00" in reason:
        raise GiftCardError(_("Remove the control characters (such as NUL) from the reason."), field="reason")
    with transaction.atomic(durable=True):
        old = GiftCard.objects.select_for_update().get(pk=card_id)
        if old.replaced_by_id:
            raise GiftCardError(_("Card ••••%(last4)s was already replaced by ••••%(new)s.")
                                % {"last4": old.last4, "new": old.replaced_by.last4}, code="gift_card_replaced")
        if old.transactions.filter(kind=GiftCardTransaction.Kind.VOID).exists() or old.balance <= 0:
            raise GiftCardError(_("Card ••••%(last4)s has no balance left: there is nothing to move to a new card.")
                                % {"last4": old.last4}, code="gift_card_empty")
        amount = old.balance
        code = new_code()
        while GiftCard.objects.filter(code_hash=code_hash(code)).exists():  # 80 bits: practically never
            code = new_code()
        new = GiftCard.objects.create(kind=old.kind, code_hash=code_hash(code), last4=normalise_code(code)[-4:],
                                      currency=old.currency, initial_amount=amount, balance=amount,
                                      expires_on=old.expires_on, source=old.source, reference=old.reference,
                                      order_id=old.order_id, issued_by=_user(acting_user))
        GiftCard.objects.filter(pk=old.pk, balance=amount).update(balance=0, replaced_by=new)
        liability = LIABILITY[old.kind]
        entry = journal_post(
            lines=[dr(liability, amount, masked(old.last4)), cr(liability, amount, masked(new.last4))],
            memo=stored_text(gettext_noop("%(kind)s %(old)s replaced by %(new)s"), kind=GiftCard.Kind(old.kind).label,
                             old=masked(old.last4), new=masked(new.last4)),
            reference=f"giftcard:{old.pk}:replace", currency=old.currency, acting_user=acting_user)
        GiftCardTransaction.objects.create(card=old, kind=GiftCardTransaction.Kind.REPLACE, amount=-amount,
                                           balance_after=0, **_reference(gettext_noop("replaced by %(card)s"), new),
                                           journal_entry=entry, created_by=_user(acting_user))
        GiftCardTransaction.objects.create(card=new, kind=GiftCardTransaction.Kind.ISSUE, amount=amount,
                                           balance_after=amount, **_reference(gettext_noop("replaces %(card)s"), old),
                                           journal_entry=entry, created_by=_user(acting_user))
        old.balance, old.replaced_by = 0, new
        previous = old.status
        if old.status != GiftCard.Status.DISABLED:
            _giftcard_transition(old, to=GiftCard.Status.DISABLED)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=old, verb="giftcard_replace",
                     changes={"balance": [str(amount), "0"], "status": [previous, "disabled"],
                              "replaced_by": new.pk}, reason=reason)
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=new, verb="giftcard_issue",
                     changes={"amount": str(amount), "currency": new.currency, "source": new.source,
                              "replaces": old.pk}, reason=reason)
    return new, code


def giftcard_find(*, code: str) -> GiftCard | None:
    return GiftCard.objects.filter(code_hash=code_hash(code)).first()


def giftcard_redeem(*, amount, reference: str, acting_user, code: str = "", card_id: int | None = None,
                    currency: str | None = None, credit_account: str = Acct.CUSTOMER_BALANCES,
                    kind: str | None = None) -> GiftCardTransaction:
    """Spends ``amount`` from a card (found by ``code`` or ``card_id``); raises ``GiftCardError``.

    Ledger: Dr gift-card liability / Cr ``credit_account`` (customer order balances by default).
    """
    card = giftcard_find(code=code) if code else GiftCard.objects.filter(pk=card_id).first()
    if card is None or (kind and card.kind != kind):
        raise GiftCardError(_("No gift card with that code."), code="gift_card_not_found", field="code")
    if currency and card.currency != currency:
        raise GiftCardError(_("The card is in %(card)s, the order in %(order)s.") % {"card": card.currency,
                                                                                     "order": currency})
    amount = _positive(amount, card.currency)
    today = timezone.localdate()
    with transaction.atomic(savepoint=False):
        spent = (
            GiftCard.objects.filter(pk=card.pk, status=GiftCard.Status.ACTIVE, balance__gte=amount)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            .update(balance=F("balance") - amount)
        )
        if spent:
            balance = GiftCard.objects.values_list("balance", flat=True).get(pk=card.pk)
            entry = journal_post(lines=[dr(LIABILITY[card.kind], amount), cr(credit_account, amount)],
                                 memo=_card_text(gettext_noop("%(kind)s redeemed %(card)s"), card), reference=reference,
                                 currency=card.currency, acting_user=acting_user)
            return GiftCardTransaction.objects.create(
                card=card, kind=GiftCardTransaction.Kind.REDEEM, amount=-amount, balance_after=balance,
                reference=reference[:60], journal_entry=entry, created_by=_user(acting_user))
    # Nothing was changed; say why (outside the block, so a caller's transaction stays usable).
    card.refresh_from_db()
    if card.status != GiftCard.Status.ACTIVE:
        raise GiftCardError(_("The card is disabled."), code="gift_card_disabled")
    if card.expires_on and card.expires_on < today:
        raise GiftCardError(_("The card expired on %(date)s.") % {"date": card.expires_on}, code="gift_card_expired")
    raise GiftCardError(_("The card's balance (%(balance)s) is less than %(amount)s.")
                        % {"balance": card.balance, "amount": amount}, code="insufficient_balance")


def giftcard_reload(*, card_id: int, amount, reference: str, acting_user,
                    debit_account: str = Acct.CUSTOMER_BALANCES) -> GiftCardTransaction:
    """Puts money back on a card (a refund or void of a gift-card payment).

    A card replaced since (its code was lost) gets nothing: the money goes on the card that replaced it, whose
    code the customer holds, and that card's initial amount grows with it (it stands for the old card's).
    """
    card = GiftCard.objects.get(pk=card_id)
    amount = _positive(amount, card.currency)
    with transaction.atomic(savepoint=False):
        card = GiftCard.objects.select_for_update().get(pk=card_id)  # waits for a replacement under way
        moved = bool(card.replaced_by_id)
        while card.replaced_by_id:
            card = GiftCard.objects.select_for_update().get(pk=card.replaced_by_id)
        loaded = Greatest(F("initial_amount"), F("balance") + amount) if moved else F("initial_amount")
        GiftCard.objects.filter(pk=card.pk).update(balance=F("balance") + amount, initial_amount=loaded)
        balance = GiftCard.objects.values_list("balance", flat=True).get(pk=card.pk)
        entry = journal_post(lines=[dr(debit_account, amount), cr(LIABILITY[card.kind], amount)],
                             memo=_card_text(gettext_noop("%(kind)s credited back %(card)s"), card),
                             reference=reference,
                             currency=card.currency, acting_user=acting_user)
        return GiftCardTransaction.objects.create(card=card, kind=GiftCardTransaction.Kind.RELOAD, amount=amount,
                                                  balance_after=balance, reference=reference[:60],
                                                  journal_entry=entry, created_by=_user(acting_user))


def _giftcard_transition(card: GiftCard, *, to: str) -> None:
    card.status = to
    card.save(update_fields=["status"])


def giftcard_disable(*, card_id: int, reason: str, acting_user) -> GiftCard:
    with transaction.atomic(durable=True):
        card = GiftCard.objects.select_for_update().get(pk=card_id)
        if card.status == GiftCard.Status.DISABLED:
            raise GiftCardError(_("Card %(card)s is already disabled.") % {"card": masked(card.last4)},
                                code="already_disabled")
        _giftcard_transition(card, to=GiftCard.Status.DISABLED)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=card, verb="giftcard_disable",
                     changes={"status": ["active", "disabled"]}, reason=reason)
    return card


def giftcard_lookup(*, code: str, acting_user, ip_address: str | None = None) -> GiftCard | None:
    """Finds a card by code for an agent and records the lookup (found or not) in the audit trail."""
    card = giftcard_find(code=code)
    audit_record(actor=acting_user, action=AuditEntry.Action.ACCESS, obj=card,
                 object_type="" if card else "payments.giftcard", verb="giftcard_lookup",
                 changes={"found": card is not None, "last4": normalise_code(code)[-4:]}, ip_address=ip_address)
    return card


def _user(user):
    return user if getattr(user, "pk", None) else None

"""Payment services: the only code that changes payments, invoices and settlements.

Processor calls happen with no database lock held: a service first records the transaction as
pending (committed), then calls the processor, then locks the payment and records the result.
Services that talk to a processor refuse to run inside an open transaction.

Ledger (see ``payments.ledger``): money received moves into 2000 Customer order balances from the
method's clearing account; refunds move it back; invoices put it in accounts receivable.
"""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from oms.audit import audit_record
from oms.i18n import StoredMoney, StoredText, as_stored, split, stored_text
from oms.models import AuditEntry
from oms.money import ZERO, exponent, minor_unit, quantize
from oms.numbers import NumberError, parse_amount
from oms.templatetags.oms_tags import money
from payments import pix
from payments.errors import AmountError, IdempotencyConflict, InvalidPaymentState, PaymentDeclined, PaymentError
from payments.events import payment_changed
from payments.gateway import GatewayError, GatewayTimeout, get_gateway
from payments.gateway.base import decline_reason
from payments.gateway.sandbox import luhn_valid
from payments.giftcards import (  # noqa: F401 - re-exported: the gift-card services are part of this API
    giftcard_disable,
    giftcard_issue,
    giftcard_lookup,
    giftcard_redeem,
    giftcard_reload,
    giftcard_replace,
    giftcard_void,
)
from payments.installments import installments_problem
from payments.ledger import Acct, cr, dr, journal_post
from payments.models import (
    OPEN_AUTHORIZATION,
    GiftCard,
    Invoice,
    InvoiceMovement,
    Payment,
    PaymentTransaction,
    SavedCard,
    masked,
)

M = Payment.Method
S = Payment.Status
K = PaymentTransaction.Kind
R = PaymentTransaction.Result

GATEWAY_METHODS = {M.CARD, M.PAYPAL}
OFFLINE_METHODS = {M.PIX, M.BOLETO, M.BANK_TRANSFER, M.COD, M.CHECK}
STORED_VALUE_METHODS = {M.GIFT_CARD, M.STORE_CREDIT}
CLEARING = {M.CARD: Acct.CARD_CLEARING, M.PAYPAL: Acct.PAYPAL_CLEARING, M.PIX: Acct.PIX_CLEARING,
            M.BOLETO: Acct.PIX_CLEARING, M.BANK_TRANSFER: Acct.PIX_CLEARING, M.COD: Acct.COD_IN_TRANSIT,
            M.CHECK: Acct.CHECKS_TO_DEPOSIT, M.INVOICE: Acct.RECEIVABLE}

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.AUTHORIZED, S.CAPTURED, S.DECLINED, S.FAILED, S.VOIDED},
    S.FAILED: {S.AUTHORIZED, S.DECLINED, S.FAILED, S.VOIDED},
    S.AUTHORIZED: {S.PARTIALLY_CAPTURED, S.CAPTURED, S.VOIDED},
    S.PARTIALLY_CAPTURED: {S.PARTIALLY_CAPTURED, S.CAPTURED, S.PARTIALLY_REFUNDED},
    S.CAPTURED: {S.PARTIALLY_REFUNDED, S.REFUNDED},
    S.PARTIALLY_REFUNDED: {S.PARTIALLY_REFUNDED, S.REFUNDED},
    S.DECLINED: set(),
    S.VOIDED: set(),
    S.REFUNDED: set(),
}


MONEY_MOVED = {"captured_amount", "refunded_amount"}  # a change of these is news even when the status stays


def _payment_transition(payment: Payment, *, to: str, refund: PaymentTransaction | None = None, **fields) -> None:
    """The one place a payment's status changes; ``fields`` are saved with it. ``refund``: the refund that made the
    change, named in the change's notice (``payments.events``)."""
    if to != payment.status and to not in ALLOWED_TRANSITIONS[payment.status]:
        raise InvalidPaymentState(_("A payment cannot go from %(old)s to %(new)s.") % {"old": payment.status,
                                                                                       "new": to})
    previous = payment.status
    payment.status = to
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.save(update_fields=["status", "updated_at", *fields])
    if to != previous or MONEY_MOVED & fields.keys():  # a second partial refund keeps its status, not its amount
        payment_changed(payment=payment, previous=previous, refund_id=refund.pk if refund else None)


def _refused(payment: Payment, *, code: str, reason, to: str = S.DECLINED, **fields) -> None:
    """Records why a payment was refused: ``reason`` is our own text (a stored text, read in each reader's
    language) or a processor's words, kept as it said them."""
    message, params = split(as_stored(reason))
    _payment_transition(payment, to=to, decline_code=code, decline_message=message[:200],
                        decline_message_params=params, **fields)


def _money_status(payment: Payment) -> str:
    if payment.refunded_amount > 0:
        fully = payment.refunded_amount == payment.captured_amount and payment.captured_amount == payment.amount
        return S.REFUNDED if fully else S.PARTIALLY_REFUNDED
    if payment.captured_amount == payment.amount:
        return S.CAPTURED
    return S.PARTIALLY_CAPTURED if payment.captured_amount > 0 else S.AUTHORIZED


def _lock(payment_id: int) -> Payment:
    return Payment.objects.select_for_update(of=("self",)).get(pk=payment_id)


def _no_open_transaction(what: str) -> None:
    if connection.in_atomic_block:
        raise RuntimeError(f"{what} talks to the payment processor: call it outside any transaction")


def _user(user):
    return user if getattr(user, "pk", None) else None


CARD_LIKE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# In notes and references: a run of digits on its own, not inside a word (a hex key, a PIX end-to-end id).
WRITTEN_CARD_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")


def _refuse_card_numbers(details: dict, *, written: bool = False) -> None:
    """Defence in depth: a card number typed into a free-text field never reaches the database. ``written``: the
    fields are notes (a refund's reason, a receipt's reference), not where a card would be entered."""
    for key, value in details.items():
        for match in (WRITTEN_CARD_LIKE if written else CARD_LIKE).finditer(str(value)):
            if luhn_valid(re.sub(r"\D", "", match.group())):
                message = (_("A card number cannot be written here: leave it out (the payment names its card by the "
                             "last four digits).") if written else
                           _("Card numbers are not accepted here: use the secure card field."))
                raise PaymentError(message, code="card_number_refused", field=str(key))


def _exact_amount(amount, currency: str) -> Decimal:
    """An amount of money to move, in the currency's own units. One with more decimals than the currency has
    (10.555 reais, 100.5 yen, 1.2345 dinars) is refused: rounded, it moved an amount nobody had typed."""
    value = Decimal(amount)
    exact = quantize(value, currency)
    if value != exact:
        params = {"amount": number_format(value), "currency": currency, "places": exponent(currency)}
        message = (_("The amount %(amount)s has decimals, but %(currency)s amounts are whole numbers.") % params
                   if not exponent(currency) else
                   _("The amount %(amount)s has too many decimals: %(currency)s amounts have at most %(places)s.")
                   % params)
        raise AmountError(message, field="amount")
    return exact


# --- authorize ----------------------------------------------------------------------------------


def payment_authorize(*, order_id: int, method: str, amount, currency: str, token: str = "",
                      details: dict | None = None, idempotency_key: str, acting_user,
                      credit_limit=None, open_balance=None, installments: int = 1) -> Payment:
    """Takes (or asks for) a payment for an order; raises ``PaymentDeclined`` with a ``code``.

    * card/paypal: authorized at the processor (call outside any transaction); captured later. A card may be
      billed in ``installments`` (``payments.installments``; which counts a channel offers is the caller's rule).
    * pix/boleto/bank_transfer/cod/check: pending until confirmed (webhook or ``payment_confirm``).
    * gift_card/store_credit (``details={"code": ...}``): redeemed now, status paid.
    * invoice: authorized against the customer's credit (``credit_limit``/``open_balance`` when
      given); the invoice is issued when it is captured at shipment.

    A retry with the same ``idempotency_key`` returns the first payment (or its decline).
    """
    details = dict(details or {})
    if method not in M.values:
        raise PaymentError(_("Unknown payment method “%(method)s”.") % {"method": method}, code="unknown_method",
                           field="method")
    amount = _exact_amount(amount, currency)
    if amount <= 0:
        raise AmountError(_("The amount must be greater than zero."), field="amount")
    _check_installments(method, installments)
    _refuse_card_numbers(details)
    if method in GATEWAY_METHODS:
        _no_open_transaction("payment_authorize")

    payment, created = _payment_for_key(order_id=order_id, method=method, amount=amount, currency=currency,
                                        installments=installments, idempotency_key=idempotency_key,
                                        acting_user=acting_user)
    if not created:
        if payment.status == S.DECLINED:
            raise PaymentDeclined(payment.decline_reason, code=payment.decline_code, payment_id=payment.pk)
        if not (payment.status == S.FAILED and method in GATEWAY_METHODS):
            return payment
    if method in GATEWAY_METHODS:
        return _authorize_at_gateway(payment, token=token, details=details, acting_user=acting_user)
    with transaction.atomic():
        payment = _lock(payment.pk)
        if payment.status != S.PENDING:
            return payment
        if method in OFFLINE_METHODS:
            _start_offline(payment, details)
        elif method in STORED_VALUE_METHODS:
            _pay_with_stored_value(payment, details, acting_user)
        else:
            _authorize_invoice(payment, details, credit_limit, open_balance)
    if payment.status == S.DECLINED:  # recorded (committed) above, then reported
        raise PaymentDeclined(payment.decline_reason, code=payment.decline_code, payment_id=payment.pk)
    return payment


def _gateway_name(method: str) -> str:
    if method == M.CARD:
        return getattr(settings, "PAYMENTS_CARD_GATEWAY", "sandbox")
    return "sandbox" if method in GATEWAY_METHODS else ""


def _check_installments(method: str, installments) -> None:
    if problem := installments_problem(installments, method):
        raise PaymentError(problem, code="installments_invalid", field="installments")


def _payment_for_key(*, order_id, method, amount, currency, installments, idempotency_key,
                     acting_user) -> tuple[Payment, bool]:
    # Insert first, read only on a repeated key: a new payment (the usual case) costs one statement.
    try:
        with transaction.atomic():
            payment, created = Payment.objects.create(
                idempotency_key=idempotency_key, order_id=order_id, method=method, amount=amount, currency=currency,
                installments=installments, created_by=_user(acting_user), gateway=_gateway_name(method),
            ), True
    except IntegrityError:
        payment, created = Payment.objects.get(idempotency_key=idempotency_key), False
    if not created and (payment.order_id, payment.method, payment.amount, payment.currency, payment.installments) != (
            order_id, method, amount, currency, installments):
        raise IdempotencyConflict()
    return payment, created


def _authorize_at_gateway(payment: Payment, *, token: str, details: dict, acting_user) -> Payment:
    gateway = get_gateway(payment.gateway or "sandbox")
    if payment.method == M.PAYPAL and not token:
        token = f"paypal:{details.get('email', '')}"
    if not token:
        with transaction.atomic():
            payment = _lock(payment.pk)
            _refused(payment, code="missing_token",
                     reason=stored_text(gettext_noop("Enter the card in the secure card field first.")))
        raise PaymentDeclined(payment.decline_reason, code=payment.decline_code, payment_id=payment.pk)
    info = gateway.token_info(token=token)
    card = {"token": token, "card_brand": (info.brand if info else details.get("brand", ""))[:20],
            "card_last4": (info.last4 if info else str(details.get("last4", "")))[:4]}
    if info and info.exp_month:
        card.update(card_exp_month=info.exp_month, card_exp_year=info.exp_year)
    key = f"{payment.idempotency_key}:authorize"
    try:  # insert first: only a retried payment already has its authorize row
        with transaction.atomic():
            txn = PaymentTransaction.objects.create(idempotency_key=key, payment=payment, kind=K.AUTHORIZE,
                                                    amount=payment.amount, created_by=_user(acting_user))
    except IntegrityError:
        txn = PaymentTransaction.objects.get(idempotency_key=key)
    try:
        result = gateway.authorize(token=token, amount=payment.amount, currency=payment.currency,
                                   installments=payment.installments, idempotency_key=key)
    except GatewayError as exc:
        timeout = isinstance(exc, GatewayTimeout)
        reason = (stored_text(gettext_noop(
            "The payment processor did not answer. Try again; the same attempt will not be charged twice."))
            if timeout else stored_text(gettext_noop("The payment processor refused the request: %(error)s"),
                                        error=str(exc)))
        with transaction.atomic():
            payment = _lock(payment.pk)
            PaymentTransaction.objects.filter(pk=txn.pk).update(result=R.ERROR, code=exc.code, message=str(exc)[:200])
            _refused(payment, code=exc.code, reason=reason, to=S.FAILED, **card)
        raise PaymentDeclined(reason, code=exc.code, payment_id=payment.pk)
    with transaction.atomic():
        payment = _lock(payment.pk)
        PaymentTransaction.objects.filter(pk=txn.pk).update(
            result=R.SUCCESS if result.approved else R.DECLINED, gateway_reference=result.reference,
            code=result.code, message=result.message[:200])
        if result.approved:
            _payment_transition(payment, to=S.AUTHORIZED, gateway_reference=result.reference, decline_code="",
                                decline_message="", decline_message_params=None, **card)
            return payment
        _refused(payment, code=result.code, reason=decline_reason(result.code, result.message), **card)
    raise PaymentDeclined(payment.decline_reason, code=result.code, payment_id=payment.pk)


def _start_offline(payment: Payment, details: dict) -> None:
    today = timezone.localdate()
    info: dict = {}
    if payment.method == M.PIX:
        if payment.currency != "BRL":
            _refused(payment, code="currency_not_supported",
                     reason=stored_text(gettext_noop("PIX takes payments in BRL only.")))
            return
        txid = pix.new_txid()
        info = {"txid": txid, "copy_paste": pix.brcode(amount=payment.amount, txid=txid),
                "expires_at": (timezone.now() + timedelta(hours=24)).isoformat()}
    elif payment.method == M.BOLETO:
        info = {"digitable_line": _boleto_line(payment), "due_on": (today + timedelta(days=3)).isoformat()}
    elif payment.method == M.BANK_TRANSFER:
        info = {"transfer_reference": f"OMS-{payment.order_id}-{payment.pk}"}
    elif payment.method == M.CHECK:
        info = {"check_number": str(details.get("check_number", ""))[:20], "bank": str(details.get("bank", ""))[:40]}
    payment.instructions = info
    payment.save(update_fields=["instructions", "updated_at"])


def _boleto_line(payment: Payment) -> str:
    """A boleto "linha digitável" for the sandbox bank (format only; no bank registers it)."""
    cents = f"{int(payment.amount * 100):010d}"
    nosso = f"{payment.pk:011d}"
    return f"00190.00009 0{nosso[:4]}.{nosso[4:9]}1 {nosso[9:]}000.000001 1 {9000 + payment.pk % 999}{cents}"


def _pay_with_stored_value(payment: Payment, details: dict, acting_user) -> None:
    code = str(details.get("code", "")).strip()
    kind = GiftCard.Kind.GIFT_CARD if payment.method == M.GIFT_CARD else GiftCard.Kind.STORE_CREDIT
    card_id = details.get("card_id")
    if not code and not card_id:
        # Recorded as declined like any other refusal, so no payment is left pending.
        _refused(payment, code="gift_card_not_found", reason=stored_text(gettext_noop("Enter the gift card code.")))
        return
    try:
        with transaction.atomic():
            txn = giftcard_redeem(amount=payment.amount, reference=f"order:{payment.order_id}", code=code,
                                  card_id=card_id, currency=payment.currency, kind=kind, acting_user=acting_user)
    except PaymentError as exc:
        _refused(payment, code=exc.code, reason=exc.reason)
        return
    PaymentTransaction.objects.create(payment=payment, kind=K.CAPTURE, result=R.SUCCESS, amount=payment.amount,
                                      idempotency_key=f"{payment.idempotency_key}:redeem",
                                      journal_entry=txn.journal_entry, reference=f"giftcard:{txn.card_id}",
                                      created_by=_user(acting_user))
    _payment_transition(payment, to=S.CAPTURED, gift_card=txn.card, captured_amount=payment.amount)


def _authorize_invoice(payment: Payment, details: dict, credit_limit, open_balance) -> None:
    if credit_limit is not None:
        available = Decimal(credit_limit) - Decimal(open_balance or 0)
        if payment.amount > available:
            _refused(payment, code="credit_limit_exceeded", reason=stored_text(
                gettext_noop("The order exceeds the customer's available credit (%(available)s)."),
                available=StoredMoney(quantize(available, payment.currency), payment.currency)))
            return
    payment.instructions = {"terms_days": int(details.get("terms_days") or 30),
                            "customer_name": str(details.get("customer_name", ""))[:200]}
    _payment_transition(payment, to=S.AUTHORIZED, instructions=payment.instructions)


# --- capture, confirm ---------------------------------------------------------------------------


def _txn_key(payment: Payment, kind: str, reference: str) -> str:
    return f"{payment.pk}:{kind}:{reference}" if reference else f"{payment.pk}:{kind}:{uuid.uuid4().hex}"


def _earlier_request(payment: Payment, key: str, *, amount: Decimal, reference: str) -> PaymentTransaction | None:
    """The transaction an earlier call with this reference made (None for a first call).

    A reference names one capture (or refund) of a payment: asked again for the same amount it is a retry and
    gets the first answer; asked for another amount it is another request that reused the reference, refused
    before anything is written (returning the first one would report money that did not move)."""
    earlier = payment.transactions.filter(idempotency_key=key).first()
    if earlier is None or earlier.amount == amount:
        return earlier
    currency = earlier.payment.currency
    params = {"reference": reference, "earlier": money(earlier.amount, currency), "amount": money(amount, currency)}
    if earlier.kind == K.REFUND:
        message = _("The reference “%(reference)s” was already used for a refund of %(earlier)s on this payment; "
                    "this refund is of %(amount)s. Give the new refund its own reference.") % params
    else:
        message = _("The reference “%(reference)s” was already used for a capture of %(earlier)s on this payment; "
                    "this capture is of %(amount)s. Give the new capture its own reference.") % params
    raise IdempotencyConflict(message, field="reference")


def _pending_sum(payment: Payment, kind: str) -> Decimal:
    return payment.transactions.filter(kind=kind, result=R.PENDING).aggregate(s=Sum("amount"))["s"] or ZERO


def _gateway_call(payment, txn, *, operation: str, idempotency_key: str, failure: str):
    """Captures or refunds ``txn.amount`` at the processor (no lock held); a processor error is recorded on
    the transaction and raised as ``PaymentDeclined`` with ``failure`` as its message."""
    gateway = get_gateway(payment.gateway or "sandbox")
    try:
        return getattr(gateway, operation)(reference=payment.gateway_reference, amount=txn.amount,
                                           idempotency_key=idempotency_key)
    except GatewayError as exc:
        PaymentTransaction.objects.filter(pk=txn.pk).update(result=R.ERROR, code=exc.code, message=str(exc)[:200])
        raise PaymentDeclined(failure, code=exc.code, payment_id=payment.pk)


def payments_capture_up_to(*, order_id: int, amount: Decimal, reference_for, acting_user
                           ) -> tuple[Decimal, PaymentError | None]:
    """Captures up to ``amount`` from the order's open card, PayPal and invoice authorizations, oldest first.

    ``reference_for(payment_id)`` names each capture (``payment_capture`` is idempotent per reference). Returns
    what was captured and the refusal that stopped it, if any (what was captured before it stays captured).
    """
    captured = ZERO
    open_payments = Payment.objects.filter(order_id=order_id, method__in=[M.CARD, M.PAYPAL, M.INVOICE],
                                           status__in=OPEN_AUTHORIZATION).order_by("pk")
    for payment in open_payments:
        if captured >= amount:
            break
        part = min(amount - captured, payment.amount - payment.captured_amount)
        if part <= 0:
            continue
        try:
            payment_capture(payment_id=payment.pk, amount=part, reference=reference_for(payment.pk),
                            acting_user=acting_user)
        except PaymentError as exc:
            return captured, exc
        captured += part
    return captured, None


def payment_capture(*, payment_id: int, amount, reference: str, acting_user) -> PaymentTransaction:
    """Captures ``amount`` of an authorization (per shipment: pass ``reference="shipment:<id>"``).

    Idempotent per ``reference``: capturing the same shipment twice returns the first capture; the same reference
    with another amount is another capture and is refused (``IdempotencyConflict``), nothing written.
    A card/PayPal capture calls the processor with no lock held; an invoice capture issues the invoice.
    """
    _refuse_card_numbers({"reference": reference}, written=True)
    payment = Payment.objects.get(pk=payment_id)
    amount = _exact_amount(amount, payment.currency)
    if payment.method in GATEWAY_METHODS:
        _no_open_transaction("payment_capture")
    if payment.method not in GATEWAY_METHODS | {M.INVOICE}:
        raise InvalidPaymentState(_("%(method)s payments are collected in full when confirmed; nothing to capture.")
                                  % {"method": payment.get_method_display()}, code="not_capturable")
    key = _txn_key(payment, K.CAPTURE, reference)
    with transaction.atomic():
        payment = _lock(payment_id)
        earlier = _earlier_request(payment, key, amount=amount, reference=reference)
        if earlier and earlier.result == R.SUCCESS:
            return earlier
        if earlier is None:
            if payment.capturable <= 0:
                raise InvalidPaymentState(_("Only an authorized payment can be captured (this one is %(status)s).")
                                          % {"status": payment.get_status_display()})
            available = payment.amount - payment.captured_amount - _pending_sum(payment, K.CAPTURE)
            if amount <= 0 or amount > available:
                raise AmountError(_("You can capture between %(min)s and %(available)s.")
                                  % {"min": money(minor_unit(payment.currency), payment.currency),
                                     "available": money(max(available, ZERO), payment.currency)}, field="amount")
            earlier = PaymentTransaction.objects.create(payment=payment, kind=K.CAPTURE, amount=amount,
                                                        idempotency_key=key, reference=reference[:60],
                                                        created_by=_user(acting_user))
        elif earlier.result != R.PENDING:
            PaymentTransaction.objects.filter(pk=earlier.pk).update(result=R.PENDING)
        if payment.method == M.INVOICE:
            return _capture_invoice(payment, earlier, acting_user)
    return _settle_at_processor(
        payment, earlier, operation="capture", idempotency_key=key, reference=reference, acting_user=acting_user,
        failure=_("The processor did not confirm the capture; try again."),
        journal_lines=[dr(CLEARING[payment.method], earlier.amount), cr(Acct.CUSTOMER_BALANCES, earlier.amount)],
        memo=stored_text(gettext_noop("%(payment)s captured"), payment=_payment_text(payment)),
        record=_record_capture)


def _settle_at_processor(payment: Payment, txn: PaymentTransaction, *, operation: str, idempotency_key: str,
                         reference: str, acting_user, failure: str, journal_lines, memo: StoredText,
                         record) -> PaymentTransaction:
    """Asks the processor for a pending capture or refund with no lock held, then records its answer.

    Under the payment's lock: a retry that reached the processor meanwhile already recorded this same answer and is
    returned as it is; a decline is written on the transaction and raised (``PaymentDeclined``); an approval posts
    ``journal_lines`` and lets ``record(payment, txn, acting_user)`` move the payment's amounts and status.
    """
    result = _gateway_call(payment, txn, operation=operation, idempotency_key=idempotency_key, failure=failure)
    with transaction.atomic():
        payment = _lock(payment.pk)
        txn.refresh_from_db()
        if txn.result == R.SUCCESS:
            return txn
        if not result.approved:
            PaymentTransaction.objects.filter(pk=txn.pk).update(result=R.DECLINED, code=result.code,
                                                                message=result.message[:200])
        else:
            entry = journal_post(lines=journal_lines, memo=memo, reference=reference or f"payment:{payment.pk}",
                                 currency=payment.currency, acting_user=acting_user)
            PaymentTransaction.objects.filter(pk=txn.pk).update(result=R.SUCCESS, code=result.code,
                                                                gateway_reference=result.reference, journal_entry=entry)
            record(payment, txn, acting_user)
    txn.refresh_from_db()
    if not result.approved:
        raise PaymentDeclined(result.message, code=result.code, payment_id=payment.pk)
    return txn


def _record_capture(payment: Payment, txn: PaymentTransaction, acting_user) -> None:
    payment.captured_amount += txn.amount
    _payment_transition(payment, to=_money_status(payment), captured_amount=payment.captured_amount)


def _payment_text(payment: Payment) -> StoredText:
    """The payment as a journal memo names it ("Credit/debit card visa ••••1111"), in each reader's language."""
    method = Payment.Method(payment.method).label
    if payment.card_last4:
        return stored_text(gettext_noop("%(method)s %(brand)s %(card)s"), method=method, brand=payment.card_brand,
                           card=masked(payment.card_last4))
    if payment.gift_card_id:
        return stored_text(gettext_noop("%(method)s %(card)s"), method=method, card=masked(payment.gift_card.last4))
    return as_stored(method)


def _method_text(msgid: str, payment: Payment) -> StoredText:
    return stored_text(msgid, method=Payment.Method(payment.method).label)


INVOICE_NUMBER_LOCK = 7_301_010  # pg advisory lock key of invoice numbering


def _invoice_number() -> str:
    """The next invoice number, in the caller's transaction. Numbering is serialised until that transaction ends:
    two invoices written in overlapping transactions read the same last id without it and took the same number
    (the later one failed on the unique number)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INVOICE_NUMBER_LOCK])
    last = Invoice.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return f"INV-{last + 1:06d}"


def _capture_invoice(payment: Payment, txn: PaymentTransaction, acting_user) -> PaymentTransaction:
    today = timezone.localdate()
    terms = int(payment.instructions.get("terms_days", 30))
    invoice = Invoice.objects.create(
        number=_invoice_number(), order_id=payment.order_id, payment=payment,
        customer_name=payment.instructions.get("customer_name", ""), currency=payment.currency, amount=txn.amount,
        issued_on=today, due_on=today + timedelta(days=terms))
    entry = journal_post(lines=[dr(Acct.RECEIVABLE, txn.amount), cr(Acct.CUSTOMER_BALANCES, txn.amount)],
                         memo=stored_text(gettext_noop("Invoice %(number)s"), number=invoice.number),
                         reference=f"invoice:{invoice.pk}", currency=payment.currency,
                         acting_user=acting_user)
    PaymentTransaction.objects.filter(pk=txn.pk).update(result=R.SUCCESS, code="invoiced", journal_entry=entry,
                                                        gateway_reference=invoice.number)
    payment.captured_amount += txn.amount
    _payment_transition(payment, to=_money_status(payment), captured_amount=payment.captured_amount)
    txn.refresh_from_db()
    return txn


def invoice_issue(*, order_id: int, amount, currency: str, terms_days: int, acting_user, reference: str,
                  customer_name: str = "") -> Invoice:
    """Bills an order on terms in one step (authorize + capture an invoice payment), e.g. at shipment."""
    payment = payment_authorize(order_id=order_id, method=M.INVOICE, amount=amount, currency=currency,
                                details={"terms_days": terms_days, "customer_name": customer_name},
                                idempotency_key=f"invoice:{order_id}:{reference}", acting_user=acting_user)
    txn = payment_capture(payment_id=payment.pk, amount=payment.amount, reference=reference, acting_user=acting_user)
    return Invoice.objects.get(payment=payment, number=txn.gateway_reference)


def _received_amount(amount) -> Decimal:
    """An amount a provider reports (the PIX webhook's JSON text or number), read the machine way whatever the
    request's language: "abc", "1e3", "Infinity" and amounts no column holds are refused, never a server error."""
    if isinstance(amount, (Decimal, int)) and not isinstance(amount, bool):
        amount = str(amount)
    try:
        with translation.override("en"):
            return parse_amount(amount, name=_("The amount received"))
    except NumberError as exc:
        raise AmountError(exc.message, field="amount") from exc


def payment_confirm(*, payment_id: int, acting_user, amount=None, reference: str = "") -> PaymentTransaction:
    """Records that a pending PIX/boleto/transfer/COD/check payment arrived (webhook or by hand)."""
    _refuse_card_numbers({"reference": reference}, written=True)
    with transaction.atomic():
        payment = _lock(payment_id)
        earlier = payment.transactions.filter(kind=K.CONFIRM, result=R.SUCCESS).first()
        if earlier:
            return earlier
        if payment.method not in OFFLINE_METHODS or payment.status != S.PENDING:
            raise InvalidPaymentState(_("Only a pending PIX, boleto, transfer, COD or check payment can be confirmed."))
        amount = payment.amount if amount in (None, "") else quantize(_received_amount(amount), payment.currency)
        if amount != payment.amount:
            raise AmountError(_("Received %(got)s but %(expected)s was expected.")
                              % {"got": money(amount, payment.currency),
                                 "expected": money(payment.amount, payment.currency)}, field="amount")
        entry = journal_post(lines=[dr(CLEARING[payment.method], amount), cr(Acct.CUSTOMER_BALANCES, amount)],
                             memo=_method_text(gettext_noop("%(method)s received"), payment),
                             reference=f"order:{payment.order_id}",
                             currency=payment.currency, acting_user=acting_user)
        txn = PaymentTransaction.objects.create(payment=payment, kind=K.CONFIRM, result=R.SUCCESS, amount=amount,
                                                idempotency_key=f"{payment.pk}:confirm", reference=reference[:60],
                                                gateway_reference=reference[:80], journal_entry=entry,
                                                created_by=_user(acting_user))
        _payment_transition(payment, to=S.CAPTURED, captured_amount=amount)
    return txn


def pix_confirm(*, txid: str, amount, end_to_end_id: str, acting_user=None) -> PaymentTransaction:
    """The PIX webhook: finds the pending payment by its txid and confirms it (idempotent)."""
    payment = Payment.objects.filter(method=M.PIX, instructions__txid=txid).first()
    if payment is None:
        raise PaymentError(_("No PIX charge with txid %(txid)s.") % {"txid": txid}, code="unknown_txid")
    return payment_confirm(payment_id=payment.pk, amount=amount, reference=end_to_end_id, acting_user=acting_user)


# --- void, refund -------------------------------------------------------------------------------


def payment_void(*, payment_id: int, acting_user) -> Payment:
    """Releases what was not captured (cancel). Gift-card money goes back on the card.

    A partially captured authorization keeps its captures and becomes paid for the captured amount.
    An offline payment already received (PIX, boleto...) cannot be voided: refund it.
    """
    payment = Payment.objects.get(pk=payment_id)
    if payment.status in (S.VOIDED, S.DECLINED, S.REFUNDED):
        return payment
    if payment.method in STORED_VALUE_METHODS:
        if payment.refundable > 0:
            payment_refund(payment_id=payment.pk, amount=payment.refundable, reason="void", acting_user=acting_user,
                           reference=f"{payment.pk}:void")
        return Payment.objects.get(pk=payment_id)
    if not payment.voidable:
        raise InvalidPaymentState(_("This payment was already received; refund it instead."), code="not_voidable")
    result = None
    if payment.method in GATEWAY_METHODS and payment.gateway_reference:
        _no_open_transaction("payment_void")
        try:
            result = get_gateway(payment.gateway or "sandbox").void(reference=payment.gateway_reference,
                                                                    idempotency_key=f"{payment.pk}:void")
        except GatewayError as exc:
            raise PaymentDeclined(_("The processor did not confirm the void; try again."), code=exc.code,
                                  payment_id=payment.pk)
    with transaction.atomic():
        payment = _lock(payment_id)
        if not payment.voidable:  # voided meanwhile
            return payment
        PaymentTransaction.objects.get_or_create(
            idempotency_key=f"{payment.pk}:void",
            defaults={"payment": payment, "kind": K.VOID, "result": R.SUCCESS,
                      "amount": payment.amount - payment.captured_amount, "created_by": _user(acting_user),
                      "gateway_reference": result.reference if result else ""})
        if payment.captured_amount > 0:  # paid (or refunded) for what was captured
            payment.amount = payment.captured_amount
            _payment_transition(payment, to=_money_status(payment), amount=payment.amount)
        else:
            _payment_transition(payment, to=S.VOIDED)
    return payment


def payment_refund(*, payment_id: int, amount, reason: str, acting_user, reference: str = "") -> PaymentTransaction:
    """Gives back part or all of what was received (returns, edits, goodwill); audited.

    Card/PayPal: refunded at the processor (no lock held). Gift card/store credit: back on the card.
    Invoice: a credit note against what is still open, the rest paid back. Others: paid back by bank.
    ``reference`` (e.g. ``"return:7"``) makes it idempotent: a retry for the same amount returns the first
    refund; the same reference with another amount is refused (``IdempotencyConflict``), nothing written.
    """
    _refuse_card_numbers({"reason": reason, "reference": reference}, written=True)
    payment = Payment.objects.get(pk=payment_id)
    amount = _exact_amount(amount, payment.currency)
    if payment.method in GATEWAY_METHODS:
        _no_open_transaction("payment_refund")
    key = _txn_key(payment, K.REFUND, reference)
    with transaction.atomic():
        payment = _lock(payment_id)
        earlier = _earlier_request(payment, key, amount=amount, reference=reference)
        if earlier and earlier.result == R.SUCCESS:
            return earlier
        if earlier is None:
            if payment.captured_amount <= 0:
                raise InvalidPaymentState(
                    _("This payment cannot be refunded: no money has been received on it yet (its status is "
                      "“%(status)s”). A payment not yet received is voided instead.")
                    % {"status": payment.get_status_display()}, code="not_refundable")
            available = payment.captured_amount - payment.refunded_amount - _pending_sum(payment, K.REFUND)
            if available <= 0:
                raise InvalidPaymentState(_("Everything received on this payment has already been refunded."),
                                          code="fully_refunded")
            if amount <= 0 or amount > available:
                raise AmountError(_("You can refund between %(min)s and %(available)s.")
                                  % {"min": money(minor_unit(payment.currency), payment.currency),
                                     "available": money(available, payment.currency)}, field="amount")
            earlier = PaymentTransaction.objects.create(payment=payment, kind=K.REFUND, amount=amount,
                                                        idempotency_key=key, reference=reference[:60],
                                                        reason=reason[:200], created_by=_user(acting_user))
        if payment.method not in GATEWAY_METHODS:
            _refund_offline(payment, earlier, acting_user)
            earlier.refresh_from_db()
            return earlier
    return _settle_at_processor(
        payment, earlier, operation="refund", idempotency_key=key, reference=reference, acting_user=acting_user,
        failure=_("The processor did not confirm the refund; try again."),
        journal_lines=[dr(Acct.CUSTOMER_BALANCES, earlier.amount), cr(CLEARING[payment.method], earlier.amount)],
        memo=stored_text(gettext_noop("%(payment)s refunded"), payment=_payment_text(payment)),
        record=_record_refund)


def _record_refund(payment: Payment, txn: PaymentTransaction, acting_user) -> None:
    before = payment.refunded_amount
    payment.refunded_amount += txn.amount
    _payment_transition(payment, to=_money_status(payment), refund=txn, refunded_amount=payment.refunded_amount)
    audit_record(actor=acting_user, action=AuditEntry.Action.ACTION, obj=payment, verb="payment_refund",
                 changes={"refunded_amount": [str(before), str(payment.refunded_amount)]}, reason=txn.reason)


def _refund_offline(payment: Payment, txn: PaymentTransaction, acting_user) -> None:
    if payment.method in STORED_VALUE_METHODS:
        card_txn = giftcard_reload(card_id=payment.gift_card_id, amount=txn.amount, reference=f"payment:{payment.pk}",
                                   acting_user=acting_user)
        entry = card_txn.journal_entry
    elif payment.method == M.INVOICE:
        lines, left, credits = [dr(Acct.CUSTOMER_BALANCES, txn.amount)], txn.amount, []
        for invoice in Invoice.objects.select_for_update().filter(payment=payment, status=Invoice.Status.OPEN):
            credit = min(left, invoice.open_amount)
            if credit > 0:
                _invoice_transition(invoice, credited_amount=invoice.credited_amount + credit)
                credits.append(InvoiceMovement(invoice=invoice, kind=InvoiceMovement.Kind.CREDIT, amount=credit))
                left -= credit
        if txn.amount - left:
            lines.append(cr(Acct.RECEIVABLE, txn.amount - left, stored_text(gettext_noop("credit note"))))
        if left:
            lines.append(cr(Acct.BANK, left, stored_text(gettext_noop("paid back"))))
        entry = journal_post(lines=lines, reference=f"payment:{payment.pk}",
                             memo=stored_text(gettext_noop("%(payment)s credited"), payment=_payment_text(payment)),
                             currency=payment.currency, acting_user=acting_user)
        for credit in credits:
            credit.on, credit.journal_entry = entry.posted_on, entry
        InvoiceMovement.objects.bulk_create(credits)
    else:
        entry = journal_post(lines=[dr(Acct.CUSTOMER_BALANCES, txn.amount), cr(Acct.BANK, txn.amount)],
                             memo=_method_text(gettext_noop("%(method)s paid back"), payment),
                             reference=f"payment:{payment.pk}",
                             currency=payment.currency, acting_user=acting_user)
    PaymentTransaction.objects.filter(pk=txn.pk).update(result=R.SUCCESS, journal_entry=entry)
    _record_refund(payment, txn, acting_user)


# --- invoices -----------------------------------------------------------------------------------


def _invoice_transition(invoice: Invoice, **fields) -> None:
    """The one place an invoice's status changes: paid when nothing is open any more."""
    for name, value in fields.items():
        setattr(invoice, name, value)
    invoice.status = Invoice.Status.PAID if invoice.open_amount <= 0 else Invoice.Status.OPEN
    invoice.save(update_fields=["status", *fields])


def invoice_record_payment(*, invoice_id: int, amount, reference: str, acting_user,
                           open_before: Decimal | None = None) -> Invoice:
    """Money received against an invoice: Dr bank / Cr accounts receivable.

    ``open_before``: the open amount the page showed when the payment was typed. Checked under the invoice's lock,
    so the same form sent twice (a double click, a retry) records the payment once: the second copy finds the
    invoice changed and is refused, naming what is open now."""
    _refuse_card_numbers({"reference": reference}, written=True)
    with transaction.atomic(durable=True):
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        amount = _exact_amount(amount, invoice.currency)
        if open_before is not None and quantize(open_before, invoice.currency) != invoice.open_amount:
            raise InvalidPaymentState(
                _("Invoice %(number)s changed after the page was shown: %(open)s is open now. Nothing was recorded; "
                  "check the invoice and record the payment again if it is still due.")
                % {"number": invoice.number, "open": money(max(invoice.open_amount, ZERO), invoice.currency)},
                code="invoice_changed")
        if amount <= 0 or amount > invoice.open_amount:
            raise AmountError(_("You can record between %(min)s and %(open)s.")
                              % {"min": money(minor_unit(invoice.currency), invoice.currency),
                                 "open": money(max(invoice.open_amount, ZERO), invoice.currency)}, field="amount")
        entry = journal_post(lines=[dr(Acct.BANK, amount), cr(Acct.RECEIVABLE, amount)],
                             memo=stored_text(gettext_noop("Invoice %(number)s payment"), number=invoice.number),
                             reference=reference or f"invoice:{invoice.pk}",
                             currency=invoice.currency, acting_user=acting_user)
        InvoiceMovement.objects.create(invoice=invoice, kind=InvoiceMovement.Kind.PAYMENT, amount=amount,
                                       on=entry.posted_on, journal_entry=entry)
        _invoice_transition(invoice, paid_amount=invoice.paid_amount + amount)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=invoice, verb="invoice_payment",
                     changes={"paid_amount": [str(invoice.paid_amount - amount), str(invoice.paid_amount)]},
                     reason=reference)
    return invoice


# --- order-level -------------------------------------------------------------------------------


SETTLEMENT_REFUND = "settle:"  # how the references of the refunds that follow an order's total begin


def settle_to_amount(*, order_id: int, amount, reason: str, acting_user) -> dict:
    """Brings an order's payments in line with ``amount`` (0 for a cancelled order); idempotent.

    Voids what is not needed of open authorizations and pending payments, and refunds captured money
    above the target (gift cards last). Returns what it did and any ``shortfall`` still to collect.
    """
    target = Decimal(amount)
    payments = list(Payment.objects.filter(order_id=order_id).exclude(status__in=[S.DECLINED, S.VOIDED,
                                                                                   S.REFUNDED, S.FAILED]))
    done: dict = {"voided": [], "refunded": [], "shortfall": "0"}
    captured = sum((p.net_paid for p in payments), ZERO)
    if target == 0:
        for p in payments:
            if p.voidable:
                payment_void(payment_id=p.pk, acting_user=acting_user)
                done["voided"].append(p.pk)
        payments = list(Payment.objects.filter(pk__in=[p.pk for p in payments]))
        captured = sum((p.net_paid for p in payments), ZERO)
    excess = captured - target
    # Each refund is named by what its payment had refunded when this settlement read it (with the excess): a retry,
    # or a concurrent run that read the same, names it alike and collapses onto it; a later settlement (a second
    # edit taking off the same amount) reads a new refunded amount and makes a refund of its own.
    refunded_before = {p.pk: p.refunded_amount for p in payments}
    order = sorted(payments, key=lambda p: (p.method in STORED_VALUE_METHODS, -p.pk))
    for p in order:
        if excess <= 0:
            break
        p.refresh_from_db()
        give = min(excess, p.refundable)
        if give > 0:
            payment_refund(payment_id=p.pk, amount=give, reason=reason, acting_user=acting_user,
                           reference=f"{SETTLEMENT_REFUND}{reason}:{refunded_before[p.pk]:f}:{give:f}")
            done["refunded"].append([p.pk, str(give)])
            excess -= give
    covered = sum((p.amount - p.refunded_amount for p in Payment.objects.filter(pk__in=[p.pk for p in payments])
                   .exclude(status__in=[S.VOIDED, S.DECLINED])), ZERO)
    done["shortfall"] = str(max(target - covered, ZERO))
    return done


# --- recovery -----------------------------------------------------------------------------------


def payment_resume_pending(*, older_than_seconds: int = 120, acting_user=None) -> dict:
    """Finishes captures and refunds left pending by a crash between the processor call and its record.

    Each is asked again with its own idempotency key, so the processor answers the first result and
    no money moves twice. Returns counts of ``done`` and ``failed``.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stuck = PaymentTransaction.objects.filter(result=R.PENDING, kind__in=[K.CAPTURE, K.REFUND],
                                              created_at__lt=cutoff).order_by("id")
    counts = {"done": 0, "failed": 0}
    for txn in list(stuck[:200]):
        reference = txn.idempotency_key.split(":", 2)[2]
        try:
            if txn.kind == K.CAPTURE:
                payment_capture(payment_id=txn.payment_id, amount=txn.amount, reference=reference,
                                acting_user=acting_user)
            else:
                payment_refund(payment_id=txn.payment_id, amount=txn.amount, reason=txn.reason, reference=reference,
                               acting_user=acting_user)
            counts["done"] += 1
        except PaymentError:
            counts["failed"] += 1
    return counts


# --- saved cards --------------------------------------------------------------------------------


def card_save(*, customer_id: int, token: str, acting_user, gateway: str = "sandbox") -> SavedCard:
    """Keeps a customer's card at the processor (vault token) for later orders; audited."""
    _no_open_transaction("card_save")
    try:
        stored = get_gateway(gateway).store(token=token)
    except GatewayError as exc:
        raise PaymentError(exc.message or _("The card could not be saved."), code=exc.code)
    with transaction.atomic():
        card = SavedCard.objects.create(customer_id=customer_id, gateway=gateway, token=stored.token,
                                        brand=stored.brand, last4=stored.last4, exp_month=stored.exp_month,
                                        exp_year=stored.exp_year, created_by=_user(acting_user))
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=card, verb="card_save",
                     changes={"customer": customer_id, "card": str(card)})
    return card


def card_forget(*, saved_card_id: int, acting_user) -> None:
    with transaction.atomic():
        card = SavedCard.objects.select_for_update().get(pk=saved_card_id)
        if card.is_active:
            SavedCard.objects.filter(pk=card.pk).update(is_active=False)
            audit_record(actor=acting_user, action=AuditEntry.Action.DELETE, obj=card, verb="card_forget",
                         changes={"card": str(card)})


def payment_reauthorize(*, payment_id: int, amount, idempotency_key: str, acting_user) -> Payment:
    """An edit raised the total: authorize ``amount`` again on the same card, then void the old hold.

    Nothing is captured yet on the old authorization (otherwise take a second payment for the
    difference). If the new authorization is declined the old one stays as it was.
    """
    old = Payment.objects.get(pk=payment_id)
    if old.method not in GATEWAY_METHODS or old.status != S.AUTHORIZED or old.captured_amount:
        raise InvalidPaymentState(_("Only an uncaptured card or PayPal authorization can be re-authorized; "
                                    "take an extra payment for the difference instead."), code="not_reauthorizable")
    new = payment_authorize(order_id=old.order_id, method=old.method, amount=amount, currency=old.currency,
                            token=old.token, details={"brand": old.card_brand, "last4": old.card_last4},
                            installments=old.installments, idempotency_key=idempotency_key, acting_user=acting_user)
    payment_void(payment_id=old.pk, acting_user=acting_user)
    return new

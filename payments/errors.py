"""Domain errors of the payments app: each has a stable ``code`` and a human ``message``."""

from django.utils.translation import gettext_lazy as _

from oms.i18n import as_stored


class PaymentError(Exception):
    """``message``: for the person who caused it, in their language now; ``reason``: the same for a history
    that others read later, each in their own language (see ``oms.i18n``)."""

    code = "payment_error"
    default_message = _("The payment could not be processed.")

    def __init__(self, message=None, *, code: str | None = None, field: str = "", **extra):
        self.reason = as_stored(message or self.default_message)
        self.message = str(self.reason)
        if code:
            self.code = code
        self.field = field
        self.extra = extra
        super().__init__(self.message)


class PaymentDeclined(PaymentError):
    """The processor or a business rule refused the payment; ``code`` says why (card_declined, ...)."""

    code = "declined"
    default_message = _("The payment was declined.")

    def __init__(self, message=None, *, code: str | None = None, payment_id: int | None = None, **extra):
        super().__init__(message, code=code, **extra)
        self.payment_id = payment_id


class InvalidPaymentState(PaymentError):
    code = "invalid_state"
    default_message = _("That is not possible in the payment's current state.")


class AmountError(PaymentError):
    code = "invalid_amount"
    default_message = _("The amount is not valid.")


class IdempotencyConflict(PaymentError):
    code = "idempotency_conflict"
    default_message = _("This idempotency key was already used for a different payment.")


class GiftCardError(PaymentError):
    code = "gift_card_unavailable"
    default_message = _("The gift card cannot be used.")


class GiftCardAlreadyIssued(GiftCardError):
    """The issue form copy sent again: ``extra["card_id"]`` is the card its first copy issued."""

    code = "already_issued"


class UnbalancedEntry(PaymentError):
    code = "unbalanced_entry"
    default_message = _("Debits and credits of a journal entry must be equal.")


class UnknownAccount(PaymentError):
    code = "unknown_account"
    default_message = _("The journal entry names an account that does not exist.")


class SettlementFileError(PaymentError):
    code = "invalid_settlement_file"
    default_message = _("The settlement file could not be read.")

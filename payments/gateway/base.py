"""The interface every payment processor adapter implements.

Amounts are ``Decimal`` in the currency's major unit. Every state-changing call takes an
idempotency key: calling again with the same key returns the first result and moves no money twice.
Adapters never raise for a business refusal: they return a ``GatewayResult`` with ``approved=False``
and a decline ``code``; they raise ``GatewayTimeout`` when the outcome is unknown and
``GatewayError`` for a broken request.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_noop

from oms.i18n import StoredText, stored_text


class GatewayError(Exception):
    """The request could not be made (bad card data, reference, configuration, network refused)."""

    def __init__(self, message: str = "", *, code: str = "gateway_error"):
        super().__init__(message)
        self.code = code
        self.message = message


class GatewayTimeout(GatewayError):
    """The processor did not answer in time: the outcome is unknown; retry with the same key."""

    def __init__(self, message: str = "", *, code: str = "timeout"):
        super().__init__(message, code=code)


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


# The decline codes adapters map their processor's refusals to, each with our own words for it: the order history and
# the payments page read them in the reader's language. Other codes keep the processor's message as it said it.
DECLINE_REASONS = {
    "card_declined": gettext_noop("The card was declined by the issuer."),
    "insufficient_funds": gettext_noop("The card has insufficient funds."),
    "expired_card": gettext_noop("The card has expired."),
    "invalid_token": gettext_noop("The card token is unknown or expired; enter the card again."),
    "paypal_declined": gettext_noop("PayPal refused the payment."),
    "installments_not_supported": gettext_noop(
        "The card cannot be billed in installments (a debit or prepaid card): pay at once or use another card."),
}


def decline_reason(code: str, message: str) -> "StoredText | str":
    """Why the processor refused: our text for a known ``code``, else its own ``message``."""
    known = DECLINE_REASONS.get(code)
    return stored_text(known) if known else message


@dataclass(frozen=True)
class GatewayResult:
    approved: bool
    reference: str = ""
    code: str = ""
    message: str = ""
    amount: Decimal = Decimal("0")
    extra: dict = field(default_factory=dict)


class PaymentGateway(ABC):
    name: str = ""

    @abstractmethod
    def tokenize(self, *, number: str, exp_month: int, exp_year: int, cvc: str) -> CardToken:
        """Turns card data into a token (normally done by the processor's hosted field, not by us)."""

    @abstractmethod
    def token_info(self, *, token: str) -> CardToken | None:
        """Brand, last four and expiry of a token, or None when unknown or expired."""

    @abstractmethod
    def store(self, *, token: str) -> CardToken:
        """Exchanges a single-use token for a long-lived one kept in the processor's vault (saved cards)."""

    @abstractmethod
    def authorize(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str,
                  installments: int = 1) -> GatewayResult:
        """Holds ``amount`` on the card or wallet behind ``token``; a card's issuer bills it in ``installments``
        monthly parts without interest (1: at once)."""

    @abstractmethod
    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        """Captures part or all of an authorization (several partial captures allowed)."""

    @abstractmethod
    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        """Releases what is left of an authorization."""

    @abstractmethod
    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        """Refunds part or all of what was captured."""

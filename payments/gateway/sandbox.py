"""The sandbox processor shipped with the product for development, demos and tests.

It imitates a real processor: a hosted card field served at its own URL tokenizes the card, and the
OMS only ever sees the token. The sandbox keeps its state (tokens, authorizations, idempotency
results) in Redis with a time to live. It does not keep the card number at all: a token remembers
the brand, last four digits, expiry and which scripted outcome the test number asks for.

Deterministic test cards (any future expiry, any CVC):

========================  ===========================
4111 1111 1111 1111       approved (Visa)
5555 5555 5555 4444       approved (Mastercard)
4000 0000 0000 0002       declined: card_declined
4000 0000 0000 9995       declined: insufficient_funds
4000 0000 0000 0069       declined: expired_card
4000 0000 0000 0119       the processor times out
========================  ===========================

Any other Luhn-valid number is approved. PayPal is sandboxed as the token ``paypal:<e-mail>``;
an e-mail starting with ``decline`` is refused.
"""

import secrets
import time
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

from payments.gateway.base import CardToken, GatewayError, GatewayResult, GatewayTimeout, PaymentGateway

TEST_CARDS = {
    "4111111111111111": "approve",
    "5555555555554444": "approve",
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000119": "timeout",
    "4000056655665556": "debit",  # a debit card: approved at once, declined in installments
}

# What the sandbox processor says, in its own words and language, as a real one would (payments shows its own text
# for these codes: ``payments.gateway.base.DECLINE_REASONS``).
DECLINE_MESSAGES = {
    "card_declined": "Do not honor.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "invalid_token": "No such token.",
    "paypal_declined": "Payer account refused the payment.",
    "installments_not_supported": "Installments not permitted for this card.",
}

TOKEN_TTL = 2 * 3600
STATE_TTL = 60 * 24 * 3600
PREFIX = "sandbox-gw"


@sensitive_variables("number", "char", "digit")
def luhn_valid(number: str) -> bool:
    if not (number.isascii() and number.isdigit()):
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


@sensitive_variables("number")
def card_brand(number: str) -> str:
    if number.startswith(("636368", "438935", "504175", "451416", "636297", "5067", "4576", "4011")):
        return "elo"
    if number.startswith("606282"):
        return "hipercard"
    if number.startswith(("34", "37")):
        return "amex"
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4] or 0) <= 2720:
        return "mastercard"
    return "other"


def _key(*parts: str) -> str:
    return ":".join((PREFIX, *parts))


class SandboxGateway(PaymentGateway):
    name = "sandbox"

    def _delay(self) -> None:
        seconds = float(getattr(settings, "PAYMENTS_SANDBOX_DELAY", 0))
        if seconds:
            time.sleep(seconds)

    # -- cards -------------------------------------------------------------------------------
    @sensitive_variables("number", "digits", "cvc")
    def tokenize(self, *, number: str, exp_month: int, exp_year: int, cvc: str) -> CardToken:
        digits = "".join(ch for ch in number if ch in "0123456789")
        if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
            raise GatewayError("The card number is not valid.", code="invalid_number")
        if not 1 <= exp_month <= 12 or not 2000 <= exp_year <= 2100:
            raise GatewayError("The expiry date is not valid.", code="invalid_expiry")
        if not (cvc.isascii() and cvc.isdigit() and 3 <= len(cvc) <= 4):
            raise GatewayError("The security code is not valid.", code="invalid_cvc")
        outcome = TEST_CARDS.get(digits, "approve")
        token = CardToken(token="tok_" + secrets.token_urlsafe(18), brand=card_brand(digits), last4=digits[-4:],
                          exp_month=exp_month, exp_year=exp_year)
        cache.set(_key("token", token.token), {"brand": token.brand, "last4": token.last4, "exp_month": exp_month,
                                               "exp_year": exp_year, "outcome": outcome}, TOKEN_TTL)
        return token

    def token_info(self, *, token: str) -> CardToken | None:
        if token.startswith("paypal:"):
            return CardToken(token=token, brand="paypal", last4="", exp_month=0, exp_year=0)
        data = cache.get(_key("token", token))
        if not data:
            return None
        return CardToken(token=token, brand=data["brand"], last4=data["last4"], exp_month=data["exp_month"],
                         exp_year=data["exp_year"])

    def store(self, *, token: str) -> CardToken:
        data = cache.get(_key("token", token))
        if not data:
            raise GatewayError("The card token is unknown or expired; enter the card again.", code="invalid_token")
        stored = CardToken(token="card_" + secrets.token_urlsafe(18), brand=data["brand"], last4=data["last4"],
                           exp_month=data["exp_month"], exp_year=data["exp_year"])
        cache.set(_key("token", stored.token), data, None)  # the vault keeps it until deleted
        return stored

    # -- money movements ---------------------------------------------------------------------
    def _remembered(self, operation: str, idempotency_key: str) -> GatewayResult | None:
        data = cache.get(_key("idem", operation, idempotency_key))
        if data is None:
            return None
        return GatewayResult(approved=data["approved"], reference=data["reference"], code=data["code"],
                             message=data["message"], amount=Decimal(data["amount"]))

    def _remember(self, operation: str, idempotency_key: str, result: GatewayResult) -> GatewayResult:
        cache.set(_key("idem", operation, idempotency_key),
                  {"approved": result.approved, "reference": result.reference, "code": result.code,
                   "message": result.message, "amount": str(result.amount)}, STATE_TTL)
        return result

    def _decline(self, code: str) -> GatewayResult:
        return GatewayResult(approved=False, code=code, message=DECLINE_MESSAGES.get(code, code))

    def _outcome(self, token: str) -> str:
        if token.startswith("paypal:"):
            return "paypal_declined" if token.removeprefix("paypal:").lower().startswith("decline") else "approve"
        data = cache.get(_key("token", token))
        if not data:
            return "invalid_token"
        today = date.today()
        if (data["exp_year"], data["exp_month"]) < (today.year, today.month):
            return "expired_card"
        return data["outcome"]

    def authorize(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str,
                  installments: int = 1) -> GatewayResult:
        if earlier := self._remembered("authorize", idempotency_key):
            return earlier
        self._delay()
        outcome = self._outcome(token)
        if outcome == "debit":
            outcome = "approve" if installments == 1 else "installments_not_supported"
        if outcome == "timeout":
            raise GatewayTimeout("The sandbox processor did not answer (test card for timeouts).")
        if outcome != "approve":
            return self._remember("authorize", idempotency_key, self._decline(outcome))
        reference = "auth_" + secrets.token_hex(10)
        cache.set(_key("auth", reference), {"amount": str(amount), "currency": currency, "installments": installments,
                                            "captured": "0", "refunded": "0", "voided": False}, STATE_TTL)
        return self._remember("authorize", idempotency_key,
                              GatewayResult(approved=True, reference=reference, code="approved", amount=amount))

    def _auth(self, reference: str) -> dict:
        data = cache.get(_key("auth", reference))
        if data is None:
            raise GatewayError(f"Unknown authorization {reference}", code="unknown_reference")
        return data

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        if earlier := self._remembered("capture", idempotency_key):
            return earlier
        self._delay()
        auth = self._auth(reference)
        captured = Decimal(auth["captured"])
        if auth["voided"] or amount <= 0 or captured + amount > Decimal(auth["amount"]):
            return self._remember("capture", idempotency_key, self._decline("capture_exceeds_authorization"))
        auth["captured"] = str(captured + amount)
        cache.set(_key("auth", reference), auth, STATE_TTL)
        result = GatewayResult(approved=True, reference="cap_" + secrets.token_hex(10), code="captured", amount=amount)
        return self._remember("capture", idempotency_key, result)

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        if earlier := self._remembered("void", idempotency_key):
            return earlier
        auth = self._auth(reference)
        auth["voided"] = True
        cache.set(_key("auth", reference), auth, STATE_TTL)
        remaining = Decimal(auth["amount"]) - Decimal(auth["captured"])
        result = GatewayResult(approved=True, reference="void_" + secrets.token_hex(10), code="voided",
                               amount=remaining)
        return self._remember("void", idempotency_key, result)

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        if earlier := self._remembered("refund", idempotency_key):
            return earlier
        self._delay()
        auth = self._auth(reference)
        refunded = Decimal(auth["refunded"])
        if amount <= 0 or refunded + amount > Decimal(auth["captured"]):
            return self._remember("refund", idempotency_key, self._decline("refund_exceeds_capture"))
        auth["refunded"] = str(refunded + amount)
        cache.set(_key("auth", reference), auth, STATE_TTL)
        result = GatewayResult(approved=True, reference="ref_" + secrets.token_hex(10), code="refunded", amount=amount)
        return self._remember("refund", idempotency_key, result)

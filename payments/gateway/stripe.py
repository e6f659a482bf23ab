"""Stripe adapter (PaymentIntents API, manual capture) behind the ``PaymentGateway`` interface.

Card data never reaches us: Stripe Elements (Stripe's hosted field) gives the browser a
PaymentMethod id (``pm_...``), which is the ``token`` here. Amounts go to Stripe in the currency's
minor unit. Every POST carries an ``Idempotency-Key`` header. Declines come back as HTTP 402 with
``error.code``/``error.decline_code``; those become a ``GatewayResult`` with ``approved=False``.
A network timeout raises ``GatewayTimeout``. Stripe captures a PaymentIntent once (the uncaptured
rest is released), so a second partial capture is refused here with a clear code.

Configure with ``PAYMENT_GATEWAYS = {"stripe": "payments.gateway.stripe.StripeGateway"}`` and
``STRIPE_API_KEY``. The HTTP call is one method (``_send``) so tests replay recorded responses.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings

from oms.money import exponent
from payments.gateway.base import CardToken, GatewayError, GatewayResult, GatewayTimeout, PaymentGateway

API = "https://api.stripe.com/v1"
Transport = Callable[[str, str, dict, dict], tuple[int, dict]]


def _minor(amount: Decimal, currency: str) -> int:
    return int((Decimal(amount) * (10 ** exponent(currency.upper()))).to_integral_value())


def _major(amount: int, currency: str) -> Decimal:
    return Decimal(amount) / (10 ** exponent(currency.upper()))


class StripeGateway(PaymentGateway):
    name = "stripe"

    def __init__(self, api_key: str | None = None, transport: Transport | None = None, timeout: float = 20):
        self.api_key = api_key or getattr(settings, "STRIPE_API_KEY", "")
        self.transport = transport or self._send
        self.timeout = timeout

    # -- HTTP ---------------------------------------------------------------------------------
    def _send(self, method: str, path: str, data: dict, headers: dict) -> tuple[int, dict]:
        body = urllib.parse.urlencode(data).encode() if method == "POST" else None
        url = API + path + ("" if method == "POST" or not data else "?" + urllib.parse.urlencode(data))
        request = urllib.request.Request(url, data=body, method=method, headers={  # noqa: S310 - fixed https URL
            "Authorization": f"Bearer {self.api_key}", **headers})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
        except TimeoutError as exc:
            raise GatewayTimeout(f"Stripe did not answer: {exc}")
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise GatewayTimeout(f"Stripe did not answer: {exc.reason}")
            raise GatewayError(f"Stripe could not be reached: {exc.reason}", code="network_error")

    def _call(self, method: str, path: str, data: dict | None = None, idempotency_key: str = "") -> tuple[int, dict]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        status, payload = self.transport(method, path, data or {}, headers)
        if status >= 500 or status in (401, 403, 404, 409, 429):
            error = payload.get("error", {})
            raise GatewayError(error.get("message", f"Stripe answered HTTP {status}"),
                               code=error.get("code") or f"http_{status}")
        return status, payload

    @staticmethod
    def _declined(payload: dict) -> GatewayResult:
        error = payload.get("error", {})
        code = error.get("decline_code") or error.get("code") or "declined"
        if code == "generic_decline":
            code = "card_declined"
        return GatewayResult(approved=False, code=code, message=error.get("message", "The card was declined."))

    # -- interface ----------------------------------------------------------------------------
    def tokenize(self, *, number: str, exp_month: int, exp_year: int, cvc: str) -> CardToken:
        raise GatewayError("With Stripe the card is entered in Stripe Elements, never sent to us.",
                           code="use_hosted_field")

    def token_info(self, *, token: str) -> CardToken | None:
        status, payload = self._call("GET", f"/payment_methods/{urllib.parse.quote(token)}")
        card = payload.get("card") if status == 200 else None
        if not card:
            return None
        return CardToken(token=token, brand=card.get("brand", ""), last4=card.get("last4", ""),
                         exp_month=int(card.get("exp_month") or 0), exp_year=int(card.get("exp_year") or 0))

    def store(self, *, token: str) -> CardToken:
        info = self.token_info(token=token)
        if info is None:
            raise GatewayError("Unknown payment method.", code="invalid_token")
        return info  # a PaymentMethod attached to a Stripe customer is already reusable

    def authorize(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str,
                  installments: int = 1) -> GatewayResult:
        params = {"amount": _minor(amount, currency), "currency": currency.lower(), "payment_method": token,
                  "capture_method": "manual", "confirm": "true", "payment_method_types[]": "card"}
        if installments > 1:  # Stripe's card installments (Brazil, Mexico): a fixed count of monthly parts
            params.update({"payment_method_options[card][installments][enabled]": "true",
                           "payment_method_options[card][installments][plan][count]": str(installments),
                           "payment_method_options[card][installments][plan][interval]": "month",
                           "payment_method_options[card][installments][plan][type]": "fixed_count"})
        status, payload = self._call("POST", "/payment_intents", params, idempotency_key)
        if status == 402 or payload.get("status") not in ("requires_capture", "succeeded"):
            return self._declined(payload)
        return GatewayResult(approved=True, reference=payload["id"], code=payload["status"],
                             amount=_major(payload.get("amount_capturable") or payload["amount"], currency))

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        status, intent = self._call("GET", f"/payment_intents/{reference}")
        if intent.get("status") != "requires_capture":
            return GatewayResult(approved=False, code="already_captured",
                                 message="Stripe captures a payment once; take a new payment for the rest.")
        currency = intent["currency"]
        status, payload = self._call("POST", f"/payment_intents/{reference}/capture",
                                     {"amount_to_capture": _minor(amount, currency)}, idempotency_key)
        if status != 200 or payload.get("status") != "succeeded":
            return self._declined(payload)
        charge = payload.get("latest_charge") or reference
        return GatewayResult(approved=True, reference=charge, code="captured",
                             amount=_major(payload["amount_received"], currency))

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        status, payload = self._call("POST", f"/payment_intents/{reference}/cancel", {}, idempotency_key)
        if status != 200:
            return self._declined(payload)
        return GatewayResult(approved=True, reference=payload["id"], code=payload.get("status", "canceled"))

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        status, intent = self._call("GET", f"/payment_intents/{reference}")
        currency = intent.get("currency", "brl")
        status, payload = self._call("POST", "/refunds", {"payment_intent": reference,
                                                          "amount": _minor(amount, currency)}, idempotency_key)
        if status != 200 or payload.get("status") not in ("succeeded", "pending"):
            return self._declined(payload)
        return GatewayResult(approved=True, reference=payload["id"], code=payload["status"],
                             amount=_major(payload["amount"], currency))

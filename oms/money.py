"""Money: ``Decimal`` amounts with an explicit currency, rounded in one place."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils.formats import number_format

# ISO 4217 minor units; Gulf dinars have three decimals.
CURRENCY_EXPONENTS = {"BRL": 2, "USD": 2, "EUR": 2, "SAR": 2, "AED": 2, "EGP": 2, "QAR": 2, "MAD": 2,
                      "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3, "JPY": 0, "CLP": 0}
CURRENCY_SYMBOLS = {"BRL": "R$", "USD": "US$", "EUR": "€", "SAR": "SAR", "AED": "AED", "KWD": "KWD"}
CURRENCY_CHOICES = [(code, code) for code in sorted(CURRENCY_EXPONENTS)]
ZERO = Decimal("0")


def default_currency() -> str:
    return settings.DEFAULT_CURRENCY


def exponent(currency: str) -> int:
    return CURRENCY_EXPONENTS.get(currency, 2)


def minor_unit(currency: str | None = None) -> Decimal:
    """The currency's smallest amount: 0.01 for BRL, 0.001 for KWD, 1 for JPY."""
    return Decimal(1).scaleb(-exponent(currency or default_currency()))


def quantize(amount: Decimal | int | str, currency: str | None = None) -> Decimal:
    """Rounds half up to the currency's minor unit: the one rounding rule for money."""
    places = exponent(currency or default_currency())
    return Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def money_field(**kwargs) -> models.DecimalField:
    """A money column: 18 digits with 4 decimals, so every currency's minor unit fits."""
    kwargs.setdefault("max_digits", 18)
    kwargs.setdefault("decimal_places", 4)
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(**kwargs)


def currency_field(**kwargs) -> models.CharField:
    kwargs.setdefault("max_length", 3)
    kwargs.setdefault("choices", CURRENCY_CHOICES)
    kwargs.setdefault("default", default_currency)
    return models.CharField(**kwargs)


# --- amounts in text boxes ---------------------------------------------------------------------------------


def amount_text(value, currency: str | None = None) -> str:
    """An amount as typed in the reader's language (``5011,46`` in pt-BR, ``5011.46`` in English: no grouping, so
    that ``parse_amount`` reads it back whatever the language)."""
    if value is None or value == "":
        return ""
    currency = currency or default_currency()
    return number_format(quantize(Decimal(value), currency), decimal_pos=exponent(currency), use_l10n=True)


def price_text(value) -> str:
    """A unit price as typed in the reader's language, with its decimals up to four (``19,96``, ``12,3456``): the
    invoice line it fills is compared with it to the fourth place."""
    value = Decimal(value)
    places = min(max(2, -value.normalize().as_tuple().exponent), 4)
    return number_format(value, decimal_pos=places, use_l10n=True)

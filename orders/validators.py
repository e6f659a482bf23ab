"""Brazilian tax ids (CPF for people, CNPJ for companies), postal codes (CEP) and phone numbers."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_CEP = re.compile(r"^\d{5}-?\d{3}$")


def digits(value: str) -> str:
    """The decimal digits of ``value`` as ASCII: "٠١٣١٠-١٠٠" typed on an Arabic keyboard is "01310100"."""
    return "".join(str(unicodedata.decimal(char)) for char in value or "" if char.isdecimal())


def _check_digit(numbers: list[int], weights: list[int]) -> int:
    remainder = sum(n * w for n, w in zip(numbers, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def is_valid_cpf(value: str) -> bool:
    number = [int(c) for c in digits(value)]
    if len(number) != 11 or len(set(number)) == 1:
        return False
    first = _check_digit(number[:9], list(range(10, 1, -1)))
    second = _check_digit(number[:10], list(range(11, 1, -1)))
    return number[9] == first and number[10] == second


def is_valid_cnpj(value: str) -> bool:
    number = [int(c) for c in digits(value)]
    if len(number) != 14 or len(set(number)) == 1:
        return False
    weights = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    first = _check_digit(number[:12], weights)
    second = _check_digit(number[:13], [6, *weights])
    return number[12] == first and number[13] == second


def normalize_tax_id(value: str, country: str = "BR") -> str:
    """Digits only for Brazil (CPF/CNPJ); other countries keep their text, trimmed and upper-cased."""
    if country == "BR":
        return digits(value)
    return (value or "").strip().upper()


def validate_tax_id(value: str, *, country: str = "BR", kind: str = "person") -> str:
    """Returns the normalized id or raises ``ValidationError`` naming what is wrong."""
    normalized = normalize_tax_id(value, country)
    if not normalized or country != "BR":
        return normalized
    if kind == "company" or len(normalized) == 14:
        if not is_valid_cnpj(normalized):
            raise ValidationError(_("Invalid CNPJ: it must have 14 digits with valid check digits."), code="cnpj")
    elif not is_valid_cpf(normalized):
        raise ValidationError(_("Invalid CPF: it must have 11 digits with valid check digits."), code="cpf")
    return normalized


def normalize_cep(value: str) -> str:
    number = digits(value)
    return f"{number[:5]}-{number[5:]}" if len(number) == 8 else (value or "").strip()


def validate_cep(value: str) -> str:
    if not _CEP.match((value or "").strip()):
        raise ValidationError(_("Invalid CEP: use 8 digits, e.g. 01310-100."), code="cep")
    return normalize_cep(value)


def format_tax_id(value: str) -> str:
    if len(value) == 11 and value.isdigit():
        return f"{value[:3]}.{value[3:6]}.{value[6:9]}-{value[9:]}"
    if len(value) == 14 and value.isdigit():
        return f"{value[:2]}.{value[2:5]}.{value[5:8]}/{value[8:12]}-{value[12:]}"
    return value


def format_phone(value: str) -> str:
    """How a stored phone reads: '+5511987654321' -> '+55 11 98765-4321', '1138839073' -> '(11) 3883-9073';
    numbers of other countries as stored."""
    value = (value or "").strip()
    number = digits(value)
    if value.startswith("+55") and len(number) in (12, 13):
        return f"+55 {number[2:4]} {number[4:-4]}-{number[-4:]}"
    if not value.startswith("+") and len(number) in (10, 11):
        return f"({number[:2]}) {number[2:-4]}-{number[-4:]}"
    return value


# Brazil's states and the Federal District, by the two letters addresses and tax rates use.
BR_STATES = {"AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB", "PR", "PE", "PI",
             "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO"}
# What people put around a phone's digits: "+55 (11) 98765-4321", "11.98765.4321", "11/98765-4321".
_PHONE_PUNCTUATION = set("+-()./ \u00a0")


def validate_phone(value: str) -> str:
    """The phone as ``normalize_phone`` keeps it, or ``ValidationError`` for text that is not a phone number (letters,
    too few or too many digits), instead of keeping whatever digits it had, or nothing."""
    value = (value or "").strip()
    if not value:
        return ""
    number = digits(value)
    if any(not char.isdecimal() and char not in _PHONE_PUNCTUATION for char in value) or not 8 <= len(number) <= 15:
        raise ValidationError(_("“%(value)s” is not a phone number: type its digits with the area code, "
                                "e.g. (11) 98765-4321."), code="phone", params={"value": value})
    return normalize_phone(value)


def validate_state(value: str, country: str = "BR") -> str:
    """A Brazilian address's state as its two capital letters; another country's as typed, upper-cased."""
    state = (value or "").strip().upper()
    if country == "BR" and state and state not in BR_STATES:
        raise ValidationError(_("“%(value)s” is not a Brazilian state: use its two letters, e.g. SP or RJ."),
                              code="state", params={"value": value})
    return state


def normalize_phone(value: str) -> str:
    """Digits only, with a leading + kept (so '+55 (11) 98765-4321' -> '+5511987654321')."""
    value = (value or "").strip()
    return ("+" if value.startswith("+") else "") + digits(value)


def phone_forms(value: str) -> tuple[str, list[str]]:
    """A typed phone number as the search needs it: (the digits a stored phone holding it contains, every form
    ``normalize_phone`` may have kept it in). Phones are kept as typed, so a Brazilian number is "+5511987654321"
    or "11987654321": typed either way ("+55 (11) 98765-4321", "011 98765-4321", "(11) 98765-4321") it finds
    both. A number of another country keeps its own digits."""
    value = (value or "").strip()
    number = digits(value)
    national = number
    if number.startswith("55") and len(number) in (12, 13):
        national = number[2:]
    elif value.startswith("+"):
        return number, ["+" + number]
    elif number.startswith("0") and len(number) in (11, 12):
        national = number[1:]  # the trunk prefix of a call between area codes
    if len(national) in (10, 11):
        return national, [national, "+55" + national, "55" + national]
    return number, [number]

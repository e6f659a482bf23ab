"""Numbers typed by people or read from their files, checked against what the database columns can hold.

One parser for each kind, so a value no column can take (``2147483648`` units, ``NaN``, ``1e30`` reais, a
superscript ``²`` that ``str.isdigit`` accepts) is refused with a message naming it, never a server error:

- ``parse_id(text)``: a record id from an address or a form, or None (the caller answers "not found");
- ``parse_whole(text, ...)``: a quantity or count, within the integer column's range;
- ``parse_amount(text, ...)``: money or another decimal, ``1.234,56`` and ``1234.56`` alike, within the column.

``parse_whole`` and ``parse_amount`` raise ``NumberError``, a ``ValueError`` whose ``message`` is for the reader.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import get_format, number_format
from django.utils.translation import gettext as _

from oms.errors import Refusal
from oms.query import quoted

INT_MAX = 2_147_483_647  # IntegerField / PositiveIntegerField
BIGINT_MAX = 9_223_372_036_854_775_807  # BigAutoField ids


class NumberError(Refusal):
    """A number typed or read from a file is refused; ``message`` names it."""


def parse_id(text) -> int | None:
    """A record id (ASCII digits, within the id column), or None for anything else."""
    text = str(text if text is not None else "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= BIGINT_MAX else None


def parse_whole(text, *, minimum: int = 0, maximum: int = INT_MAX, name: str = "") -> int:
    """A whole number from ``minimum`` to ``maximum`` (signs allowed; ``1,0`` and ``3.0`` are not quantities)."""
    raw = str(text if text is not None else "").strip()
    subject = name or _("The number")
    candidate = raw[1:] if raw[:1] in "+-" else raw
    if not (candidate.isascii() and candidate.isdigit()):
        raise NumberError(_("%(name)s “%(value)s” is not a whole number.") % {"name": subject, "value": quoted(raw)}
                          if raw else _("%(name)s is empty.") % {"name": subject})
    value = int(raw)
    if value < minimum:
        raise NumberError(_("%(name)s must be at least %(min)s.") % {"name": subject, "min": minimum})
    if value > maximum:
        raise NumberError(_("%(name)s must be at most %(max)s.") % {"name": subject, "max": maximum})
    return value


# A number as people write it: ASCII digits, a sign in front, points and commas between them. Python's Decimal (and
# float) also read "1e3" (a thousand), "1_000", other scripts' digits ("١٢"), "Infinity" and "NaN": read as Python
# reads them, "1e3" typed as a unit price was a price of 1000.
PLAIN_NUMBER = re.compile(r"[+-]?[0-9.,]*[0-9][0-9.,]*")


def not_plain_message(name, raw: str) -> str:
    """The refusal of a number Python reads but nobody writes ("1e3"), naming the field and the value."""
    return (_("%(name)s “%(value)s” is not a plain number: write it with digits (1000, not 1e3).")
            % {"name": name, "value": quoted(raw)})


def refuse_unwritten(raw: str, *, name: str) -> None:
    """NumberError (``not_plain_message``) when ``raw`` is a finite number to Python but not one as people write it
    ("1e3", "12,5e1", "1_000"); anything else is left to the caller, which refuses "Infinity", "NaN" and "abc" as no
    number. The rule of every reading of a typed number: ``plain_number``, the forms' decimal boxes
    (``oms.forms.PlainDecimalField``), the import cells and the API's amounts."""
    raw = raw.strip()
    if not raw or PLAIN_NUMBER.fullmatch(raw):
        return
    try:
        readable = Decimal(raw.replace(",", "."))
    except (InvalidOperation, ValueError):
        return
    if readable.is_finite():
        raise NumberError(not_plain_message(name, raw))


def _typed(text) -> str:
    """What was typed, without the spaces people put in numbers ("1 234,56", a no-break space from a spreadsheet)."""
    return str(text if text is not None else "").strip().replace(" ", "").replace("\u00a0", "")


def plain_number(text, *, name: str = "") -> str:
    """``text`` without spaces, if it is written as people write numbers (``PLAIN_NUMBER``); NumberError otherwise,
    naming the field and the value."""
    raw = _typed(text)
    subject = name or _("The number")
    if not raw:
        raise NumberError(_("%(name)s is empty.") % {"name": subject})
    refuse_unwritten(raw, name=subject)
    if not PLAIN_NUMBER.fullmatch(raw):
        raise NumberError(_("%(name)s “%(value)s” is not a number.") % {"name": subject, "value": quoted(raw)})
    return raw


def decimal_text(text, *, name: str = "") -> str:
    """A typed amount with a point as its decimal separator ("1.234,56" -> "1234.56", see ``_point_decimal``), or
    NumberError naming the field and the value."""
    subject = name or _("The amount")
    raw = plain_number(text, name=subject)
    normal = _point_decimal(raw)
    if normal is None:
        raise NumberError(_("%(name)s “%(value)s” is not a number.") % {"name": subject, "value": quoted(raw)})
    return normal


def _point_decimal(raw: str) -> str | None:
    """``raw`` with a point as its decimal separator: with both separators the last one is the decimal one and the
    other must group thousands ("1.234,56" and "1,234.56"). With one kind only, thousands grouped as the reader
    groups them ("1,234" in English, "1.234" in Portuguese and Arabic) are a whole number; otherwise the separator
    is the decimal one ("12,5", "12.50"). None: not a number."""
    grouping = get_format("THOUSAND_SEPARATOR")
    if grouping in ",." and raw.count(grouping) >= 1 and ("," in raw) != ("." in raw):
        groups = raw.lstrip("+-").split(grouping)
        if 1 <= len(groups[0]) <= 3 and not groups[0].startswith("0") and all(len(g) == 3 for g in groups[1:]):
            return raw.replace(grouping, "")
    if "," in raw and "." in raw:
        point = "," if raw.rfind(",") > raw.rfind(".") else "."
        grouping = "." if point == "," else ","
        whole, _sep, fraction = raw.rpartition(point)
        groups = whole.lstrip("+-").split(grouping)
        if not (1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])):
            return None
        return f"{whole.replace(grouping, '')}.{fraction}"
    if "," in raw:
        return raw.replace(",", ".") if raw.count(",") == 1 else None
    return raw


def parse_amount(text, *, max_digits: int = 18, decimal_places: int = 4, minimum: Decimal | None = Decimal(0),
                 name: str = "") -> Decimal:
    """A finite decimal that fits ``max_digits``/``decimal_places`` (the column's; money by default) and is at
    least ``minimum`` (None: any sign). A comma is the decimal separator when there is one (``1.234,56``)."""
    subject = name or _("The amount")
    normal = decimal_text(text, name=subject)
    raw = _typed(text)
    try:
        value = Decimal(normal)
    except InvalidOperation:  # "1..2", "1.,5"
        raise NumberError(_("%(name)s “%(value)s” is not a number.")
                          % {"name": subject, "value": quoted(raw)}) from None
    if minimum is not None and value < minimum:
        # In the reader's number format: "no mínimo 0.01" read as a thousandth-like oddity in Portuguese.
        raise NumberError(_("%(name)s must be at least %(min)s.") % {"name": subject, "min": number_format(minimum)})
    whole_digits = max_digits - decimal_places
    limit = Decimal(10) ** whole_digits
    # Compared before rounding too: rounding a number of more than 28 digits is itself an error (InvalidOperation).
    if abs(value) >= limit or abs(value).quantize(Decimal(1).scaleb(-decimal_places), rounding=ROUND_HALF_UP) >= limit:
        raise NumberError(_("%(name)s “%(value)s” is too large: at most %(digits)s digits before the decimal point.")
                          % {"name": subject, "value": quoted(raw), "digits": whole_digits})
    return value


def percent_text(value) -> str:
    """A percentage as the reader writes it, without the column's trailing zeros: 7.5000 -> "7,5%" in pt-BR,
    "7.5%" in English, 18.0000 -> "18%"."""
    amount = Decimal(value).normalize()
    if amount == amount.to_integral_value():
        amount = amount.quantize(Decimal(1))
    return f"{number_format(amount)}%"


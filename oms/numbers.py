"""Numbers typed by people or read from their files, checked against what the database columns can hold.

One parser for each kind, so a value no column can take (``2147483648`` units, ``NaN``, ``1e30`` reais, a
superscript ``²`` that ``str.isdigit`` accepts) is refused with a message naming it, never a server error:

- ``parse_id(text)``: a record id from an address or a form, or None (the caller answers "not found");
- ``parse_whole(text, ...)``: a quantity or count, within the integer column's range;
- ``parse_amount(text, ...)``: money or another decimal, ``1.234,56`` and ``1234.56`` alike, within the column.

``parse_whole`` and ``parse_amount`` raise ``NumberError``, a ``ValueError`` whose ``message`` is for the reader.
"""

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
    raw = str(text if text is not None else "").strip().replace(" ", "").replace("\u00a0", "")
    subject = name or _("The amount")
    if not raw:
        raise NumberError(_("%(name)s is empty.") % {"name": subject})
    normal = _point_decimal(raw)
    try:
        value = Decimal(normal) if normal is not None else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not normal.isascii() or "e" in normal.lower():
        raise NumberError(_("%(name)s “%(value)s” is not a number.") % {"name": subject, "value": quoted(raw)})
    if minimum is not None and value < minimum:
        raise NumberError(_("%(name)s must be at least %(min)s.") % {"name": subject, "min": minimum})
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


"""The channel order as the API receives it; the file importers build the same structure."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator
from pydantic_core import PydanticCustomError

from oms.jsontext import written_number
from oms.numbers import NumberError, not_plain_message, refuse_unwritten


def storable_text(value):
    """Refuses text PostgreSQL cannot store: NUL characters and lone UTF-16 surrogates (``"\\ud800"`` in JSON)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise PydanticCustomError("text_nul", "must not contain NUL (\\u0000) characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise PydanticCustomError("text_surrogate", "must be valid Unicode text (no lone surrogates)") from None
    return value


def plain_amount(value):
    """An amount is written in digits, as text or as a JSON number: Python's Decimal and float read "1e3" and the
    number 1e3 as a thousand (a JSON number is read as ``oms.jsontext.JsonNumber``, which keeps how it was written).
    "Infinity" and "abc" are pydantic's to refuse."""
    written = written_number(value)
    if isinstance(written, str):
        try:
            refuse_unwritten(written, name="")
        except NumberError:
            raise PydanticCustomError("amount_not_plain", "must be written in digits, such as 12.50, not {value}",
                                      {"value": written.strip()}) from None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _storable(cls, value):
        return storable_text(value)


LANGUAGE_CODES = ("", *dict(settings.LANGUAGES))


class CustomerIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=30)
    tax_id: str = Field(default="", max_length=40)
    kind: Literal["person", "company"] = "person"
    language: Literal[LANGUAGE_CODES] = Field(
        default="", description="The customer's language for e-mails; empty: the channel's.")


class AddressIn(_Strict):
    recipient: str = Field(default="", max_length=200)
    street: str = Field(min_length=1, max_length=200)
    number: str = Field(default="", max_length=20)
    complement: str = Field(default="", max_length=100)
    district: str = Field(default="", max_length=100)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=1, max_length=3)
    postal_code: str = Field(min_length=1, max_length=12)
    country: str = Field(default="BR", min_length=2, max_length=2)
    phone: str = Field(default="", max_length=30)

    @field_validator("state", "country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class LineIn(_Strict):
    sku: str = Field(min_length=1, max_length=100, description="Our SKU or the channel's SKU (mapped).")
    quantity: StrictInt = Field(gt=0, le=10000)  # true is not 1, nor "2" or 2.0 a quantity
    unit_price: Decimal = Field(ge=0, max_digits=14, decimal_places=4, description="Price paid per unit.")
    name: str = Field(default="", max_length=200)

    _plain = field_validator("unit_price", mode="before")(plain_amount)


class PaymentIn(_Strict):
    method: str = Field(min_length=1, max_length=40)
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    reference: str = Field(default="", max_length=100)

    _plain = field_validator("amount", mode="before")(plain_amount)


EXAMPLE_ORDER = {
    "external_id": "1001", "placed_at": "2026-03-01T14:30:00-03:00",
    "customer": {"name": "Ana Souza", "email": "ana@example.com", "phone": "+5511987654321", "tax_id": ""},
    "shipping_address": {"street": "Rua Augusta", "number": "500", "district": "Consolação", "city": "São Paulo",
                         "state": "SP", "postal_code": "01305-000", "country": "BR"},
    "lines": [{"sku": "TSHIRT-BLK-M", "quantity": 2, "unit_price": "90.00"}],
    "shipping_method": "Sedex", "shipping_total": "12.00", "discount_total": "10.00", "tax_total": "0.00",
    "total": "182.00", "payments": [{"method": "credit_card", "amount": "182.00", "reference": "ch_1"}],
    "channel_status": "paid",
}


# A channel's clock may run a little ahead of ours; a placing time further ahead, or before online orders were
# taken here at all (an empty date read as 1970 or year 1), is a wrong date, refused rather than kept.
CLOCK_SKEW = timedelta(minutes=10)
EARLIEST_PLACED_AT = datetime(2000, 1, 1, tzinfo=UTC)


def _utc_text(value: datetime) -> str:
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved out of the calendar: as given
        return value.isoformat()
    return f"{value.year:04d}-{value:%m-%d %H:%M} UTC"  # strftime writes year 1 as "1"


def channel_placed_at(value: datetime | None) -> datetime | None:
    """The time the order was placed at the channel, with its time zone (one without an offset is read in the
    OMS's); refused when it is later than now (beyond ``CLOCK_SKEW``) or before ``EARLIEST_PLACED_AT``."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    if value > timezone.now() + CLOCK_SKEW:
        raise PydanticCustomError("placed_in_future", "is in the future",
                                  {"value": _utc_text(value), "minutes": int(CLOCK_SKEW.total_seconds() // 60)})
    if value < EARLIEST_PLACED_AT:
        raise PydanticCustomError("placed_too_early", "is too long ago",
                                  {"value": _utc_text(value), "earliest": EARLIEST_PLACED_AT.date().isoformat()})
    return value


class ChannelOrderIn(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ORDER]})

    external_id: str = Field(min_length=1, max_length=80, description="The channel's order id.")
    placed_at: datetime | None = Field(
        default=None, description="When the customer placed the order at the channel (ISO 8601 with its offset; "
        "without one, the OMS's time zone). Kept as the order's channel_placed_at; the order's own placed_at is when "
        "the OMS placed it. At most 10 minutes ahead of the OMS's clock, not before 2000-01-01.")
    currency: str = Field(default="", max_length=3)
    customer: CustomerIn
    shipping_address: AddressIn
    billing_address: AddressIn | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    shipping_method: str = Field(default="", max_length=100)
    shipping_total: Decimal = Field(default=Decimal(0), ge=0, max_digits=14, decimal_places=4)
    discount_total: Decimal = Field(default=Decimal(0), ge=0, max_digits=14, decimal_places=4)
    tax_total: Decimal = Field(default=Decimal(0), ge=0, max_digits=14, decimal_places=4)
    total: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4,
                                  description="When given, must equal lines - discount + shipping + tax.")
    payments: list[PaymentIn] = Field(default_factory=list, max_length=20)
    source_code: str = Field(default="", max_length=40)
    channel_status: str = Field(default="", max_length=40)
    notes: str = Field(default="", max_length=2000)

    @field_validator("placed_at")
    @classmethod
    def _placed_at(cls, value):
        return channel_placed_at(value)

    _plain = field_validator("shipping_total", "discount_total", "tax_total", "total", mode="before")(plain_amount)


def error_field(loc: tuple) -> str:
    """Pydantic's error location as a dotted path (``lines.0.quantity``), without where ninja read it from: a path or
    query parameter is named as the client sends it (``shipment_id``, ``sku``), as a body field is."""
    parts = list(loc)
    if parts[:1] and parts[0] in ("body", "path", "query", "header"):
        parts = parts[1:]
    return ".".join(str(part) for part in parts if part != "payload")


def _limit(ctx: dict, *names: str):
    return next((ctx[name] for name in names if name in ctx), "")


def _whole(subject: str) -> str:
    """The body as a whole, for an error on it rather than on one of its fields."""
    if subject == "cancellation":
        return _("The cancellation")
    if subject == "shipment_event":
        return _("The shipment event")
    return _("The order")


def _not_a_field(subject: str) -> str:
    if subject == "cancellation":
        return _("%(field)s is not a field of a cancellation: remove it.")
    if subject == "shipment_event":
        return _("%(field)s is not a field of a shipment event: remove it.")
    return _("%(field)s is not a field of a channel order: remove it.")


def describe_error(error: dict, subject: str = "order") -> str:
    """One pydantic error as a sentence for the reader (in the active language), naming the field. ``subject``:
    what the body is (``order``, ``cancellation``, ``shipment_event``)."""
    field = error_field(tuple(error.get("loc", ()))) or _whole(subject)
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    params = {"field": field, "limit": _limit(ctx, "gt", "ge", "lt", "le", "min_length", "max_length",
                                                    "max_digits", "decimal_places", "whole_digits")}
    if kind == "missing":
        return _("%(field)s is missing.") % params
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return _("%(field)s is empty.") % params
        return _("%(field)s must have at least %(limit)s characters.") % params
    if kind == "string_too_long":
        return _("%(field)s is too long: at most %(limit)s characters.") % params
    if kind == "string_type":
        return _("%(field)s should be text.") % params
    if kind.startswith("int_"):
        return _("%(field)s should be a whole number (such as 2).") % params
    if kind == "amount_not_plain":
        return not_plain_message(field, ctx.get("value", ""))
    if kind.startswith("decimal_parsing") or kind in ("decimal_type", "finite_number", "float_parsing", "float_type"):
        return _("%(field)s should be an amount (such as 12.50).") % params
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return _("%(field)s is too large.") % params
    if kind == "decimal_max_places":
        return _("%(field)s has more than %(limit)s decimal places.") % params
    if kind == "greater_than":
        return _("%(field)s must be more than %(limit)s.") % params
    if kind == "greater_than_equal":
        return _("%(field)s must be at least %(limit)s.") % params
    if kind in ("less_than_equal", "less_than"):
        return _("%(field)s must be at most %(limit)s.") % params
    if kind == "too_short":
        return ngettext("%(field)s needs at least %(limit)s item.", "%(field)s needs at least %(limit)s items.",
                        int(params["limit"] or 0)) % params
    if kind == "too_long":
        return ngettext("%(field)s can have at most %(limit)s item.", "%(field)s can have at most %(limit)s items.",
                        int(params["limit"] or 0)) % params
    if kind == "list_type":
        return _("%(field)s should be a list ([…]).") % params
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("%(field)s should be an object ({…}).") % params
    if kind == "extra_forbidden":
        return _not_a_field(subject) % params
    if kind == "literal_error":
        return _("%(field)s must be one of: %(choices)s.") % {**params, "choices": ctx.get("expected", "")}
    if kind == "placed_in_future":
        return _("%(field)s %(value)s is in the future: check the channel's clock or the date (up to %(minutes)s "
                 "minutes ahead of the OMS is accepted).") % {**params, **ctx}
    if kind == "placed_too_early":
        return _("%(field)s %(value)s is before %(earliest)s: check the date.") % {**params, **ctx}
    if kind.startswith(("datetime_", "date_")):
        return _("%(field)s should be a date and time (such as 2026-03-01T14:30:00-03:00).") % params
    if kind == "text_nul":
        return _("%(field)s contains a NUL character (\\u0000).") % params
    if kind == "text_surrogate":
        return _("%(field)s is not valid Unicode text.") % params
    return _("%(field)s is not valid.") % params


def describe_errors(errors: list[dict], limit: int = 5) -> str:
    return " ".join(describe_error(error) for error in errors[:limit])

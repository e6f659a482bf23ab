"""The channel order as the API receives it; the file importers build the same structure."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, field_validator


def storable_text(value):
    """Refuses text PostgreSQL cannot store: NUL characters and lone UTF-16 surrogates (``"\\ud800"`` in JSON)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL (\\u0000) characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text (no lone surrogates)") from None
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
    quantity: int = Field(gt=0, le=10000)
    unit_price: Decimal = Field(ge=0, max_digits=14, decimal_places=4, description="Price paid per unit.")
    name: str = Field(default="", max_length=200)


class PaymentIn(_Strict):
    method: str = Field(min_length=1, max_length=40)
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    reference: str = Field(default="", max_length=100)


EXAMPLE_ORDER = {
    "external_id": "1001",
    "customer": {"name": "Ana Souza", "email": "ana@example.com", "phone": "+5511987654321", "tax_id": ""},
    "shipping_address": {"street": "Rua Augusta", "number": "500", "district": "Consolação", "city": "São Paulo",
                         "state": "SP", "postal_code": "01305-000", "country": "BR"},
    "lines": [{"sku": "TSHIRT-BLK-M", "quantity": 2, "unit_price": "90.00"}],
    "shipping_method": "Sedex", "shipping_total": "12.00", "discount_total": "10.00", "tax_total": "0.00",
    "total": "182.00", "payments": [{"method": "credit_card", "amount": "182.00", "reference": "ch_1"}],
    "channel_status": "paid",
}


class ChannelOrderIn(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ORDER]})

    external_id: str = Field(min_length=1, max_length=80, description="The channel's order id.")
    placed_at: datetime | None = None
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


def error_field(loc: tuple) -> str:
    """Pydantic's error location as a dotted path (``lines.0.quantity``)."""
    return ".".join(str(part) for part in loc if part not in ("body", "payload"))

from contextlib import suppress
from decimal import Decimal

from django import forms
from django.apps import apps
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from oms.forms import SentOnceForm
from oms.numbers import NumberError, decimal_text, refuse_unwritten
from orders.models import Address, Customer, Order
from payments.forms import AmountField
from payments.installments import MAX_INSTALLMENTS


def customer_language_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Language of e-mails"), required=False,
                             choices=[("", _("The channel's language")), *settings.LANGUAGES])


class CustomerForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices, initial=Customer.Kind.PERSON)
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    phone_alt = forms.CharField(label=_("Other phone"), max_length=30, required=False)
    tax_id = forms.CharField(label=_("CPF/CNPJ or tax id"), max_length=40, required=False)
    tax_country = forms.CharField(label=_("Tax country"), max_length=2, initial="BR")
    group_code = forms.CharField(label=_("Customer group"), max_length=40, required=False)
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365, initial=0)
    # Typed as the reader writes money ("5.000,00"): a number box dropped a Brazilian browser's comma.
    credit_limit = AmountField(label=_("Credit limit"), minimum=Decimal(0), initial=Decimal(0))
    language = customer_language_field()
    marketing_consent = forms.BooleanField(label=_("Agrees to marketing"), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class NewCustomerForm(CustomerForm, SentOnceForm):
    """Sent twice (a double click), it makes one customer."""


class AddressForm(forms.Form):
    kind = forms.ChoiceField(label=_("Use"), choices=Address.Kind.choices, initial=Address.Kind.BOTH)
    recipient = forms.CharField(label=_("Recipient"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("CEP / postal code"), max_length=12)
    street = forms.CharField(label=_("Street"), max_length=200)
    number = forms.CharField(label=_("Number"), max_length=20, required=False)
    complement = forms.CharField(label=_("Complement"), max_length=100, required=False)
    district = forms.CharField(label=_("District"), max_length=100, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    state = forms.CharField(label=_("State"), max_length=3)
    country = forms.CharField(label=_("Country"), max_length=2, initial="BR")
    is_default = forms.BooleanField(label=_("Default address"), required=False)


class OrderAddressForm(AddressForm):
    """A new shipping address typed for one placed order: it is not kept on the customer, so it has no use and is
    nobody's default."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"], self.fields["is_default"]


class QuickCustomerForm(forms.Form):
    """The phone screen's inline "new customer": contact plus one address."""

    name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    tax_id = forms.CharField(label=_("CPF/CNPJ"), max_length=40, required=False)
    postal_code = forms.CharField(label=_("CEP"), max_length=12)
    street = forms.CharField(label=_("Street"), max_length=200)
    number = forms.CharField(label=_("Number"), max_length=20, required=False)
    district = forms.CharField(label=_("District"), max_length=100, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    state = forms.CharField(label=_("State"), max_length=3)
    language = customer_language_field()


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason"), max_length=500)


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Order.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


# --- phone screen and order edit: one place for input bounds ---------------------------------------

MAX_LINE_QUANTITY = 9999
MAX_ID = 2**63 - 1  # ids are bigint
# NUL cannot be stored by PostgreSQL; the other C0 controls (and DEL) are never typed on purpose.
_CONTROL = {chr(c) for c in range(32)} | {"\x7f"}
_MULTILINE_OK = {"\t", "\n", "\r"}


def parse_id(value) -> int | None:
    """A database id from user input: ASCII digits within bigint range, else None (never raises)."""
    value = str(value if value is not None else "").strip()
    if not value or not value.isascii() or not value.isdecimal():
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def refuse_control_characters(value: str, *, multiline: bool = False) -> None:
    allowed = _MULTILINE_OK if multiline else set()
    if any(char in _CONTROL and char not in allowed for char in value or ""):
        raise forms.ValidationError(_("Remove the control characters (such as NUL) from this text."),
                                    code="control_characters")


class TextField(forms.CharField):
    """Optional text that refuses NUL and other control characters (tabs and newlines only when multiline)."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            refuse_control_characters(value, multiline=self.multiline)  # before CharField's own NUL check
        return super().to_python(value)


class IdField(forms.Field):
    """A row id as typed; with ``model`` ("app.Model") the row must exist, else the ``unknown`` message."""

    default_error_messages = {"invalid": _("Choose an entry from the list."),
                              "unknown": _("That entry does not exist; choose one from the list.")}

    def __init__(self, *, model: str = "", **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = parse_id(value)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number

    def validate(self, value):
        super().validate(value)
        if value is not None and self.model and not apps.get_model(self.model).objects.filter(pk=value).exists():
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")


class QuantityField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Quantity"))
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_LINE_QUANTITY)
        kwargs.setdefault("error_messages", {
            "required": _("Enter a quantity."),
            "invalid": _("Quantity must be a whole number of at least 1."),
            "min_value": _("Quantity must be a whole number of at least 1."),
            "max_value": _("Quantity can be at most %(limit_value)s per line."),
        })
        super().__init__(**kwargs)


class MoneyField(forms.DecimalField):
    """A price as typed ("12.50", "12,50", "1.000,00"; ``oms.numbers.decimal_text``): not negative, and fits
    ``oms.money.money_field``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 4)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("required", False)
        kwargs.setdefault("error_messages", {
            "invalid": _("“%(value)s” is not a price."),
            "min_value": _("The price cannot be negative."),
            "max_digits": _("The price is too large."),
            "max_whole_digits": _("The price is too large."),
            "max_decimal_places": _("Use at most %(max)s decimal places in the price."),
        })
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            try:  # "1e3" is 1000 to Python, not a price anyone types
                refuse_unwritten(value, name=str(self.label))
            except NumberError as exc:
                raise forms.ValidationError(exc.message, code="invalid") from exc
            # "1.000,00", "1,000.00" and "12,5" as every amount is read; "Infinity" and "abc" are not a price (below)
            with suppress(NumberError):
                value = decimal_text(value, name=str(self.label))
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            if exc.code != "invalid":
                raise
            message = self.error_messages["invalid"]
            raise forms.ValidationError(message, code="invalid", params={"value": value}) from exc


class LineAddForm(forms.Form):
    """A SKU added to a draft: the variant must exist (``is_active`` is the service's check)."""

    variant_id = IdField(label=_("SKU"), model="inventory.Variant", error_messages={
        "required": _("Choose a SKU from the search results."),
        "invalid": _("Choose a SKU from the search results."),
        "unknown": _("That SKU does not exist; search for it again.")})
    quantity = QuantityField()


class LineUpdateForm(forms.Form):
    quantity = QuantityField()
    override_unit_price = MoneyField(label=_("Price override"))
    override_reason = TextField(label=_("Override reason"), max_length=200)


class CustomerChoiceForm(forms.Form):
    customer_id = IdField(label=_("Customer"), model="orders.Customer", error_messages={
        "required": _("Choose a customer from the list."),
        "invalid": _("Choose a customer from the list."),
        "unknown": _("That customer does not exist; search again.")})


class DraftHeaderForm(forms.Form):
    """The header fields of a draft. ``changes()`` returns only the fields present in the POST (autosave
    sends one field at a time), already in the shape ``services.draft_update`` takes."""

    delivery_method = TextField(label=_("Delivery"), max_length=20)
    pickup_location = IdField(label=_("Pick-up store"), required=False, model="inventory.Location", error_messages={
        "unknown": _("That store does not exist; choose one from the list.")})
    shipping_service = TextField(label=_("Shipping"), max_length=40)
    source_code = TextField(label=_("Source code"), max_length=40)
    coupons = TextField(label=_("Coupons"), max_length=500)
    notes = TextField(label=_("Notes"), max_length=2000, multiline=True)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Order.Priority.choices, coerce=int,
                                      required=False, empty_value=None,
                                      error_messages={"invalid_choice": _("Choose a priority from the list.")})
    payment_method = TextField(label=_("Payment method"), max_length=30)
    payment_installments = forms.IntegerField(
        label=_("Installments"), required=False, min_value=1, max_value=MAX_INSTALLMENTS,
        error_messages={"invalid": _("Choose the number of installments from the list.")})
    address_id = IdField(label=_("Address"), required=False)

    def changes(self) -> dict:
        data, present = self.cleaned_data, set(self.data)
        changes = {}
        if "delivery_method" in present:
            changes["delivery_method"] = data["delivery_method"]  # the service refuses an unknown one
        if "pickup_location" in present:
            changes["pickup_location_id"] = data["pickup_location"]
        for name in ("shipping_service", "notes", "payment_method"):
            if name in present:
                changes[name] = data[name]
        if "source_code" in present:
            changes["source_code"] = data["source_code"].upper()
        if "coupons" in present:
            changes["coupons"] = [c.strip().upper() for c in data["coupons"].replace(";", ",").split(",") if c.strip()]
        if "priority" in present and data["priority"] is not None:
            changes["priority"] = data["priority"]
        if "payment_installments" in present and data["payment_installments"] is not None:
            changes["payment_installments"] = data["payment_installments"]
        return changes


class StoredValuePaymentForm(forms.Form):
    """The gift card / store credit code and the method paying what its balance does not cover."""

    gift_code = forms.CharField(label=_("Gift card code"), max_length=40,
                                error_messages={"required": _("Enter the gift card code.")})
    remainder_method = forms.ChoiceField(
        label=_("Rest of the total with"), required=False,
        choices=[("", "—"), ("card", _("Credit/debit card")), ("pix", _("PIX")), ("boleto", _("Boleto"))],
        error_messages={"invalid_choice": _("Choose card, PIX or boleto for the rest of the total.")})

    def clean_gift_code(self):
        code = self.cleaned_data["gift_code"]
        refuse_control_characters(code)
        return code


def form_error_message(form: forms.Form) -> str:
    """The form's errors as one sentence for a screen-wide message ("Quantity: ...; Notes: ...")."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return "; ".join(parts)


class CustomerMergeForm(forms.Form):
    """The duplicate record to fold into the customer on the page: chosen from the likely duplicates or typed as
    its number; ``confirm`` once the page has shown what moves."""

    duplicate = IdField(label=_("Duplicate customer number"), model="orders.Customer", error_messages={
        "required": _("Choose the duplicate record, or type its number."),
        "invalid": _("Type the duplicate customer's number (the # on its page)."),
        "unknown": _("No customer has that number.")})
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone."), required=False)


class ErasureForm(forms.Form):
    reason = TextField(label=_("Reason"), max_length=500, required=True, multiline=True, widget=forms.Textarea(
        attrs={"rows": 3}), help_text=_("E.g. the customer's request by e-mail on 2026-11-20, protocol 123."))
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone."))

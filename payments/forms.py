from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from oms.forms import SentOnceForm
from oms.money import CURRENCY_CHOICES, amount_text, default_currency, minor_unit
from oms.numbers import NumberError, parse_amount
from payments.installments import MAX_INSTALLMENTS
from payments.models import GIFT_CARD_SOURCES, GiftCard, Payment


class AmountField(forms.Field):
    """Money typed by a person: ``1.234,56``, ``1234,56`` or ``1234.56`` (``oms.numbers.parse_amount``), at least
    ``minimum`` (0.01) and within the money columns; shown in the reader's number format."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 12})

    def __init__(self, *, max_digits: int = 14, decimal_places: int = 2, minimum: Decimal = Decimal("0.01"),
                 **kwargs):
        kwargs.setdefault("error_messages", {"required": _("Enter the amount.")})
        super().__init__(**kwargs)
        self.max_digits, self.decimal_places, self.minimum = max_digits, decimal_places, minimum

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return amount_text(value)
        return value

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        try:
            return parse_amount(text, max_digits=self.max_digits, decimal_places=self.decimal_places,
                                minimum=self.minimum, name=str(self.label or _("The amount")))
        except NumberError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from exc


class GiftCardIssueForm(SentOnceForm):
    """Sent twice (a double click), it issues one card."""


    kind = forms.ChoiceField(label=_("Kind"), choices=GiftCard.Kind.choices)
    # Typed as the reader writes money ("50,25" in Portuguese): a number box drops the comma in a Brazilian
    # browser and "50,25" became a card of R$ 5.025,00.
    amount = AmountField(label=_("Amount"))
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial=default_currency)
    source = forms.ChoiceField(label=_("Reason"), choices=GIFT_CARD_SOURCES)
    expires_on = forms.DateField(label=_("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Reference"), max_length=60, required=False)


class GiftCardLookupForm(forms.Form):
    code = forms.CharField(label=_("Gift card code"), max_length=40,
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))


EXPORT_FORMATS = [("generic", _("Generic CSV")), ("dynamics_gp", _("Microsoft Dynamics GP general journal")),
                  ("sage50", _("Sage 50 / Peachtree general journal"))]


class JournalExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Layout"), choices=EXPORT_FORMATS,
                               widget=forms.Select(attrs={"autofocus": True}))
    since = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


class SettlementUploadForm(forms.Form):
    file = forms.FileField(label=_("Settlement file (CSV)"))


class PaymentAddForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    amount = AmountField(label=_("Amount"))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    card_token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=120)
    saved_card = forms.TypedChoiceField(label=_("Saved card"), required=False, coerce=int, empty_value=None,
                                        choices=[], error_messages={"invalid_choice": _(
                                            "That card is not among the customer's saved cards; choose one from "
                                            "the list or enter a new card.")})
    save_card = forms.BooleanField(label=_("Save this card for the customer"), required=False)
    installments = forms.IntegerField(label=_("Installments, interest-free"), required=False, min_value=1,
                                      max_value=MAX_INSTALLMENTS, widget=forms.NumberInput(attrs={"size": 3}))
    gift_card_code = forms.CharField(label=_("Gift card code"), required=False, max_length=40,
                                     widget=forms.TextInput(attrs={"autocomplete": "off"}))
    paypal_email = forms.EmailField(label=_("PayPal e-mail"), required=False)
    check_number = forms.CharField(label=_("Check number"), required=False, max_length=20)
    terms_days = forms.IntegerField(label=_("Terms (days)"), required=False, min_value=0, max_value=365)

    def __init__(self, *args, saved_cards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved_card"].choices = [("", _("A new card"))] + [(c.pk, str(c)) for c in saved_cards]

    def clean(self):
        data = super().clean()
        method = data.get("method")
        if method == Payment.Method.CARD and not data.get("card_token") and not data.get("saved_card"):
            raise forms.ValidationError(_("Enter the card in the secure card field and press “Use card” first."))
        if method in (Payment.Method.GIFT_CARD, Payment.Method.STORE_CREDIT) and not data.get("gift_card_code"):
            self.add_error("gift_card_code", _("Enter the gift card code."))
        if method == Payment.Method.PAYPAL and not data.get("paypal_email"):
            self.add_error("paypal_email", _("Enter the customer's PayPal e-mail."))
        if method != Payment.Method.CARD or not data.get("installments"):
            data["installments"] = 1  # only a card is billed in installments
        return data


class AmountForm(forms.Form):
    amount = AmountField(label=_("Amount"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=60)
    # The payment panel's one-off key for this showing of the form: the same capture or refund sent twice (a double
    # click, a retry after a network error) names the same request and is done once.
    request_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        # The smallest amount is the currency's (KWD 0.001 is a refund, ¥0.01 is not money).
        self.fields["amount"].minimum = minor_unit(currency)

    def request_reference(self, fallback: str = "") -> str:
        """The reference typed, else one made of the form's key (``manual:<key>``, a capture or refund done by hand),
        else ``fallback``."""
        key = "".join(ch for ch in self.cleaned_data.get("request_key", "") if ch.isascii() and ch.isalnum())[:40]
        return self.cleaned_data["reference"] or (f"manual:{key}" if key else fallback)

    def first_error(self) -> str:
        """The first problem, for the one-line message of the payment panel and the invoice list."""
        for errors in self.errors.values():
            return str(errors[0])
        return ""

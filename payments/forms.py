from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from oms.money import CURRENCY_CHOICES, default_currency
from payments.models import GiftCard


class GiftCardIssueForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=GiftCard.Kind.choices)
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial=default_currency)
    source = forms.ChoiceField(label=_("Reason"), choices=[("goodwill", _("Goodwill")), ("promotion", _("Promotion")),
                                                           ("refund", _("Refund as store credit")),
                                                           ("sale", _("Sold"))])
    expires_on = forms.DateField(label=_("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Reference"), max_length=60, required=False)


class GiftCardLookupForm(forms.Form):
    code = forms.CharField(label=_("Gift card code"), max_length=40,
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))


EXPORT_FORMATS = [("generic", _("Generic CSV")), ("dynamics_gp", _("Microsoft Dynamics GP general journal")),
                  ("sage50", _("Sage 50 / Peachtree general journal"))]


class JournalExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Layout"), choices=EXPORT_FORMATS)
    since = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


class SettlementUploadForm(forms.Form):
    file = forms.FileField(label=_("Settlement file (CSV)"))

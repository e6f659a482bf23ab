from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from oms.forms import FocusFirstError
from oms.jsontext import JsonTextError, load_json
from oms.money import exponent, quantize
from orders.channels.models import ChannelIntegration, ImportFormat, StatusMapping, WebhookEndpoint
from orders.models import Channel
from payments.forms import AmountField


class ChannelForm(forms.ModelForm):
    """A sales channel's own settings (its integration has the form below). The code is fixed once created:
    price lists, tax settings and imports refer to it."""

    price_list_code = forms.ChoiceField(label=_("Price list"), required=False)
    card_installment_minimum = AmountField(
        label=_("Smallest installment"), required=False, minimum=Decimal(0), decimal_places=3,
        help_text=Channel._meta.get_field("card_installment_minimum").help_text)

    class Meta:
        model = Channel
        fields = ["name", "code", "kind", "order_prefix", "currency", "language", "price_list_code",
                  "sourcing_strategy", "allow_oversell", "notify_customers", "card_installments_max",
                  "card_installment_minimum", "is_active"]
        labels = {"name": _("Name"), "code": _("Code"), "kind": _("Kind"), "order_prefix": _("Order number prefix"),
                  "currency": _("Currency"), "language": _("Customers' language"),
                  "sourcing_strategy": _("Ships from"), "allow_oversell": _("Accept orders beyond stock (backorder)"),
                  "notify_customers": _("E-mail customers about their orders"),
                  "card_installments_max": _("Card installments, at most"),
                  "is_active": _("Active")}

    def __init__(self, *args, **kwargs):
        from marketing.models import PriceList

        super().__init__(*args, **kwargs)
        codes = PriceList.objects.filter(is_active=True).order_by("code").values_list("code", "name")
        choices = [("", _("Base prices")), *((c, f"{c} · {n}") for c, n in codes)]
        if self.instance.price_list_code and self.instance.price_list_code not in dict(choices):
            choices.append((self.instance.price_list_code, self.instance.price_list_code))  # since deactivated
        self.fields["price_list_code"].choices = choices
        self.fields["language"].choices = [("", _("The site's language")), *self.fields["language"].choices[1:]]
        if self.instance.pk:
            self.fields["code"].disabled = True
        self.fields["card_installments_max"].required = False  # blank: paid at once

    def clean(self):
        data = super().clean()
        if "card_installments_max" not in self.errors and data.get("card_installments_max") is None:
            data["card_installments_max"] = 1
        smallest, currency = data.get("card_installment_minimum"), data.get("currency")
        if smallest is None:
            data["card_installment_minimum"] = Decimal(0)
        elif currency and smallest != quantize(smallest, currency):
            self.add_error("card_installment_minimum", _("%(currency)s has %(places)s decimal places: %(value)s has "
                                                         "more.") % {"currency": currency, "places": exponent(currency),
                                                                     "value": smallest})
        return data


class IntegrationForm(FocusFirstError, forms.ModelForm):
    pull_url = forms.URLField(label=_("Pull URL"), required=False, assume_scheme="https",
                              max_length=ChannelIntegration._meta.get_field("pull_url").max_length,
                              help_text=_("Order export fetched on a schedule."))

    class Meta:
        model = ChannelIntegration
        fields = ["import_format", "stock_buffer", "rate_limit_per_minute", "require_signature", "watch_folder",
                  "pull_url", "pull_every_minutes"]


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    with_signature = forms.BooleanField(label=_("Also create a body-signing secret"), required=False)


class SkuMappingForm(forms.Form):
    channel_sku = forms.CharField(label=_("Channel SKU"), max_length=100)
    sku = forms.CharField(label=_("Our SKU"), max_length=64)

    def clean_sku(self):
        from inventory.selectors import variant_by_sku

        sku = self.cleaned_data["sku"].strip()
        variant = variant_by_sku(sku)  # in any case, as SKUs are typed everywhere else
        if variant is None:
            raise forms.ValidationError(_("No SKU “%(sku)s”.") % {"sku": sku})
        self.cleaned_data["variant_id"] = variant.pk
        return variant.sku


class ShippingMappingForm(forms.Form):
    channel_method = forms.CharField(label=_("Channel shipping method"), max_length=100)
    service_code = forms.ChoiceField(label=_("Our carrier service"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from marketing.models import CarrierService

        self.fields["service_code"].choices = list(CarrierService.objects.values_list("code", "name"))


class StatusMappingForm(forms.Form):
    channel_status = forms.CharField(label=_("Channel status"), max_length=60)
    action = forms.ChoiceField(label=_("What we do"), choices=StatusMapping.Action.choices)


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("URL"), assume_scheme="https",
                         max_length=WebhookEndpoint._meta.get_field("url").max_length)
    events = forms.MultipleChoiceField(label=_("Events"), choices=WebhookEndpoint.Event.choices,
                                       widget=forms.CheckboxSelectMultiple)


class UploadForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=ImportFormat.choices)
    file = forms.FileField(label=_("File"))


class FixRowForm(forms.Form):
    data = forms.CharField(label=_("Order data (JSON)"),
                           widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "autofocus": True}))

    def clean_data(self):
        try:
            value = load_json(self.cleaned_data["data"])
        except JsonTextError as exc:
            raise forms.ValidationError(exc.message) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Give one order as a JSON object."))
        return value

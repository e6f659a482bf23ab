"""Forms of the marketing admin screens; they validate input, services do the writing."""

import re
from decimal import Decimal
from functools import partial

from django import forms
from django.contrib.postgres.forms import SimpleArrayField
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from marketing.models import (
    Campaign,
    CarrierService,
    ChannelTaxSetting,
    PriceList,
    PriceListItem,
    Promotion,
    Segment,
    ShippingRate,
    ShippingZone,
    SourceCode,
    TaxRate,
)
from marketing.segments import MAX_JSON_DEPTH, shown_value
from oms.forms import JsonTextField, PlainDecimalField, PlainDecimals, SentOnceForm
from oms.numbers import BIGINT_MAX, INT_MAX, NumberError, parse_whole

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class WeekdaysField(SimpleArrayField):
    """Weekdays as typed ("1, 3 5"): each from 1 (Monday) to 7 (Sunday), with a message naming a wrong one."""

    def to_python(self, value):
        items = value if isinstance(value, list) else [v for v in re.split(r"[,;\s]+", value or "") if v]
        days = []
        for item in items:
            try:
                day = parse_whole(item, minimum=1, maximum=7)
            except NumberError:
                raise ValidationError(
                    gettext("Weekdays go from 1 (Monday) to 7 (Sunday); %(value)s is not one of them.")
                    % {"value": shown_value(str(item))}, code="weekday") from None
            if day not in days:
                days.append(day)
        return sorted(days)

    def validate(self, value):
        forms.Field.validate(self, value)

    def run_validators(self, value):
        forms.Field.run_validators(self, value)


def _upper_codes(values):
    return [v.strip().upper() for v in values or [] if v.strip()]


class PriceListForm(forms.ModelForm):
    class Meta:
        model = PriceList
        fields = ["code", "name", "currency", "channel_code", "customer_group", "valid_from", "valid_until",
                  "priority", "is_active"]
        widgets = {"valid_from": DATETIME, "valid_until": DATETIME}


class PriceListItemForm(PlainDecimals, forms.ModelForm):
    sku = forms.CharField(label=_("SKU"), max_length=64, widget=forms.TextInput(attrs={
        "list": "sku-options", "autocomplete": "off", "autofocus": True,
        "hx-get": reverse_lazy("marketing:sku_suggest"), "hx-trigger": "input changed delay:250ms",
        "hx-target": "#sku-options"}))

    class Meta:
        model = PriceListItem
        fields = ["min_quantity", "unit_price"]

    def clean_sku(self):
        from inventory.selectors import variant_by_sku

        sku = self.cleaned_data["sku"].strip()
        variant = variant_by_sku(sku)
        if variant is None:
            raise forms.ValidationError(_("No SKU %(sku)s.") % {"sku": sku})
        self.instance.variant = variant
        return variant.sku


class TaxRateForm(PlainDecimals, forms.ModelForm):
    class Meta:
        model = TaxRate
        fields = ["name", "region", "tax_class", "rate", "valid_from", "valid_until"]
        widgets = {"valid_from": DATE, "valid_until": DATE}

    def clean_region(self):
        return self.cleaned_data["region"].strip().upper()


class ChannelTaxSettingForm(forms.ModelForm):
    class Meta:
        model = ChannelTaxSetting
        fields = ["channel_code", "prices_include_tax"]


class ShippingZoneForm(forms.ModelForm):
    class Meta:
        model = ShippingZone
        fields = ["code", "name", "regions"]
        help_texts = {"regions": _("State codes separated by commas, e.g. SP,RJ,MG.")}

    def clean_regions(self):
        regions = _upper_codes(self.cleaned_data["regions"])
        taken = ShippingZone.objects.exclude(pk=self.instance.pk).filter(regions__overlap=regions)
        if other := taken.first():
            both = sorted(set(regions) & set(other.regions))
            raise forms.ValidationError(_("%(regions)s already belong to zone %(zone)s.") % {
                "regions": ", ".join(both), "zone": other.name})
        return regions


class CarrierServiceForm(PlainDecimals, forms.ModelForm):
    class Meta:
        model = CarrierService
        fields = ["code", "name", "carrier", "currency", "free_shipping_threshold", "sort_order", "is_active"]


class ShippingRateForm(PlainDecimals, forms.ModelForm):
    class Meta:
        model = ShippingRate
        fields = ["service", "zone", "max_weight_grams", "price", "transit_days"]


class CampaignForm(PlainDecimals, forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["code", "name", "channel_code", "starts_on", "ends_on", "budget", "currency", "description",
                  "is_active"]
        widgets = {"starts_on": DATE, "ends_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}


class SourceCodeForm(forms.ModelForm):
    class Meta:
        model = SourceCode
        fields = ["code", "campaign", "kind", "description", "is_active"]

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if not code.replace("-", "").replace("_", "").isalnum():
            raise forms.ValidationError(_("Use letters, digits, - and _ only."))
        return code


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["code", "name", "description", "rules"]
        # JSON reads left to right in an Arabic page too (its brackets and quotes are laid out by direction).
        widgets = {"description": forms.Textarea(attrs={"rows": 2}),
                   "rules": forms.Textarea(attrs={"rows": 6, "dir": "ltr"})}
        field_classes = {"rules": partial(JsonTextField, max_depth=MAX_JSON_DEPTH)}
        help_texts = {"rules": _('A list of rules, all of which must hold, e.g. [{"field": "total_spent", "op": '
                                 '"gte", "value": "1000"}, {"field": "region", "op": "in", "value": ["SP", "RJ"]}]')}

    def clean_rules(self):
        from marketing.segments import clean_rules

        rules, problems = clean_rules(self.cleaned_data["rules"] or [])
        if problems:
            raise forms.ValidationError(problems)
        return rules


class PromotionForm(PlainDecimals, forms.ModelForm):
    skus = forms.CharField(label=_("SKUs"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("SKU codes separated by commas or spaces; empty with no category or brand: "
                                       "every item."))

    class Meta:
        model = Promotion
        fields = ["name", "description", "kind", "currency", "percent", "amount", "buy_quantity", "get_quantity",
                  "tiers", "min_subtotal", "skus", "categories", "brands", "shipping_services", "channel_codes",
                  "customer_groups", "segment", "campaign", "source_codes", "requires_coupon", "starts_at",
                  "ends_at", "weekdays", "daily_start", "daily_end", "priority", "exclusive", "usage_limit",
                  "usage_limit_per_customer"]
        widgets = {"starts_at": DATETIME, "ends_at": DATETIME, "daily_start": TIME, "daily_end": TIME,
                   "tiers": forms.Textarea(attrs={"rows": 2, "dir": "ltr"})}
        field_classes = {"tiers": partial(JsonTextField, max_depth=MAX_JSON_DEPTH), "weekdays": WeekdaysField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["skus"] = ", ".join(self.instance.variants.order_by("sku").values_list("sku", flat=True))
        self.fields["tiers"].required = False
        self.fields["kind"].widget.attrs["data-promotion-kind"] = "1"

    def clean_tiers(self):
        return self.cleaned_data["tiers"] or []  # left empty: no tiers (the column holds a list, never null)

    def clean_usage_limit(self):
        limit = self.cleaned_data["usage_limit"]
        used = self.instance.times_used if self.instance.pk else 0
        if limit is not None and limit < used:  # the table refuses it too, with a message naming only its rule
            raise forms.ValidationError(ngettext(
                "The promotion has already been used %(n)s time; the total uses cannot be fewer.",
                "The promotion has already been used %(n)s times; the total uses cannot be fewer.", used) % {"n": used})
        return limit

    def clean_channel_codes(self):
        return [c.strip() for c in self.cleaned_data["channel_codes"] or [] if c.strip()]

    def clean_customer_groups(self):
        return [c.strip() for c in self.cleaned_data["customer_groups"] or [] if c.strip()]

    def clean_skus(self):
        from inventory.models import Variant

        codes = [c for c in self.cleaned_data["skus"].replace(",", " ").split() if c]
        found = dict(Variant.objects.filter(sku__in=codes).values_list("sku", "pk"))
        missing = [c for c in codes if c not in found]
        if missing:
            raise forms.ValidationError(_("Unknown SKU(s): %(skus)s") % {"skus": ", ".join(missing)})
        self.variant_ids = sorted(found.values())
        return codes

    def clean(self):
        data = super().clean()
        # The page hides the fields a kind does not use but keeps their values (switching back loses nothing);
        # they are not saved with a kind that ignores them, where they would read as limits that never apply.
        kind = data.get("kind")
        if kind and kind not in Promotion.ITEM_KINDS:
            data["skus"], data["categories"], data["brands"], self.variant_ids = [], [], [], []
        if kind and kind != Promotion.Kind.FREE_SHIPPING:
            data["shipping_services"] = []
        return data

    def m2m(self) -> dict:
        return {
            "variants": getattr(self, "variant_ids", []),
            "categories": list(self.cleaned_data["categories"]),
            "brands": list(self.cleaned_data["brands"]),
            "source_codes": list(self.cleaned_data["source_codes"]),
        }


class CouponForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    usage_limit = forms.IntegerField(label=_("Uses"), min_value=1, max_value=1_000_000, required=False, initial=1,
                                     help_text=_("Empty: unlimited."))


class CouponBatchForm(SentOnceForm):
    quantity = forms.IntegerField(label=_("How many"), min_value=1, max_value=50000, initial=100)
    prefix = forms.CharField(label=_("Prefix"), max_length=12, required=False)


class OverstockPromotionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    percent = PlainDecimalField(label=_("Percent off"), min_value=Decimal("0.01"), max_value=100, initial=20)
    starts_at = forms.DateTimeField(label=_("Starts at"), required=False, widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends at"), required=False, widget=DATETIME)
    activate = forms.BooleanField(label=_("Activate now"), required=False, initial=True)
    skus = forms.CharField(widget=forms.HiddenInput)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
    replace = forms.BooleanField(label=_("Replace every item of the list"), required=False)


class PriceCheckForm(forms.Form):
    lines = forms.CharField(label=_("Lines"), widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("One line per SKU: SKU quantity, e.g. TSHIRT-BL-M 2"))
    channel_code = forms.CharField(label=_("Channel"), max_length=40, initial="phone")
    customer_group = forms.CharField(label=_("Customer group"), max_length=40, required=False)
    customer_id = forms.IntegerField(label=_("Customer number"), min_value=1, max_value=BIGINT_MAX, required=False,
                                     help_text=_("For segment and once-per-customer promotions."))
    source_code = forms.CharField(label=_("Source code"), max_length=30, required=False)
    coupons = forms.CharField(label=_("Coupons"), max_length=200, required=False)
    ship_to_region = forms.CharField(label=_("Ship to (state)"), max_length=10, initial="SP")
    shipping_service = forms.CharField(label=_("Shipping service"), max_length=40, required=False)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="BRL")

    def clean_lines(self):
        from inventory.models import Variant

        parsed = []
        for number, raw in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            parts = raw.split()
            if not parts:
                continue
            sku = parts[0]
            try:
                quantity = parse_whole(parts[1], minimum=1, maximum=INT_MAX) if len(parts) > 1 else 1
            except NumberError:
                raise forms.ValidationError(_("Line %(n)s: the quantity must be a whole number from 1 to %(max)s.")
                                            % {"n": number, "max": INT_MAX})
            parsed.append((sku, quantity))
        found = dict(Variant.objects.filter(sku__in=[s for s, _q in parsed]).values_list("sku", "pk"))
        missing = [s for s, _q in parsed if s not in found]
        if missing:
            raise forms.ValidationError(_("Unknown SKU(s): %(skus)s") % {"skus": ", ".join(missing)})
        if not parsed:
            raise forms.ValidationError(_("Give at least one line."))
        return [(found[s], q) for s, q in parsed]

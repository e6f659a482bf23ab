"""Forms validate input only; views hand the cleaned values to ``inventory.services``."""


from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from inventory.models import (
    Brand,
    Category,
    ImportJob,
    KitComponent,
    Location,
    PersonalizationField,
    Product,
    ReorderRule,
    Supplier,
    SupplierItem,
    TaxClass,
    Variant,
)
from inventory.selectors import variant_by_sku
from oms.forms import FocusFirstError, PlainDecimals, SentOnceForm
from oms.numbers import INT_MAX, NumberError, parse_amount, parse_whole


class SkuField(forms.CharField):
    """A SKU typed (or scanned) by the user: accepts the SKU code or the barcode; cleans to a ``Variant``."""

    def __init__(self, *, allow_kits: bool = False, **kwargs):
        self.allow_kits = allow_kits
        kwargs.setdefault("label", gettext_lazy("SKU or barcode"))
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        if not value:
            return None
        variant = variant_by_sku(value) or Variant.objects.filter(barcode=value).first()
        if variant is None:
            raise forms.ValidationError(_("Unknown SKU or barcode: %(value)s") % {"value": value})
        if variant.is_kit and not self.allow_kits:
            raise forms.ValidationError(_("%(sku)s is a kit; use its component SKUs.") % {"sku": variant.sku})
        return variant


def location_field(**kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=Location.objects.filter(is_active=True).order_by("code"), **kwargs)


class StockLocationField(forms.ModelChoiceField):
    """Where stock is counted, adjusted or sent from: every location, closed (inactive) ones too, marked so. A
    location closed with stock still on its shelves has it counted, written off or moved out from here; stock is
    only sent to, received at and sold from active locations."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Location.objects.order_by("-is_active", "code"), **kwargs)

    def label_from_instance(self, obj):
        return str(obj) if obj.is_active else _("%(location)s (inactive)") % {"location": obj}


class AdjustForm(FocusFirstError, SentOnceForm):
    sku = SkuField(widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    location = StockLocationField(label=gettext_lazy("Location"))
    delta = forms.IntegerField(label=gettext_lazy("Change (+/-)"), min_value=-INT_MAX, max_value=INT_MAX,
                               help_text=gettext_lazy("Positive adds units, negative removes."))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)

    def clean_delta(self):
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("Enter a change other than zero."))
        return delta


class CountForm(FocusFirstError, SentOnceForm):
    sku = SkuField(widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    location = StockLocationField(label=gettext_lazy("Location"))
    counted = forms.IntegerField(label=gettext_lazy("Counted quantity"), min_value=0, max_value=INT_MAX)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


def _line_parts(line: str) -> list[str]:
    """``SKU quantity [cost]`` split on spaces, tabs or semicolons; ``SKU,quantity,cost`` (pasted from a
    spreadsheet) on commas. ``18,50`` in a spaced line stays one amount."""
    parts = line.replace(";", " ").split()
    if len(parts) == 1:
        parts = line.split(",")
    return [part.strip(",").strip() for part in parts if part.strip(",").strip()]


def parse_lines(text: str, *, with_cost: bool = False) -> tuple[list[tuple], list[str]]:
    """Parses ``SKU quantity [unit cost]`` lines; returns (rows, errors naming each bad line).

    SKUs match in any case, as everywhere else, or by barcode. Quantities fit the integer columns and costs
    the money columns (``NaN``, ``Infinity`` and ``1e30`` are not costs)."""
    from django.db.models.functions import Upper

    rows, errors, seen = [], [], {}
    wanted = [_line_parts(line.strip()) for line in text.splitlines() if line.strip()]
    codes = {parts[0] for parts in wanted if parts}
    variants = {}
    for variant in Variant.objects.annotate(code=Upper("sku")).filter(code__in={c.upper() for c in codes}):
        variants.setdefault(variant.sku.upper(), []).append(variant)
    exact = {v.sku: v for matches in variants.values() for v in matches}
    barcodes = {v.barcode: v for v in Variant.objects.filter(barcode__in=codes)}
    for number, parts in enumerate(wanted, start=1):
        if len(parts) < 2:
            errors.append(_("Line %(n)s: write the SKU and the quantity.") % {"n": number})
            continue
        if len(parts) > (3 if with_cost else 2):
            errors.append((_("Line %(n)s: write the SKU, the quantity and the unit cost, nothing more.") if with_cost
                           else _("Line %(n)s: write the SKU and the quantity, nothing more.")) % {"n": number})
            continue
        matches = variants.get(parts[0].upper(), [])
        variant = exact.get(parts[0]) or (matches[0] if len(matches) == 1 else None) or barcodes.get(parts[0])
        if variant is None:
            errors.append(_("Line %(n)s: unknown SKU %(sku)s.") % {"n": number, "sku": parts[0]} if not matches else
                          _("Line %(n)s: %(sku)s matches several SKUs that differ only in upper and lower case; "
                            "write it exactly as one of them.") % {"n": number, "sku": parts[0]})
            continue
        if variant.is_kit:
            errors.append(_("Line %(n)s: %(sku)s is a kit; list its components.") % {"n": number, "sku": variant.sku})
            continue
        try:
            quantity = parse_whole(parts[1], minimum=1, maximum=INT_MAX, name=_("The quantity"))
        except NumberError as exc:
            errors.append(_("Line %(n)s: %(problem)s") % {"n": number, "problem": exc.message})
            continue
        if variant.pk in seen:
            errors.append(_("Line %(n)s: %(sku)s is already on line %(m)s.")
                          % {"n": number, "sku": variant.sku, "m": seen[variant.pk]})
            continue
        seen[variant.pk] = number
        cost = None
        if with_cost and len(parts) > 2:
            try:
                cost = parse_amount(parts[2], name=_("The unit cost"))
            except NumberError as exc:
                errors.append(_("Line %(n)s: %(problem)s") % {"n": number, "problem": exc.message})
                continue
        rows.append((variant, quantity, cost) if with_cost else (variant, quantity))
    if not rows and not errors:
        errors.append(_("Add at least one line."))
    return rows, errors


LINES_HELP = gettext_lazy("One line per SKU: code and quantity, e.g. TEE-BLU-M 12")


class TransferForm(SentOnceForm):
    from_location = StockLocationField(label=gettext_lazy("From"))
    to_location = location_field(label=pgettext_lazy("transfer destination", "To"))
    lines = forms.CharField(label=gettext_lazy("Lines"), widget=forms.Textarea(attrs={"rows": 6}), help_text=LINES_HELP)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=500)

    def clean(self):
        data = super().clean()
        if data.get("from_location") and data.get("from_location") == data.get("to_location"):
            self.add_error("to_location", _("Choose two different locations."))
        if "lines" in data:
            rows, errors = parse_lines(data["lines"])
            if errors:
                self.add_error("lines", errors)
            data["parsed"] = [(v.pk, q) for v, q in rows]
        return data


class PurchaseOrderForm(SentOnceForm):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.filter(is_active=True), label=gettext_lazy("Supplier"))
    location = location_field(label=gettext_lazy("Deliver to"))
    expected_on = forms.DateField(label=gettext_lazy("Expected on"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    lines = forms.CharField(label=gettext_lazy("Lines"), widget=forms.Textarea(attrs={"rows": 6}),
                            help_text=gettext_lazy(
                                "One line per SKU: code, quantity and optional unit cost, e.g. TEE-BLU-M 24 18.50"))
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        from datetime import timedelta

        from inventory.services import EXPECTED_WITHIN_DAYS

        super().__init__(*args, **kwargs)
        today = timezone.localdate()  # the browser's date picker offers the dates the purchase order takes
        self.fields["expected_on"].widget.attrs.update(
            min=today.isoformat(), max=(today + timedelta(days=EXPECTED_WITHIN_DAYS)).isoformat())

    def clean(self):
        data = super().clean()
        if "lines" in data:
            rows, errors = parse_lines(data["lines"], with_cost=True)
            if errors:
                self.add_error("lines", errors)
            data["parsed"] = [(v.pk, q, c) for v, q, c in rows]
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))

    def __init__(self, *args, with_mode: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_mode:
            self.fields["mode"] = forms.ChoiceField(
                label=gettext_lazy("The file holds"), choices=[
                    (ImportJob.Mode.SET, gettext_lazy("Counted quantities (column on_hand): on hand is set to them")),
                    (ImportJob.Mode.ADD,
                     gettext_lazy("Received quantities (column quantity): they are added to on hand")),
                ], initial=ImportJob.Mode.SET, required=False, widget=forms.RadioSelect)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not (name.endswith(".csv") or name.endswith(".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


# --- catalogue, locations and purchasing records ------------------------------------------------
# Model forms validate and build an unsaved instance; ``services.catalogue_object_save`` saves it.


class VariantRefField(SkuField):
    """A foreign key to a SKU typed as its code or barcode (a select of 100,000 SKUs is no use)."""

    def prepare_value(self, value):
        if isinstance(value, int):
            return Variant.objects.filter(pk=value).values_list("sku", flat=True).first() or value
        return value.sku if isinstance(value, Variant) else value


class AttributesField(forms.CharField):
    """SKU attributes as ``name=value`` lines (size=M, colour=Blue), cleaned to a dict."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{k}={v}" for k, v in value.items())
        return value

    def clean(self, value):
        value = super().clean(value)
        result = {}
        for number, line in enumerate((value or "").splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, text = line.partition("=")
            if not sep or not name.strip() or not text.strip():
                raise forms.ValidationError(_("Line %(n)s: write name=value, e.g. size=M.") % {"n": number})
            if name.strip().lower() in result:
                raise forms.ValidationError(_("Line %(n)s: %(name)s is given twice.")
                                            % {"n": number, "name": name.strip()})
            result[name.strip().lower()] = text.strip()
        return result


class RecordForm(PlainDecimals, forms.ModelForm):
    """Checks the typed values only (a cost or price typed as "1e3" is refused, ``PlainDecimals``); the whole
    record (constraints, uniqueness, rules across rows) is validated once, by ``services.catalogue_object_save``,
    which names each bad field."""

    def _post_clean(self):
        from django.core.exceptions import ValidationError
        from django.forms.models import construct_instance

        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        except ValidationError as exc:
            self._update_errors(exc)


class _SlugFromName(RecordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = gettext_lazy("Leave empty to make one from the name.")

    def clean_slug(self):
        from django.utils.text import slugify

        slug = self.cleaned_data.get("slug") or slugify(self.data.get(self.add_prefix("name"), ""))[:120]
        if not slug:
            raise forms.ValidationError(_("Give a slug made of letters, digits and hyphens."))
        return slug


class BrandForm(_SlugFromName):
    class Meta:
        model = Brand
        fields = ["name", "slug", "is_active"]


class CategoryForm(_SlugFromName):
    class Meta:
        model = Category
        fields = ["name", "parent", "slug"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = self.fields["parent"].queryset.order_by("path")
        if self.instance.pk:
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(pk=self.instance.pk)


class ProductForm(RecordForm):
    class Meta:
        model = Product
        fields = ["code", "name", "brand", "category", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = self.fields["category"].queryset.order_by("path")


class VariantForm(RecordForm):
    attributes = AttributesField(label=gettext_lazy("Attributes"), required=False,
                                 help_text=gettext_lazy("One per line: name=value, e.g. size=M"))
    tax_class = forms.ChoiceField(label=gettext_lazy("Tax class"), choices=[])

    class Meta:
        model = Variant
        fields = ["sku", "name", "barcode", "attributes", "weight_grams", "length_mm", "width_mm", "height_mm",
                  "cost", "base_price", "currency", "tax_class", "is_active", "is_kit", "is_gift_card", "visible_web",
                  "visible_store", "visible_catalogue", "visible_marketplace"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tax_class"].choices = TaxClass.choices
        self.fields["visible_web"].label = gettext_lazy("Visible on the web shop")
        self.fields["visible_store"].label = gettext_lazy("Visible in stores")
        self.fields["visible_catalogue"].label = gettext_lazy("Visible in the printed catalogue")
        self.fields["visible_marketplace"].label = gettext_lazy("Visible on marketplaces")
        self.fields["is_gift_card"].help_text = gettext_lazy(
            "Sold as a gift card: no stock or shipment; the value is chosen on the order (the base price is the "
            "suggestion), not taxed, no promotions.")

    def clean(self):
        data = super().clean()
        if data.get("is_gift_card") and data.get("is_kit"):
            self.add_error("is_gift_card", gettext_lazy("A gift card cannot be a kit."))
        return data


class KitComponentForm(RecordForm):
    component = VariantRefField(label=gettext_lazy("Component SKU"), allow_kits=True)

    class Meta:
        model = KitComponent
        fields = ["component", "quantity"]


class PersonalizationFieldForm(RecordForm):
    class Meta:
        model = PersonalizationField
        fields = ["code", "label", "kind", "max_length", "required", "extra_price", "position"]


class LocationForm(RecordForm):
    class Meta:
        model = Location
        fields = ["code", "name", "kind", "supplier", "address_line1", "address_line2", "city", "state",
                  "postal_code", "country", "latitude", "longitude", "phone", "can_ship", "can_pickup",
                  "handling_days", "cutoff_time", "is_active"]
        widgets = {"cutoff_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def clean_state(self):
        return self.cleaned_data["state"].strip().upper()

    def clean_country(self):
        return self.cleaned_data["country"].strip().upper()


class SupplierForm(RecordForm):
    class Meta:
        model = Supplier
        fields = ["code", "name", "contact_name", "email", "phone", "address", "tax_id", "currency",
                  "lead_time_days", "is_active", "notes"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2}), "notes": forms.Textarea(attrs={"rows": 2})}


class SupplierItemForm(RecordForm):
    variant = VariantRefField(label=gettext_lazy("SKU"))

    class Meta:
        model = SupplierItem
        fields = ["variant", "supplier_sku", "cost", "min_order_quantity", "lead_time_days"]


class ReorderRuleForm(RecordForm):
    variant = VariantRefField(label=gettext_lazy("SKU"))

    class Meta:
        model = ReorderRule
        fields = ["variant", "location", "reorder_point", "order_up_to", "preferred_supplier", "is_active"]


class SafetyStockForm(FocusFirstError, forms.Form):
    sku = SkuField(widget=forms.TextInput(attrs={"autocomplete": "off"}))
    location = location_field(label=gettext_lazy("Location"))
    safety_stock = forms.IntegerField(label=gettext_lazy("Safety stock"), min_value=0, max_value=INT_MAX,
                                      widget=forms.NumberInput(attrs={"autofocus": True}),
                                      help_text=gettext_lazy("Units kept back from sale at this location."))

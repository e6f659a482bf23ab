"""Forms validate input only; views hand the cleaned values to ``inventory.services``."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.models import Location, Supplier, Variant


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
        variant = Variant.objects.filter(sku__iexact=value).first() or Variant.objects.filter(barcode=value).first()
        if variant is None:
            raise forms.ValidationError(_("Unknown SKU or barcode: %(value)s") % {"value": value})
        if variant.is_kit and not self.allow_kits:
            raise forms.ValidationError(_("%(sku)s is a kit; use its component SKUs.") % {"sku": variant.sku})
        return variant


def location_field(**kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=Location.objects.filter(is_active=True).order_by("code"), **kwargs)


class AdjustForm(forms.Form):
    sku = SkuField(widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    location = location_field(label=gettext_lazy("Location"))
    delta = forms.IntegerField(label=gettext_lazy("Change (+/-)"),
                               help_text=gettext_lazy("Positive adds units, negative removes."))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)

    def clean_delta(self):
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("Enter a change other than zero."))
        return delta


class CountForm(forms.Form):
    sku = SkuField(widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    location = location_field(label=gettext_lazy("Location"))
    counted = forms.IntegerField(label=gettext_lazy("Counted quantity"), min_value=0)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


def parse_lines(text: str, *, with_cost: bool = False) -> tuple[list[tuple], list[str]]:
    """Parses ``SKU quantity [unit cost]`` lines; returns (rows, errors naming each bad line)."""
    from decimal import Decimal, InvalidOperation

    rows, errors, seen = [], [], {}
    raw = [line.strip() for line in text.splitlines()]
    wanted = [line.replace(";", " ").replace(",", " ").split() for line in raw if line]
    codes = {parts[0] for parts in wanted if parts}
    variants = {v.sku.upper(): v for v in Variant.objects.filter(sku__in=codes)}
    variants.update({v.barcode: v for v in Variant.objects.filter(barcode__in=codes)})
    for number, parts in enumerate(wanted, start=1):
        if len(parts) < 2:
            errors.append(_("Line %(n)s: write the SKU and the quantity.") % {"n": number})
            continue
        variant = variants.get(parts[0].upper()) or variants.get(parts[0])
        if variant is None:
            errors.append(_("Line %(n)s: unknown SKU %(sku)s.") % {"n": number, "sku": parts[0]})
            continue
        if variant.is_kit:
            errors.append(_("Line %(n)s: %(sku)s is a kit; list its components.") % {"n": number, "sku": variant.sku})
            continue
        try:
            quantity = int(parts[1])
        except ValueError:
            errors.append(_("Line %(n)s: quantity %(q)s is not a whole number.") % {"n": number, "q": parts[1]})
            continue
        if quantity <= 0:
            errors.append(_("Line %(n)s: quantity must be above zero.") % {"n": number})
            continue
        if variant.pk in seen:
            errors.append(_("Line %(n)s: %(sku)s is already on line %(m)s.")
                          % {"n": number, "sku": variant.sku, "m": seen[variant.pk]})
            continue
        seen[variant.pk] = number
        cost = None
        if with_cost and len(parts) > 2:
            try:
                cost = Decimal(parts[2])
            except InvalidOperation:
                errors.append(_("Line %(n)s: cost %(c)s is not a number.") % {"n": number, "c": parts[2]})
                continue
            if cost < 0:
                errors.append(_("Line %(n)s: cost cannot be negative.") % {"n": number})
                continue
        rows.append((variant, quantity, cost) if with_cost else (variant, quantity))
    if not rows and not errors:
        errors.append(_("Add at least one line."))
    return rows, errors


LINES_HELP = gettext_lazy("One line per SKU: code and quantity, e.g. TEE-BLU-M 12")


class TransferForm(forms.Form):
    from_location = location_field(label=gettext_lazy("From"))
    to_location = location_field(label=gettext_lazy("To"))
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


class PurchaseOrderForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.filter(is_active=True), label=gettext_lazy("Supplier"))
    location = location_field(label=gettext_lazy("Deliver to"))
    expected_on = forms.DateField(label=gettext_lazy("Expected on"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    lines = forms.CharField(label=gettext_lazy("Lines"), widget=forms.Textarea(attrs={"rows": 6}),
                            help_text=gettext_lazy(
                                "One line per SKU: code, quantity and optional unit cost, e.g. TEE-BLU-M 24 18.50"))
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=500)

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

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not (name.endswith(".csv") or name.endswith(".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload

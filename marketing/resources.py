"""Import and export of price list items (django-import-export): columns ``sku, min_quantity, unit_price``."""

from decimal import Decimal

from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from marketing.models import PriceList, PriceListItem
from oms.numbers import NumberError, parse_amount, parse_whole


def file_line(row_number: int) -> int:
    """The line of the file a data row is on, as a spreadsheet shows it (the header is line 1): what every import
    of the back office calls a row."""
    return row_number + 1


class QuantityWidget(widgets.IntegerWidget):
    """A whole number of units, at least 1: import-export's own widget truncates "1.5" to 1 and answers "abc"
    with the text of a decimal exception."""

    def clean(self, value, row=None, **kwargs):
        try:
            return parse_whole(value, minimum=1, name=_("The quantity"))
        except NumberError as error:
            raise ValueError(error.message) from None


class PriceWidget(widgets.DecimalWidget):
    """A finite amount: a spreadsheet's number as it is, a text as typed amounts are read everywhere
    (``oms.numbers.parse_amount``: "1.234,56" and "1,234.56" are both 1234.56, "12,5" is 12.5); empty is left to the
    required-field check."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            amount = Decimal(str(value))
            if amount.is_finite():
                return amount
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            return parse_amount(text, minimum=None, name=_("The price"))
        except NumberError as error:
            raise ValueError(error.message) from None


class SkuWidget(widgets.ForeignKeyWidget):
    """A SKU of the file, matched as the price form matches a typed one (``inventory.selectors.variant_by_sku``:
    in any case); each SKU written is looked up once per import."""

    def __init__(self):
        from inventory.models import Variant

        super().__init__(Variant, field="sku")
        self.found: dict[str, object] = {}

    def variant(self, value):
        """The SKU ``value`` names, or None."""
        from inventory.selectors import variant_by_sku

        value = str(value).strip() if value is not None else ""
        if value not in self.found:
            self.found[value] = variant_by_sku(value)
        return self.found[value]

    def clean(self, value, row=None, **kwargs):
        value = (str(value).strip() if value is not None else "")
        if not value:
            raise ValueError(_("The SKU is missing."))
        variant = self.variant(value)
        if variant is None:
            raise ValueError(_("No SKU %(sku)s.") % {"sku": value})
        return variant


class PriceListItemResource(resources.ModelResource):
    sku = fields.Field(attribute="variant", column_name="sku", widget=SkuWidget())
    min_quantity = fields.Field(attribute="min_quantity", column_name="min_quantity", widget=QuantityWidget(),
                                default=1)
    unit_price = fields.Field(attribute="unit_price", column_name="unit_price", widget=PriceWidget())

    class Meta:
        model = PriceListItem
        fields = ("sku", "min_quantity", "unit_price")
        import_id_fields = ("sku", "min_quantity")
        skip_unchanged = True
        clean_model_instances = True
        use_transactions = False  # the calling service owns the (all-or-nothing) transaction

    def __init__(self, price_list: PriceList):
        super().__init__()
        self.price_list = price_list

    def get_queryset(self):
        return PriceListItem.objects.filter(price_list=self.price_list).select_related("variant")

    def init_instance(self, row=None):
        return PriceListItem(price_list=self.price_list)

    def before_import(self, dataset, **kwargs):
        self.row_numbers: dict[tuple[str, int], int] = {}  # (SKU as stored, from quantity) -> the file row giving it
        self.fields["sku"].widget.found = {}

    def before_import_row(self, row, **kwargs):
        if row.get("min_quantity") in (None, ""):
            row["min_quantity"] = 1
        for name in ("unit_price", "min_quantity"):
            if isinstance(row.get(name), str):
                row[name] = row[name].strip()
        sku = str(row.get("sku") or "").strip()
        try:
            quantity = int(Decimal(str(row["min_quantity"])))
        except (ArithmeticError, ValueError):
            return  # the quantity column reports it
        variant = self.fields["sku"].widget.variant(sku)
        # One SKU written in two cases is one SKU: its tiers are keyed by the SKU as stored.
        key, number = (variant.sku if variant is not None else sku, quantity), file_line(kwargs.get("row_number") or 0)
        if key in self.row_numbers:  # a second price for the same tier would silently replace the first
            raise ValueError(_("SKU %(sku)s from %(qty)s units is already priced on row %(row)s; give each SKU "
                               "and quantity once.") % {"sku": sku, "qty": quantity, "row": self.row_numbers[key]})
        self.row_numbers[key] = number

"""django-import-export resources used by the Django admin's import/export buttons.

Stock levels are deliberately export-only there: stock changes must write ledger movements, so stock
imports go through ``inventory.imports`` (screen and ``manage.py inventory_import``).
"""

from django.utils.translation import gettext as _
from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget

from inventory import services
from inventory.models import Location, ReorderRule, StockLevel, Supplier, SupplierItem, Variant
from inventory.selectors import variant_by_sku
from oms.spreadsheets import neutralize


class NeutralizedResource(resources.ModelResource):
    """Exported cells starting with a formula character get a leading apostrophe (CSV injection)."""

    def export_field(self, field, instance, **kwargs):
        return neutralize(super().export_field(field, instance, **kwargs))


class SupplierResource(NeutralizedResource):
    class Meta:
        model = Supplier
        import_id_fields = ["code"]
        fields = ["code", "name", "email", "phone", "contact_name", "currency", "lead_time_days", "is_active"]
        use_bulk = True
        skip_unchanged = True


class RecordResource(NeutralizedResource):
    """An imported record is checked by the rules the app's pages apply (``services.catalogue_rules``), each
    message under the file's column; a file with any refused row changes nothing, even if a row turns bad
    between the preview and the confirmation."""

    columns: dict[str, str] = {}  # model field -> the file's column, where they differ

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = {name: list(messages) for name, messages in (import_validation_errors or {}).items()}
        for name, messages in services.catalogue_rules(instance).items():
            errors.setdefault(self.columns.get(name, name), []).extend(messages)
        super().validate_instance(instance, errors, validate_unique)

    def import_data(self, dataset, **kwargs):
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)


class SkuWidget(ForeignKeyWidget):
    """A file's SKU column read as SKUs are read everywhere (``selectors.variant_by_sku``: in any case, the exact
    spelling first), with a message naming the SKU when there is none."""

    def __init__(self):
        super().__init__(Variant, "sku")

    def clean(self, value, row=None, **kwargs):
        sku = str(value or "").strip()
        if not sku:
            return None
        variant = variant_by_sku(sku)
        if variant is None:
            raise ValueError(_("Unknown SKU %(value)s.") % {"value": sku})
        return variant


class SupplierItemResource(RecordResource):
    columns = {"variant": "sku"}
    supplier = fields.Field(attribute="supplier", column_name="supplier", widget=ForeignKeyWidget(Supplier, "code"))
    sku = fields.Field(attribute="variant", column_name="sku", widget=SkuWidget())

    class Meta:
        model = SupplierItem
        import_id_fields = ["supplier", "sku"]
        fields = ["supplier", "sku", "supplier_sku", "cost", "min_order_quantity", "lead_time_days"]
        use_bulk = True


class ReorderRuleResource(RecordResource):
    columns = {"variant": "sku", "preferred_supplier": "supplier"}
    sku = fields.Field(attribute="variant", column_name="sku", widget=SkuWidget())
    location = fields.Field(attribute="location", column_name="location", widget=ForeignKeyWidget(Location, "code"))
    supplier = fields.Field(attribute="preferred_supplier", column_name="supplier",
                            widget=ForeignKeyWidget(Supplier, "code"))

    class Meta:
        model = ReorderRule
        import_id_fields = ["sku", "location"]
        fields = ["sku", "location", "reorder_point", "order_up_to", "supplier", "is_active"]
        use_bulk = True


class StockLevelResource(NeutralizedResource):
    sku = fields.Field(attribute="variant__sku", column_name="sku")
    location = fields.Field(attribute="location__code", column_name="location")

    class Meta:
        model = StockLevel
        fields = ["sku", "location", "on_hand", "reserved", "safety_stock"]

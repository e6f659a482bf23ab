from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from import_export.admin import ExportMixin, ImportExportModelAdmin

from inventory import resources, services
from inventory.errors import InventoryError
from inventory.models import (
    Brand,
    Category,
    KitComponent,
    Location,
    PersonalizationField,
    Product,
    ReorderRule,
    StockLevel,
    Supplier,
    SupplierItem,
    Variant,
)


class RecordRulesForm(forms.ModelForm):
    """An admin form checked by the rules the app's pages apply to the record (``services.catalogue_rules``)."""

    def _post_clean(self):
        super()._post_clean()
        for name, messages in services.catalogue_rules(self.instance).items():
            self.add_error(name if name in self.fields else None, messages)


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = RecordRulesForm
    list_display = ["path", "slug"]
    search_fields = ["name", "path"]


class VariantInline(admin.TabularInline):
    model = Variant
    form = RecordRulesForm
    fields = ["sku", "name", "barcode", "base_price", "cost", "is_active"]
    extra = 0
    show_change_link = True


class PersonalizationInline(admin.TabularInline):
    model = PersonalizationField
    form = RecordRulesForm
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "brand", "category", "is_active"]
    list_select_related = ["brand", "category"]
    search_fields = ["code", "name"]
    inlines = [VariantInline, PersonalizationInline]


class KitComponentFormSet(BaseInlineFormSet):
    """A kit's components edited in the admin obey the kit's own pages' rule (``services.kit_change_check``):
    while orders hold stock for the kit, adding, changing or removing a component is refused and nothing is
    saved."""

    def clean(self):
        super().clean()
        if self.instance.pk is None:  # a kit being created: no order can hold it yet
            return
        for form in self.forms:
            if not hasattr(form, "cleaned_data"):
                continue
            deleting = self.can_delete and self._should_delete_form(form)
            if (form.instance.pk is not None) if deleting else form.has_changed():
                try:
                    services.kit_change_check(kit_id=self.instance.pk)
                except InventoryError as exc:
                    raise ValidationError(exc.message) from exc
                return


class KitComponentInline(admin.TabularInline):
    model = KitComponent
    form = RecordRulesForm
    formset = KitComponentFormSet
    fk_name = "kit"
    raw_id_fields = ["component"]
    extra = 0


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    form = RecordRulesForm
    list_display = ["sku", "name", "barcode", "base_price", "is_active", "is_kit"]
    search_fields = ["sku", "barcode", "name"]
    raw_id_fields = ["product"]
    readonly_fields = ["search_text"]
    inlines = [KitComponentInline]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    form = RecordRulesForm
    list_display = ["code", "name", "kind", "city", "state", "can_ship", "can_pickup", "is_active"]


@admin.register(Supplier)
class SupplierAdmin(ImportExportModelAdmin):
    resource_classes = [resources.SupplierResource]
    list_display = ["code", "name", "email", "lead_time_days", "is_active"]
    search_fields = ["code", "name"]


@admin.register(SupplierItem)
class SupplierItemAdmin(ImportExportModelAdmin):
    form = RecordRulesForm
    resource_classes = [resources.SupplierItemResource]
    list_display = ["supplier", "variant", "supplier_sku", "cost", "min_order_quantity"]
    raw_id_fields = ["variant"]


@admin.register(ReorderRule)
class ReorderRuleAdmin(ImportExportModelAdmin):
    form = RecordRulesForm
    resource_classes = [resources.ReorderRuleResource]
    list_display = ["variant", "location", "reorder_point", "order_up_to", "preferred_supplier", "is_active"]
    raw_id_fields = ["variant"]


@admin.register(StockLevel)
class StockLevelAdmin(ExportMixin, admin.ModelAdmin):
    """Read-only: stock changes only through the services (and their ledger)."""

    resource_classes = [resources.StockLevelResource]
    list_display = ["variant", "location", "on_hand", "reserved", "safety_stock"]
    list_select_related = ["variant", "location"]
    search_fields = ["variant__sku"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

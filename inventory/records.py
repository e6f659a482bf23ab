"""Create/edit screens for catalogue, location and purchasing records.

One list/form pair serves every record type (``SECTIONS``); each save goes through
``services.catalogue_object_save`` (full validation, cross-row rules, audit of the changed fields).
Child records (SKUs, kit components, personalization fields, supplier items) are created from their
parent's page, which passes the parent in the query string (``?product=12``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inventory import forms as iforms
from inventory import services
from inventory.errors import CatalogueInvalid, InventoryError
from inventory.models import (
    Brand,
    Category,
    KitComponent,
    Location,
    PersonalizationField,
    Product,
    ReorderRule,
    Supplier,
    SupplierItem,
    Variant,
)
from oms.listing import paginate, sort_queryset


@dataclass(frozen=True)
class Section:
    key: str
    slug: str
    model: type
    form: type
    title: str
    singular: str
    permission: str
    back: Callable  # saved object -> URL to go to after saving
    parent: tuple[str, type, str] | None = None  # (model field, parent model, query parameter)
    deletable: bool = False
    has_list: bool = False


def _product_url(product_id: int) -> str:
    return reverse("inventory:product_detail", args=[product_id])


SECTIONS: dict[str, Section] = {s.key: s for s in [
    Section("brands", "brands", Brand, iforms.BrandForm, gettext_lazy("Brands"), gettext_lazy("brand"),
            "manage_catalogue", lambda o: reverse("inventory:brands_list"), has_list=True),
    Section("categories", "categories", Category, iforms.CategoryForm, gettext_lazy("Categories"),
            gettext_lazy("category"), "manage_catalogue", lambda o: reverse("inventory:categories_list"),
            has_list=True),
    Section("products", "products", Product, iforms.ProductForm, gettext_lazy("Products"), gettext_lazy("product"),
            "manage_catalogue", lambda o: _product_url(o.pk)),
    Section("variants", "skus", Variant, iforms.VariantForm, gettext_lazy("SKUs"), gettext_lazy("SKU"),
            "manage_catalogue", lambda o: _product_url(o.product_id), parent=("product", Product, "product")),
    Section("kit_components", "kit-components", KitComponent, iforms.KitComponentForm, gettext_lazy("Kit components"),
            gettext_lazy("kit component"), "manage_catalogue", lambda o: _product_url(o.kit.product_id),
            parent=("kit", Variant, "kit"), deletable=True),
    Section("personalization_fields", "personalization-fields", PersonalizationField,
            iforms.PersonalizationFieldForm, gettext_lazy("Personalization fields"),
            gettext_lazy("personalization field"), "manage_catalogue", lambda o: _product_url(o.product_id),
            parent=("product", Product, "product"), deletable=True),
    Section("locations", "locations", Location, iforms.LocationForm, gettext_lazy("Locations"),
            gettext_lazy("location"), "manage_catalogue",
            lambda o: reverse("inventory:location_detail", args=[o.pk])),
    Section("suppliers", "suppliers", Supplier, iforms.SupplierForm, gettext_lazy("Suppliers"),
            gettext_lazy("supplier"), "manage_purchasing",
            lambda o: reverse("inventory:supplier_detail", args=[o.pk])),
    Section("supplier_items", "supplier-items", SupplierItem, iforms.SupplierItemForm, gettext_lazy("Supplier items"),
            gettext_lazy("supplier item"), "manage_purchasing",
            lambda o: reverse("inventory:supplier_detail", args=[o.supplier_id]),
            parent=("supplier", Supplier, "supplier"), deletable=True),
    Section("reorder_rules", "reorder-rules", ReorderRule, iforms.ReorderRuleForm, gettext_lazy("Reorder rules"),
            gettext_lazy("reorder rule"), "manage_purchasing", lambda o: reverse("inventory:reorder_rules"),
            deletable=True),
]}


def _parent(section: Section, request, instance):
    """The parent record of a child section: from the instance when editing, from ``?<param>=`` when new."""
    if section.parent is None:
        return None
    field, model, param = section.parent
    if instance.pk:
        return getattr(instance, field)
    try:
        pk = int(request.GET.get(param, ""))
    except ValueError:
        raise Http404 from None
    parent = model.objects.filter(pk=pk).first()
    if parent is None:
        raise Http404
    setattr(instance, field, parent)
    return parent


def _form_errors(form, error: InventoryError) -> None:
    """Puts each message on its field; a field the form does not show gets a message naming it."""
    if not isinstance(error, CatalogueInvalid):
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return
    model_fields = {f.name: f for f in form.instance._meta.fields}
    for name, errors in error.errors.items():
        for message in errors:
            if name in form.fields:
                form.add_error(name, message)
            elif name in model_fields:
                form.add_error(None, f"{model_fields[name].verbose_name}: {message}")
            else:
                form.add_error(None, message)


def record_form(request, key: str, pk: int | None = None):
    section = SECTIONS[key]
    instance = get_object_or_404(section.model, pk=pk) if pk else section.model()
    parent = _parent(section, request, instance)
    form = section.form(request.POST or None, instance=instance)
    first = next(iter(form.fields.values()), None)
    if first is not None:
        first.widget.attrs["autofocus"] = True
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)  # builds the unsaved instance; the service validates and saves it
        try:
            services.catalogue_object_save(obj=obj, acting_user=request.user)
        except InventoryError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("%(what)s saved.") % {"what": obj})
            return redirect(section.back(obj))
    back = section.back(instance) if (instance.pk or parent is not None) else (
        reverse(f"inventory:{key}_list") if section.has_list else "")
    return render(request, "inventory/record_form.html", {
        "section": section, "form": form, "object": instance, "parent": parent, "back": back,
    }, status=422 if request.method == "POST" else 200)


@require_POST
def record_delete(request, key: str, pk: int):
    section = SECTIONS[key]
    obj = get_object_or_404(section.model, pk=pk)
    back = section.back(obj)
    try:
        services.catalogue_object_delete(obj=obj, acting_user=request.user)
    except InventoryError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(what)s deleted.") % {"what": obj})
    return redirect(back)


LIST_SORTS = {
    "brands": ({"name": "name", "products": "product_count"}, "name"),
    "categories": ({"path": "path", "products": "product_count"}, "path"),
}


def record_list(request, key: str):
    section = SECTIONS[key]
    sorts, default = LIST_SORTS[key]
    rows = section.model.objects.annotate(product_count=Count("products"))
    if q := request.GET.get("q", "").strip():
        rows = rows.filter(Q(name__icontains=q) | Q(slug__icontains=q))
    rows = sort_queryset(rows, request.GET.get("sort"), sorts, default)
    page = paginate(request, rows)
    template = "inventory/record_list.html#table" if request.htmx else "inventory/record_list.html"
    return render(request, template, {"section": section, "page": page})

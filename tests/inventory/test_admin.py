"""The Django admin keeps the inventory's rules: a held kit's components, no reorder rules for kits, the rules every
record form applies (``services.catalogue_rules``), and SKUs read in any case by its imports."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.errors import CatalogueInvalid, InUse
from inventory.models import KitComponent, ReorderRule, SupplierItem, Variant
from inventory.services import catalogue_object_save
from tests.inventory.factories import KitComponentFactory, LocationFactory, SupplierFactory, VariantFactory

pytestmark = pytest.mark.django_db

HELD_KITS: set[int] = set()


def refuse_held_kits(*, kit_id: int) -> None:
    """A kit hook standing in for an app that holds stock for kits (orders does, for kits on reserved lines)."""
    if kit_id in HELD_KITS:
        raise InUse(f"Kit #{kit_id} is held for an order.")


@pytest.fixture
def held_kit(settings):
    settings.INVENTORY_KIT_HOOKS = ["tests.inventory.test_admin.refuse_held_kits"]
    kit = VariantFactory(is_kit=True)
    HELD_KITS.add(kit.pk)
    yield kit
    HELD_KITS.discard(kit.pk)


def _change_form_data(response) -> dict:
    """The POST body the admin change page would send as it is shown (its form and inline forms)."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.management_form.prefix}-{name}": value
                     for name, value in formset.management_form.initial.items()})
        forms += formset.forms
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            data[bound.html_name] = "on" if value is True else value
    return data


def test_admin_refuses_to_change_a_held_kits_components(held_kit, admin_client):
    mug, cap = VariantFactory(), VariantFactory()
    line = KitComponentFactory(kit=held_kit, component=mug, quantity=1)
    url = reverse("admin:inventory_variant_change", args=[held_kit.pk])
    data = _change_form_data(admin_client.get(url))
    prefix = "components"
    assert data[f"{prefix}-0-id"] == line.pk

    changed = admin_client.post(url, {**data, f"{prefix}-0-quantity": "3"})
    added = admin_client.post(url, {**data, f"{prefix}-TOTAL_FORMS": "2", f"{prefix}-1-component": cap.pk,
                                    f"{prefix}-1-quantity": "1"})
    removed = admin_client.post(url, {**data, f"{prefix}-0-DELETE": "on"})
    for response in (changed, added, removed):
        assert response.status_code == 200  # the form again, with the refusal
        assert f"Kit #{held_kit.pk} is held for an order." in response.content.decode()
    assert list(KitComponent.objects.values_list("kit_id", "component_id", "quantity")) == [
        (held_kit.pk, mug.pk, 1)]
    # The kit's own page refuses the same change with the same words: one rule.
    page = admin_client.post(reverse("inventory:kit_components_edit", args=[line.pk]),
                             {"component": mug.sku, "quantity": "3"})
    assert f"Kit #{held_kit.pk} is held for an order." in page.content.decode()

    # Saving the kit without touching its components is still allowed, and once let go the change goes through.
    unchanged = admin_client.post(url, {**data, "name": "Gift box"})
    assert unchanged.status_code == 302
    HELD_KITS.discard(held_kit.pk)
    assert admin_client.post(url, {**data, f"{prefix}-0-quantity": "3"}).status_code == 302
    assert KitComponent.objects.get().quantity == 3


def _admin_import(admin_client, text: str, model: str = "reorderrule"):
    return admin_client.post(reverse(f"admin:inventory_{model}_import"),
                             {"format": "0", "import_file": SimpleUploadedFile("rows.csv", text.encode())})


def test_admin_import_refuses_a_reorder_rule_for_a_kit_naming_the_row_and_sku(admin_client):
    """A kit holds no stock of its own: the app's reorder rule form and import refuse it; the admin's import
    created the rule."""
    VariantFactory(sku="TEE-1")
    VariantFactory(sku="BOX-1", is_kit=True)
    LocationFactory(code="DC1")
    response = _admin_import(admin_client, "sku,location,reorder_point,order_up_to\n"
                                           "TEE-1,DC1,5,20\nBOX-1,DC1,5,20\nTEE-1,DC1,9,3\n")
    result = response.context["result"]
    assert [(row.number, row.field_specific_errors) for row in result.invalid_rows] == [
        (2, {"sku": ["BOX-1 is a kit; it holds no stock of its own."]}),
        (3, {"order_up_to": ["Must be above the reorder point (9)."]})]
    assert "BOX-1 is a kit; it holds no stock of its own." in response.content.decode()
    assert response.context.get("confirm_form") is None
    assert not ReorderRule.objects.exists()


def test_admin_import_confirmed_after_a_sku_became_a_kit_applies_nothing(admin_client):
    tee, other = VariantFactory(sku="TEE-1"), VariantFactory(sku="TEE-2")
    LocationFactory(code="DC1")
    preview = _admin_import(admin_client, "sku,location,reorder_point,order_up_to\nTEE-2,DC1,1,4\nTEE-1,DC1,5,20\n")
    confirm = preview.context["confirm_form"]
    assert not preview.context["result"].has_validation_errors()
    Variant.objects.filter(pk=tee.pk).update(is_kit=True)  # between the preview and the confirmation
    admin_client.post(reverse("admin:inventory_reorderrule_process_import"),
                      {name: confirm[name].value() or "" for name in confirm.fields})
    assert not ReorderRule.objects.filter(variant__in=[tee, other]).exists()


def test_reorder_rule_for_a_kit_is_refused_by_the_service_and_the_admin_form(admin_client, make_user):
    kit, location = VariantFactory(sku="BOX-1", is_kit=True), LocationFactory()
    with pytest.raises(CatalogueInvalid) as refused:
        catalogue_object_save(obj=ReorderRule(variant=kit, location=location, reorder_point=1, order_up_to=5),
                              acting_user=make_user("admin"))
    assert refused.value.errors == {"variant": ["BOX-1 is a kit; it holds no stock of its own."]}
    response = admin_client.post(reverse("admin:inventory_reorderrule_add"), {
        "variant": kit.pk, "location": location.pk, "reorder_point": "1", "order_up_to": "5", "is_active": "on"})
    assert response.status_code == 200
    assert "BOX-1 is a kit; it holds no stock of its own." in response.content.decode()
    assert not ReorderRule.objects.exists()


def test_admin_kit_components_keep_the_kit_rules(admin_client):
    """The admin's kit inline skipped the rules the kit's pages apply: a kit inside a kit, or a kit inside itself."""
    kit, other_kit = VariantFactory(sku="BOX-1", is_kit=True), VariantFactory(sku="BOX-2", is_kit=True)
    url = reverse("admin:inventory_variant_change", args=[kit.pk])
    data = _change_form_data(admin_client.get(url))
    for component, message in ((other_kit, "A kit cannot be a component of another kit."),
                               (kit, "A kit cannot contain itself.")):
        response = admin_client.post(url, {**data, "components-TOTAL_FORMS": "1",
                                           "components-0-component": component.pk, "components-0-quantity": "1"})
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not KitComponent.objects.exists()


def test_admin_variant_form_refuses_a_sku_that_differs_only_in_case(admin_client):
    VariantFactory(sku="TEE-BLUE-M")
    variant = VariantFactory(sku="CAP-1")
    url = reverse("admin:inventory_variant_change", args=[variant.pk])
    data = _change_form_data(admin_client.get(url))
    response = admin_client.post(url, {**data, "sku": "tee-blue-m"})
    assert response.status_code == 200
    assert "SKU TEE-BLUE-M already exists" in response.content.decode()
    assert Variant.objects.get(pk=variant.pk).sku == "CAP-1"


def test_admin_supplier_item_import_reads_skus_in_any_case_and_keeps_the_record_rules(admin_client):
    tee = VariantFactory(sku="TEE-BLUE-M")
    SupplierFactory(code="ACME")
    refused = _admin_import(admin_client, "supplier,sku,supplier_sku,cost,min_order_quantity\n"
                                          "ACME,tee-blue-m,A1,10.00,1\nACME,NOPE-1,A2,5.00,1\n", "supplieritem")
    assert "Unknown SKU NOPE-1." in refused.content.decode()
    assert refused.context.get("confirm_form") is None
    negative = _admin_import(admin_client, "supplier,sku,supplier_sku,cost,min_order_quantity\n"
                                           "ACME,tee-blue-m,A1,-1.00,1\n", "supplieritem")
    assert [row.field_specific_errors for row in negative.context["result"].invalid_rows] == [
        {"cost": ["Cannot be negative."]}]
    preview = _admin_import(admin_client, "supplier,sku,supplier_sku,cost,min_order_quantity\n"
                                          "ACME,tee-blue-m,A1,10.00,1\n", "supplieritem")
    confirm = preview.context["confirm_form"]
    admin_client.post(reverse("admin:inventory_supplieritem_process_import"),
                      {name: confirm[name].value() or "" for name in confirm.fields})
    assert list(SupplierItem.objects.values_list("variant_id", "supplier_sku")) == [(tee.pk, "A1")]
    assert not SupplierItem.objects.filter(supplier_sku="A2").exists()

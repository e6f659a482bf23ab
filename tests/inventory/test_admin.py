"""The Django admin keeps the inventory's rules: a held kit's components, and no reorder rules for kits."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.errors import CatalogueInvalid, InUse
from inventory.models import KitComponent, ReorderRule, Variant
from inventory.services import catalogue_object_save
from tests.inventory.factories import KitComponentFactory, LocationFactory, VariantFactory

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


def _admin_import(admin_client, text: str):
    return admin_client.post(reverse("admin:inventory_reorderrule_import"),
                             {"format": "0", "import_file": SimpleUploadedFile("rules.csv", text.encode())})


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

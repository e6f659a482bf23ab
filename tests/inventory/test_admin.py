"""The Django admin keeps the inventory's rules: a held kit's components, and reorder rules for kits."""

import pytest
from django.urls import reverse

from inventory.errors import InUse
from inventory.models import KitComponent
from tests.inventory.factories import KitComponentFactory, VariantFactory

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

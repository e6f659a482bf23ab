"""A kit's components cannot change while orders hold stock for it.

A kit is reserved as the components its recipe names at that moment; releasing or shipping it expands the kit
again. Changing the recipe in between left the old components reserved for good and made the order impossible to
cancel ("Not enough reserved stock"), so the record pages refuse it until the order ships or is cancelled."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from inventory.models import KitComponent, StockLevel
from orders.services import order_cancel
from tests.inventory.factories import VariantFactory

pytestmark = pytest.mark.django_db


def _held(variant, location) -> tuple[int, int]:
    level = StockLevel.objects.get(variant=variant, location=location)
    return level.on_hand, level.reserved


def test_a_kit_held_by_an_order_keeps_its_components_until_the_order_lets_go(role_client, place, world):
    shirt, mug, cap = world["variants"]
    box = VariantFactory(is_kit=True)
    first = KitComponent.objects.create(kit=box, component=shirt, quantity=1)
    KitComponent.objects.create(kit=box, component=mug, quantity=2)
    client = role_client("admin")
    order = place(client.user, [(box, 2)])
    assert (_held(shirt, world["dc"]), _held(mug, world["dc"])) == ((10, 2), (10, 4))

    deleted = client.post(reverse("inventory:kit_components_delete", args=[first.pk]), follow=True)
    refusal = f"{box.sku} is held for order {order.number}"
    assert [str(m) for m in deleted.context["messages"]] == [
        f"{refusal}: its components can change once it ships or is cancelled."]
    edited = client.post(reverse("inventory:kit_components_edit", args=[first.pk]),
                         {"component": shirt.sku, "quantity": "3"})
    added = client.post(reverse("inventory:kit_components_create") + f"?kit={box.pk}",
                        {"component": cap.sku, "quantity": "1"})
    for response in (edited, added):
        assert response.status_code == 422
        assert refusal in response.content.decode()
    assert sorted(box.components.values_list("component_id", "quantity")) == sorted([(shirt.pk, 1), (mug.pk, 2)])

    order_cancel(order_id=order.pk, reason="customer changed mind", acting_user=client.user)
    assert (_held(shirt, world["dc"]), _held(mug, world["dc"])) == ((10, 0), (10, 0))
    call_command("verify_ledgers")
    response = client.post(reverse("inventory:kit_components_delete", args=[first.pk]))
    assert response.status_code == 302
    assert list(box.components.values_list("component_id", flat=True)) == [mug.pk]

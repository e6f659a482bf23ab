"""The audit trail of day-to-day stock work names what a person knows: the SKU and the location."""

from django.urls import reverse

from inventory.services import stock_adjust, stock_count, stock_set_safety, transfer_create
from oms.models import AuditEntry
from tests.inventory.factories import LocationFactory, VariantFactory


def test_stock_changes_are_audited_and_found_by_sku_and_location(role_client, stock):
    variant, dc, store = VariantFactory(sku="MUG-RED"), LocationFactory(code="DC9"), LocationFactory(code="ST9")
    stock(variant, dc, 10)
    stock_adjust(variant_id=variant.pk, location_id=dc.pk, delta=-2, reason="damaged", acting_user=None)
    stock_count(variant_id=variant.pk, location_id=dc.pk, counted=7, note="aisle 4", acting_user=None)
    stock_set_safety(variant_id=variant.pk, location_id=dc.pk, safety_stock=1, acting_user=None)
    transfer_create(from_location_id=dc.pk, to_location_id=store.pk, lines=[(variant.pk, 3)], acting_user=None)

    entries = AuditEntry.objects.filter(verb__in=["stock_adjust", "stock_count", "stock_set_safety"])
    assert sorted(entries.values_list("verb", "object_repr")) == [
        ("stock_adjust", "MUG-RED @ DC9"), ("stock_count", "MUG-RED @ DC9"), ("stock_set_safety", "MUG-RED @ DC9")]
    assert AuditEntry.objects.get(verb="transfer_create").changes == {"lines": {"MUG-RED": 3}}
    # An auditor looking for what happened to a SKU finds its adjustments and counts by its code.
    page = role_client("admin").get(reverse("audit_list"), {"q": "mug-red"})
    assert page.status_code == 200
    assert page.content.decode().count("MUG-RED @ DC9") == 3

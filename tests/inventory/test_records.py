"""Create/edit screens for catalogue, location and purchasing records (``inventory.records``)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.errors import CatalogueInvalid
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
from inventory.services import catalogue_object_save
from oms.models import AuditEntry
from tests.inventory.factories import (
    CategoryFactory,
    LocationFactory,
    ProductFactory,
    ReorderRuleFactory,
    SupplierFactory,
    SupplierItemFactory,
    VariantFactory,
)

VARIANT_POST = {"sku": "TEE-RED-M", "name": "T-shirt Red M", "barcode": "7890000000017",
                "attributes": "size=M\ncolour=Red", "weight_grams": "180", "length_mm": "300", "width_mm": "200",
                "height_mm": "20", "cost": "12.50",
                "base_price": "39.90", "currency": "BRL", "tax_class": "standard", "is_active": "on",
                "visible_web": "on", "visible_store": "on"}


def test_brand_and_category_tree_from_the_screens(role_client):
    client = role_client("admin")
    response = client.post(reverse("inventory:brands_create"), {"name": "Acme Wear", "slug": "", "is_active": "on"})
    assert response.status_code == 302
    assert Brand.objects.get().slug == "acme-wear"
    client.post(reverse("inventory:categories_create"), {"name": "Apparel", "slug": ""})
    root = Category.objects.get(name="Apparel")
    client.post(reverse("inventory:categories_create"), {"name": "Shirts", "parent": root.pk, "slug": ""})
    child = Category.objects.get(name="Shirts")
    assert child.path == "Apparel / Shirts"
    response = client.post(reverse("inventory:categories_edit", args=[root.pk]),
                           {"name": "Clothing", "slug": "apparel"})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.path == "Clothing / Shirts"
    response = client.get(reverse("inventory:categories_list"), {"sort": "path"})
    assert b"Clothing / Shirts" in response.content


def test_category_cannot_move_under_its_own_child(role_client):
    client = role_client("admin")
    root = CategoryFactory(name="Root", path="Root")
    child = CategoryFactory(name="Child", parent=root, path="Root / Child")
    root_obj = Category.objects.get(pk=root.pk)
    root_obj.parent = child
    with pytest.raises(CatalogueInvalid) as info:
        catalogue_object_save(obj=root_obj, acting_user=None)
    assert "parent" in info.value.errors
    assert Category.objects.get(pk=root.pk).parent_id is None
    assert client.get(reverse("inventory:categories_edit", args=[root.pk])).status_code == 200


def test_product_and_variant_create_edit_with_audit_of_cost_and_price(role_client):
    client = role_client("admin")
    category = CategoryFactory(name="Shirts", path="Shirts")
    response = client.post(reverse("inventory:products_create"),
                           {"code": "TEE", "name": "T-shirt", "category": category.pk, "is_active": "on"})
    product = Product.objects.get(code="TEE")
    assert response["Location"] == reverse("inventory:product_detail", args=[product.pk])
    response = client.post(reverse("inventory:variants_create") + f"?product={product.pk}", VARIANT_POST)
    assert response.status_code == 302
    variant = Variant.objects.get(sku="TEE-RED-M")
    assert variant.product == product
    assert variant.attributes == {"size": "M", "colour": "Red"}
    assert variant.cost == Decimal("12.50")
    assert variant.visible_marketplace is False
    assert "shirts" in variant.search_text and "tee-red-m" in variant.search_text
    edit = {**VARIANT_POST, "cost": "13.00", "base_price": "44.90"}
    response = client.post(reverse("inventory:variants_edit", args=[variant.pk]), edit)
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(object_type="inventory.variant", action=AuditEntry.Action.UPDATE).get()
    assert entry.changes == {"cost": ["12.5000", "13.0000"], "base_price": ["39.9000", "44.9000"]}
    assert entry.actor == client.user
    # Saving the same values again (typed with fewer decimals) changes nothing and audits nothing.
    client.post(reverse("inventory:variants_edit", args=[variant.pk]), {**edit, "cost": "13"})
    assert AuditEntry.objects.filter(object_type="inventory.variant", action=AuditEntry.Action.UPDATE).count() == 1
    page = client.get(reverse("inventory:product_detail", args=[product.pk]))
    assert reverse("inventory:variants_edit", args=[variant.pk]).encode() in page.content


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"cost": "-1"}, "cost", b"Cost: Cannot be negative."),
    ({"base_price": "abc"}, "base_price", b"Base price: Enter a number."),
    ({"attributes": "size"}, "attributes", b"Line 1: write name=value"),
    ({"tax_class": "luxury"}, "tax_class", b"Select a valid choice"),
    ({"sku": ""}, "sku", b"SKU: This field is required."),
])
def test_variant_bad_input_names_the_field_and_saves_nothing(role_client, change, field, message):
    client = role_client("admin")
    product = ProductFactory()
    response = client.post(reverse("inventory:variants_create") + f"?product={product.pk}",
                           {**VARIANT_POST, **change})
    assert response.status_code == 422
    assert message in response.content, response.content.decode()[:3000]
    assert not Variant.objects.exists()
    assert not AuditEntry.objects.exists()


def test_duplicate_barcode_is_refused_on_the_barcode_field(role_client):
    client = role_client("admin")
    other = VariantFactory(barcode="7890000000017")
    response = client.post(reverse("inventory:variants_create") + f"?product={other.product_id}", VARIANT_POST)
    assert response.status_code == 422
    assert b"Barcode (GTIN): Barcode 7890000000017 is already used by another SKU." in response.content
    assert Variant.objects.count() == 1


def test_a_sku_differing_from_another_only_in_case_is_refused_on_the_sku_field(role_client):
    client = role_client("admin")
    other = VariantFactory(sku="TEE-RED-M", barcode="7890000000024")
    response = client.post(reverse("inventory:variants_create") + f"?product={other.product_id}",
                           {**VARIANT_POST, "sku": "tee-red-m"})
    assert response.status_code == 422
    assert (b"SKU: SKU TEE-RED-M already exists; SKUs that differ only in upper and lower case are the same SKU."
            in response.content)
    assert Variant.objects.count() == 1


def test_missing_or_unknown_parent_is_404(role_client):
    client = role_client("admin")
    assert client.get(reverse("inventory:variants_create")).status_code == 404
    assert client.get(reverse("inventory:variants_create") + "?product=abc").status_code == 404
    assert client.get(reverse("inventory:variants_create") + "?product=999999").status_code == 404


def test_kit_components_from_the_product_page(role_client, location, stock):
    client = role_client("admin")
    kit = VariantFactory(is_kit=True)
    part = VariantFactory()
    url = reverse("inventory:kit_components_create") + f"?kit={kit.pk}"
    response = client.post(url, {"component": part.sku, "quantity": "2"})
    assert response.status_code == 302
    component = KitComponent.objects.get()
    assert (component.kit, component.component, component.quantity) == (kit, part, 2)
    # A kit inside a kit, the kit itself, an unknown SKU and a zero quantity are refused.
    other_kit = VariantFactory(is_kit=True)
    for data, message in [({"component": other_kit.sku, "quantity": "1"}, b"A kit cannot be a component"),
                          ({"component": kit.sku, "quantity": "1"}, b"A kit cannot be a component"),
                          ({"component": "NOPE", "quantity": "1"}, b"Unknown SKU or barcode: NOPE"),
                          ({"component": part.sku, "quantity": "0"}, b"Quantity: Must be at least 1.")]:
        response = client.post(url, data)
        assert response.status_code == 422
        assert message in response.content, response.content.decode()[-2500:]
    assert KitComponent.objects.count() == 1
    page = client.get(reverse("inventory:product_detail", args=[kit.product_id]))
    assert b'<td class="num">2</td>' in page.content
    # Un-marking a kit that has components, or marking a stocked SKU as a kit, is refused.
    stock(part, location, 3)
    part_obj = Variant.objects.get(pk=part.pk)
    part_obj.is_kit = True
    with pytest.raises(CatalogueInvalid) as info:
        catalogue_object_save(obj=part_obj, acting_user=None)
    assert list(info.value.errors) == ["is_kit"]
    response = client.post(reverse("inventory:kit_components_delete", args=[component.pk]))
    assert response.status_code == 302
    assert not KitComponent.objects.exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DELETE, object_type="inventory.kitcomponent").count() == 1


def test_personalization_fields(role_client):
    client = role_client("admin")
    product = ProductFactory()
    url = reverse("inventory:personalization_fields_create") + f"?product={product.pk}"
    data = {"code": "engraving", "label": "Engraving", "kind": "text", "max_length": "20", "required": "on",
            "extra_price": "15.00", "position": "0"}
    assert client.post(url, data).status_code == 302
    response = client.post(url, data)
    assert response.status_code == 422
    assert b"already exists" in response.content
    response = client.post(url, {**data, "code": "gift", "max_length": "0"})
    assert response.status_code == 422
    assert PersonalizationField.objects.count() == 1
    field = PersonalizationField.objects.get()
    assert (field.max_length, field.required, field.extra_price) == (20, True, Decimal("15.00"))


def test_location_create_with_all_fields_and_bad_coordinates(role_client):
    client = role_client("admin")
    data = {"code": "SP01", "name": "Loja Paulista", "kind": "store", "address_line1": "Av. Paulista 1000",
            "city": "São Paulo", "state": "sp", "postal_code": "01310-100", "country": "br",
            "latitude": "-23.564700", "longitude": "-46.652300", "can_ship": "on", "can_pickup": "on",
            "handling_days": "2", "cutoff_time": "14:30", "is_active": "on"}
    response = client.post(reverse("inventory:locations_create"), {**data, "latitude": "-123"})
    assert response.status_code == 422
    assert b"Latitude must be between -90 and 90." in response.content
    assert not Location.objects.exists()
    response = client.post(reverse("inventory:locations_create"), data)
    assert response.status_code == 302
    location = Location.objects.get()
    assert (location.state, location.country, location.can_pickup, location.handling_days) == ("SP", "BR", True, 2)
    assert location.cutoff_time.strftime("%H:%M") == "14:30"
    assert location.latitude == Decimal("-23.564700")
    response = client.get(reverse("inventory:locations_edit", args=[location.pk]))
    assert b'value="14:30"' in response.content


@pytest.mark.parametrize("days", ["61", "1000", "2147483647"])
def test_a_location_handling_days_beyond_any_real_one_are_refused(role_client, days):
    """Handling days typed wrong (1000 for 10, or the largest number the box takes) promised orders years ahead, and
    past the calendar's last day every sourcing decision (order placement, the sourcing simulation) failed with a
    server error."""
    from orders.fulfilment.calendar import ship_date
    from tests.inventory.factories import LocationFactory

    client = role_client("admin")
    location = LocationFactory(code="DC-1", handling_days=1)
    data = {"code": "DC-1", "name": "CD", "kind": "dc", "country": "BR", "can_ship": "on", "handling_days": days,
            "is_active": "on"}
    response = client.post(reverse("inventory:locations_edit", args=[location.pk]), data)
    assert response.status_code == 422
    assert b"A location hands a parcel over within at most 60 working days." in response.content
    location.refresh_from_db()
    assert location.handling_days == 1
    assert client.post(reverse("inventory:locations_edit", args=[location.pk]),
                       {**data, "handling_days": "60"}).status_code == 302
    ship_date(now=timezone.now(), cutoff=None, handling_days=Location.objects.get(pk=location.pk).handling_days)


def test_a_supplier_lead_time_beyond_a_year_is_refused(role_client):
    """A lead time typed wrong (the largest number the box takes) made the forecast count that many days ahead:
    the reorder points page failed with a server error for every rule of that supplier."""
    client = role_client("manager")
    data = {"code": "ACME", "name": "Acme", "currency": "BRL", "lead_time_days": "2147483647", "is_active": "on"}
    response = client.post(reverse("inventory:suppliers_create"), data)
    assert response.status_code == 422
    assert b"A supplier delivers within at most 365 days." in response.content
    assert not Supplier.objects.exists()
    assert client.post(reverse("inventory:suppliers_create"), {**data, "lead_time_days": "365"}).status_code == 302
    url = reverse("inventory:supplier_items_create") + f"?supplier={Supplier.objects.get().pk}"
    response = client.post(url, {"variant": VariantFactory().sku, "cost": "8", "min_order_quantity": "1",
                                 "lead_time_days": "366"})
    assert response.status_code == 422
    assert b"A supplier delivers within at most 365 days." in response.content
    assert not SupplierItem.objects.exists()


def test_supplier_items_and_reorder_rules_need_purchasing(role_client):
    warehouse = role_client("warehouse")
    assert warehouse.get(reverse("inventory:suppliers_create")).status_code == 403
    client = role_client("manager")
    response = client.post(reverse("inventory:suppliers_create"),
                           {"code": "ACME", "name": "Acme", "currency": "BRL", "lead_time_days": "5",
                            "is_active": "on", "email": "not-an-email"})
    assert response.status_code == 422
    assert b"Enter a valid email address." in response.content
    assert not Supplier.objects.exists()
    supplier = SupplierFactory()
    variant = VariantFactory()
    url = reverse("inventory:supplier_items_create") + f"?supplier={supplier.pk}"
    response = client.post(url, {"variant": variant.barcode, "supplier_sku": "AC-1", "cost": "8.10",
                                 "min_order_quantity": "12"})
    assert response.status_code == 302
    item = SupplierItem.objects.get()
    assert (item.variant, item.min_order_quantity) == (variant, 12)
    response = client.post(url, {"variant": variant.sku, "cost": "8", "min_order_quantity": "1"})
    assert response.status_code == 422
    assert SupplierItem.objects.count() == 1
    location = LocationFactory()
    rule_url = reverse("inventory:reorder_rules_create")
    response = client.post(rule_url, {"variant": variant.sku, "location": location.pk, "reorder_point": "10",
                                      "order_up_to": "5", "is_active": "on"})
    assert response.status_code == 422
    assert b"Order up to: Must be above the reorder point (10)." in response.content
    assert not ReorderRule.objects.exists()
    response = client.post(rule_url, {"variant": variant.sku, "location": location.pk, "reorder_point": "10",
                                      "order_up_to": "40", "preferred_supplier": supplier.pk, "is_active": "on"})
    assert response.status_code == 302
    assert ReorderRule.objects.get().order_up_to == 40
    page = client.get(reverse("inventory:reorder_rules"))
    assert reverse("inventory:reorder_rules_edit", args=[ReorderRule.objects.get().pk]).encode() in page.content


def test_catalogue_screens_refused_without_manage_catalogue(role_client):
    client = role_client("warehouse")
    product = ProductFactory()
    assert client.get(reverse("inventory:products_edit", args=[product.pk])).status_code == 403
    assert client.post(reverse("inventory:products_edit", args=[product.pk]),
                       {"code": "X", "name": "Y"}).status_code == 403
    assert Product.objects.get().code == product.code


def test_safety_stock_from_the_location_page(role_client, variant, location, stock):
    client = role_client("warehouse")
    stock(variant, location, 10)
    page = client.get(reverse("inventory:location_detail", args=[location.pk]))
    assert reverse("inventory:safety_stock").encode() in page.content
    url = reverse("inventory:safety_stock")
    form = client.get(url, {"sku": variant.sku, "location": location.pk})
    assert b'value="0"' in form.content
    back = reverse("inventory:location_detail", args=[location.pk])
    response = client.post(url, {"sku": variant.sku, "location": location.pk, "safety_stock": "3", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert StockLevel.objects.get().safety_stock == 3
    response = client.post(url, {"sku": variant.sku, "location": location.pk, "safety_stock": "-1"})
    assert response.status_code == 422
    response = client.post(url, {"sku": variant.sku, "location": location.pk, "safety_stock": "2",
                                 "next": "https://evil.example/"})
    assert response["Location"] == url
    assert AuditEntry.objects.filter(verb="stock_set_safety").count() == 2


def test_reorder_rule_delete_is_audited(role_client):
    client = role_client("manager")
    rule = ReorderRuleFactory()
    response = client.post(reverse("inventory:reorder_rules_delete", args=[rule.pk]))
    assert response.status_code == 302
    assert not ReorderRule.objects.exists()
    assert AuditEntry.objects.get(action=AuditEntry.Action.DELETE).object_type == "inventory.reorderrule"


@pytest.mark.parametrize("n", [2, 15])
def test_category_list_query_count_does_not_grow(role_client, django_assert_max_num_queries, n):
    client = role_client("admin")
    root = CategoryFactory(name="Root", path="Root")
    for i in range(n):
        CategoryFactory(name=f"Sub {i}", parent=root, path=f"Root / Sub {i}")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("inventory:categories_list"), {"sort": "-products"}, HTTP_HX_REQUEST="true")
    assert response.content.count(b"/edit/") == n + 1
    assert b"<html" not in response.content


def test_record_pages_name_kit_components_supplier_items_and_rules_by_their_codes(role_client):
    """Their pages and messages named them by row ids ("Edit reorder rule: 8@7 5->20", "4 <- 1 x 1 deleted.")."""
    client = role_client("admin")
    kit, part = VariantFactory(sku="BOX-GIFT", is_kit=True), VariantFactory(sku="MUG-WHT")
    component = KitComponent.objects.create(kit=kit, component=part, quantity=2)
    rule = ReorderRuleFactory(variant=part, location=LocationFactory(code="DC1"))
    item = SupplierItemFactory(supplier=SupplierFactory(code="ACME"), variant=part)
    page = client.get(reverse("inventory:reorder_rules_edit", args=[rule.pk])).content.decode()
    assert "MUG-WHT @ DC1" in page
    for name, obj, shown in [("kit_components", component, "BOX-GIFT: 2 × MUG-WHT"),
                             ("supplier_items", item, "ACME: MUG-WHT"), ("reorder_rules", rule, "MUG-WHT @ DC1")]:
        response = client.post(reverse(f"inventory:{name}_delete", args=[obj.pk]), follow=True)
        assert [str(m) for m in response.context["messages"]] == [f"{shown} deleted."]
    assert list(AuditEntry.objects.filter(action=AuditEntry.Action.DELETE).order_by("pk").values_list(
        "object_repr", flat=True)) == ["BOX-GIFT: 2 × MUG-WHT", "ACME: MUG-WHT", "MUG-WHT @ DC1"]

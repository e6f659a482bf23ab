from inventory.selectors import availability, on_order, variant_search
from inventory.services import StockLine, po_create, stock_reserve, stock_set_safety
from tests.inventory.factories import (
    BrandFactory,
    KitComponentFactory,
    LocationFactory,
    ProductFactory,
    SupplierFactory,
    VariantFactory,
)


def test_availability_subtracts_reserved_and_safety(variant, stock):
    a, b = LocationFactory(), LocationFactory()
    inactive = LocationFactory(is_active=False)
    stock(variant, a, 10)
    stock(variant, b, 2)
    stock(variant, inactive, 5)
    stock_reserve(lines=[StockLine(variant.pk, a.pk, 3)], reference="o", acting_user=None)
    stock_set_safety(variant_id=variant.pk, location_id=a.pk, safety_stock=2, acting_user=None)
    other = VariantFactory()
    assert availability(variant_ids=[variant.pk, other.pk]) == {variant.pk: {a.pk: 5, b.pk: 2}, other.pk: {}}
    assert availability(variant_ids=[variant.pk], location_ids=[b.pk, inactive.pk]) == {
        variant.pk: {b.pk: 2, inactive.pk: 5}}


def test_kit_availability_from_components(stock):
    a, b = LocationFactory(), LocationFactory()
    kit = VariantFactory(is_kit=True)
    shirt, cap = VariantFactory(), VariantFactory()
    KitComponentFactory(kit=kit, component=shirt, quantity=2)
    KitComponentFactory(kit=kit, component=cap, quantity=1)
    stock(shirt, a, 7)
    stock(cap, a, 2)
    stock(shirt, b, 4)
    assert availability(variant_ids=[kit.pk]) == {kit.pk: {a.pk: 2, b.pk: 0}}


def test_variant_search_by_sku_barcode_name_brand(db):
    brand = BrandFactory(name="Lumière", slug="lumiere")
    product = ProductFactory(name="Camiseta Básica", brand=brand)
    tee = VariantFactory(product=product, sku="TEE-BLU-M", barcode="7890000000017",
                         search_text="tee-blu-m 7890000000017 camiseta básica azul m lumière")
    VariantFactory(sku="MUG-001", search_text="mug-001 caneca")
    assert variant_search(query="tee-blu") == [tee]
    assert variant_search(query="7890000000017") == [tee]
    assert variant_search(query="CAMISETA azul") == [tee]
    assert variant_search(query="lumière") == [tee]
    assert variant_search(query="nothing-like-this") == []
    assert variant_search(query="  ") == []


def test_on_order_counts_open_purchase_orders(variant, location):
    supplier = SupplierFactory()
    po_create(supplier_id=supplier.pk, location_id=location.pk, lines=[(variant.pk, 6, None)], acting_user=None)
    assert on_order(keys=[(variant.pk, location.pk)]) == {(variant.pk, location.pk): 6}


def test_variant_by_sku_matches_in_any_case_and_prefers_the_exact_spelling(db):
    from inventory.selectors import variant_by_sku

    upper = VariantFactory(sku="CAP-RED")
    assert variant_by_sku(" cap-red ") == upper
    assert variant_by_sku("CAP-BLUE") is None
    assert variant_by_sku("") is None
    lower = VariantFactory(sku="cap-red")  # older data may hold both spellings
    assert (variant_by_sku("cap-red"), variant_by_sku("CAP-RED"), variant_by_sku("Cap-Red")) == (lower, upper, upper)

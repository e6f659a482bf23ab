"""An import file with only some of the columns changes only those columns: a cost update of ``sku,
product_code, cost`` used to reset every SKU's price to 0, clear barcodes, sizes and colours, take brand and
category off the style, and switch discontinued SKUs back on. And a yes/no cell that is neither is refused,
where "inativo" or "maybe" used to mean yes."""

from decimal import Decimal

import pytest

from inventory.imports import KINDS, apply, read_rows, validate
from inventory.models import ReorderRule, Supplier, SupplierItem, Variant
from tests.inventory.factories import (
    LocationFactory,
    ReorderRuleFactory,
    SupplierFactory,
    SupplierItemFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


def _import(kind: str, text: str) -> None:
    checked = validate(KINDS[kind], read_rows(text.encode(), "f.csv"))
    assert checked.errors == []
    apply(KINDS[kind], checked.rows, acting_user=None, reference="test")


def test_a_cost_only_file_keeps_prices_barcodes_attributes_brand_and_status():
    variant = VariantFactory(sku="TEE-1", barcode="7890000000017", base_price="25.00", currency="USD",
                             weight_grams=300, attributes={"size": "M", "colour": "Azul", "fit": "slim"},
                             is_active=False, name="Tee blue M", tax_class="reduced")
    product = variant.product
    _import("products", f"sku,product_code,cost\nTEE-1,{product.code},11.50\nTEE-2,{product.code},9\n")
    variant.refresh_from_db()
    product.refresh_from_db()
    assert variant.cost == Decimal("11.50")
    assert (variant.base_price, variant.currency, variant.barcode, variant.weight_grams, variant.tax_class) == (
        Decimal("25.00"), "USD", "7890000000017", 300, "reduced")
    assert variant.attributes == {"size": "M", "colour": "Azul", "fit": "slim"}
    assert (variant.name, variant.is_active) == ("Tee blue M", False)
    assert product.brand_id is not None and product.category_id is not None
    new = Variant.objects.get(sku="TEE-2")  # a new SKU gets the defaults
    assert (new.cost, new.base_price, new.currency, new.barcode, new.is_active) == (
        Decimal("9"), Decimal("0"), "BRL", "", True)
    assert new.product_id == product.pk and new.name == product.name


def test_columns_present_in_the_file_are_written_even_when_empty():
    variant = VariantFactory(sku="TEE-1", attributes={"size": "M", "colour": "Azul"}, is_active=False)
    code = variant.product.code
    _import("products", f"sku,product_code,size,is_active,brand\nTEE-1,{code},G,1,\n")
    variant.refresh_from_db()
    assert variant.attributes == {"size": "G", "colour": "Azul"}
    assert variant.is_active is True
    variant.product.refresh_from_db()
    assert variant.product.brand_id is None


@pytest.mark.parametrize("word,active", [("0", False), ("não", False), ("Inativo", False), ("falso", False),
                                         ("no", False), ("sim", True), ("Yes", True), ("ativo", True), ("", True)])
def test_yes_no_cells_in_english_and_portuguese(word, active):
    checked = validate(KINDS["products"], [{"sku": "A-1", "product_code": "A", "is_active": word}])
    assert checked.errors == []
    assert checked.rows[0]["is_active"] is active


@pytest.mark.parametrize("word", ["maybe", "2", "-1", "talvez"])
def test_a_yes_no_cell_that_is_neither_is_refused(word):
    checked = validate(KINDS["products"], [{"sku": "A-1", "product_code": "A", "is_active": word}])
    assert checked.errors == [(2, f"is_active: {word} is neither yes nor no (write 1 or 0).")]


def test_supplier_and_supplier_item_files_without_optional_columns_keep_those_values():
    supplier = SupplierFactory(code="ACME", email="sales@acme.example", phone="+55 11 5555-0000",
                               contact_name="Rita", lead_time_days=12)
    item = SupplierItemFactory(supplier=supplier, supplier_sku="AC-77", min_order_quantity=6, lead_time_days=4)
    _import("suppliers", "code,name\nACME,Acme Têxtil\nNEWCO,New Co\n")
    supplier.refresh_from_db()
    assert (supplier.name, supplier.email, supplier.phone, supplier.contact_name, supplier.lead_time_days) == (
        "Acme Têxtil", "sales@acme.example", "+55 11 5555-0000", "Rita", 12)
    assert Supplier.objects.get(code="NEWCO").lead_time_days == 7
    _import("supplier_items", f"supplier,sku,cost\nACME,{item.variant.sku},7.25\n")
    item = SupplierItem.objects.get(pk=item.pk)
    assert (item.cost, item.supplier_sku, item.min_order_quantity, item.lead_time_days) == (
        Decimal("7.25"), "AC-77", 6, 4)


def test_a_reorder_rule_file_without_the_supplier_column_keeps_the_preferred_supplier():
    supplier = SupplierFactory()
    rule = ReorderRuleFactory(variant=VariantFactory(), location=LocationFactory(), reorder_point=2,
                              order_up_to=10, preferred_supplier=supplier)
    _import("reorder_rules", f"sku,location,reorder_point,order_up_to\n{rule.variant.sku},{rule.location.code},3,12\n")
    rule = ReorderRule.objects.get(pk=rule.pk)
    assert (rule.reorder_point, rule.order_up_to, rule.preferred_supplier_id) == (3, 12, supplier.pk)


def test_a_lead_time_beyond_a_year_is_refused_in_supplier_files():
    """The forms refuse it (the forecast would count past the calendar): so do the files."""
    item = SupplierItemFactory(supplier=SupplierFactory(code="ACME"))
    checked = validate(KINDS["suppliers"], [{"code": "ACME", "name": "Acme", "lead_time_days": "2147483647"}])
    assert checked.errors == [(2, "lead_time_days: 2147483647 is above the largest allowed value, 365.")]
    checked = validate(KINDS["supplier_items"], [{"supplier": "ACME", "sku": item.variant.sku, "cost": "1",
                                                  "lead_time_days": "366"}])
    assert checked.errors == [(2, "lead_time_days: 366 is above the largest allowed value, 365.")]
    _import("suppliers", "code,name,lead_time_days\nACME,Acme,365\n")
    assert Supplier.objects.get(code="ACME").lead_time_days == 365

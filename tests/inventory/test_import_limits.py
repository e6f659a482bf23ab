"""Import validation bounds every cell by the database column it is written to, so a bad file is refused
row by row in the preview instead of failing (500) when applied."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.imports import KINDS, validate
from inventory.models import ImportJob, Product, StockLevel, StockMovement, Variant
from tests.inventory.factories import LocationFactory, SupplierFactory, VariantFactory

INT_MAX = 2147483647
PRODUCT = {"sku": "LIM-1", "name": "Limit one", "product_code": "STYLIM", "product_name": "Limit", "brand": "Acme",
           "category": "Shoes", "barcode": "7890000000017", "weight_grams": "500", "cost": "10.00",
           "base_price": "25.90", "currency": "BRL", "tax_class": "standard", "is_active": "1"}


def _products(**changes):
    return validate(KINDS["products"], [dict(PRODUCT, **changes)])


@pytest.fixture
def stock_world(db):
    return VariantFactory(sku="LIM-S"), LocationFactory(code="LIMLOC")


def _stock(mode="set", **changes):
    column = "quantity" if mode == "add" else "on_hand"
    row = {"sku": "LIM-S", "location": "LIMLOC", column: "5", "safety_stock": "1", **changes}
    return validate(KINDS["stock"], [row], mode=mode)


# --- integer columns ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_stock_integers_up_to_the_integer_column_limit_are_accepted(stock_world):
    checked = _stock(on_hand=str(INT_MAX), safety_stock=str(INT_MAX))
    assert checked.errors == []
    assert (checked.rows[0]["quantity"], checked.rows[0]["safety_stock"]) == (INT_MAX, INT_MAX)


@pytest.mark.django_db
@pytest.mark.parametrize("column,value", [("on_hand", "2147483648"), ("safety_stock", "99999999999999999999")])
def test_stock_integers_above_the_column_limit_are_refused_naming_column_and_limit(stock_world, column, value):
    shown = value if len(value) <= 40 else value[:40] + "…"
    assert _stock(**{column: value}).errors == [
        (2, f"{column}: {shown} is above the largest allowed value, {INT_MAX}.")]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "sNaN", "inf"])
def test_non_finite_integers_are_not_whole_numbers(stock_world, value):
    assert _stock(on_hand=value).errors == [(2, f"on_hand: {value} is not a whole number.")]


@pytest.mark.django_db
def test_receipt_quantity_is_bounded_by_the_ledger_column(stock_world):
    assert _stock(mode="add", quantity="2147483648").errors == [
        (2, f"quantity: 2147483648 is above the largest allowed value, {INT_MAX}.")]


@pytest.mark.django_db
def test_product_weight_and_reorder_and_supplier_integers_are_bounded():
    assert _products(weight_grams="99999999999").errors == [
        (2, f"weight_grams: 99999999999 is above the largest allowed value, {INT_MAX}.")]
    variant, location = VariantFactory(sku="LIM-R"), LocationFactory(code="LIMR")
    rule = {"sku": variant.sku, "location": location.code, "reorder_point": "1", "order_up_to": "2147483648"}
    assert validate(KINDS["reorder_rules"], [rule]).errors == [
        (2, f"order_up_to: 2147483648 is above the largest allowed value, {INT_MAX}.")]
    supplier = SupplierFactory(code="SUPLIM")
    item = {"supplier": supplier.code, "sku": variant.sku, "cost": "1", "min_order_quantity": "2147483648"}
    assert validate(KINDS["supplier_items"], [item]).errors == [
        (2, f"min_order_quantity: 2147483648 is above the largest allowed value, {INT_MAX}.")]


# --- money columns (18 digits, 4 decimals) ---------------------------------------------------------

@pytest.mark.django_db
def test_money_up_to_fourteen_whole_digits_is_accepted_and_extra_decimals_are_left_to_the_column():
    checked = _products(cost="99999999999999.9999", base_price="1.23456")
    assert checked.errors == []
    assert (checked.rows[0]["cost"], checked.rows[0]["base_price"]) == (Decimal("99999999999999.9999"),
                                                                         Decimal("1.23456"))


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["100000000000000", "99999999999999.99995"])
def test_money_beyond_the_column_is_refused_naming_column_and_limit(value):
    assert _products(cost=value).errors == [
        (2, f"cost: {value} is too large; at most 14 digits before the decimal point.")]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-inf"])
def test_non_finite_money_is_not_a_number(value):
    assert _products(base_price=value).errors == [(2, f"base_price: {value} is not a number.")]


@pytest.mark.django_db
def test_supplier_item_cost_is_bounded():
    variant, supplier = VariantFactory(sku="LIM-C"), SupplierFactory(code="SUPC")
    item = {"supplier": supplier.code, "sku": variant.sku, "cost": "1000000000000000"}
    assert validate(KINDS["supplier_items"], [item]).errors == [
        (2, "cost: 1000000000000000 is too large; at most 14 digits before the decimal point.")]


# --- text lengths (read from the model fields) ---------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("column,model,field", [
    ("sku", Variant, "sku"), ("name", Variant, "name"), ("product_code", Product, "code"),
    ("product_name", Product, "name"), ("brand", None, None), ("barcode", Variant, "barcode"),
])
def test_product_text_at_the_model_max_length_passes_and_one_more_is_refused(column, model, field):
    limit = model._meta.get_field(field).max_length if model else 120  # Brand.name
    assert _products(**{column: "7" * limit}).errors == []
    assert _products(**{column: "7" * (limit + 1)}).errors == [
        (2, f"{column} is longer than {limit} characters.")]


@pytest.mark.django_db
def test_supplier_text_lengths_are_checked():
    row = {"code": "S" * 31, "name": "N" * 201, "phone": "1" * 41}
    assert validate(KINDS["suppliers"], [row]).errors == [
        (2, "code is longer than 30 characters."), (2, "name is longer than 200 characters."),
        (2, "phone is longer than 40 characters.")]


# --- control characters ----------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("value,code", [("1\x002", "0000"), ("a\x07b", "0007"), ("a\nb", "000A"), ("\x7f", "007F")])
def test_cells_with_control_characters_are_refused(value, code):
    assert _products(name=value).errors == [
        (2, f"name contains a control character (U+{code}); remove it.")]


@pytest.mark.django_db
def test_a_tab_inside_a_cell_is_allowed():
    checked = _products(name="Blue\tshoe")
    assert checked.errors == []
    assert checked.rows[0]["name"] == "Blue\tshoe"


@pytest.mark.django_db
def test_nul_in_an_uploaded_file_gives_an_invalid_job_and_writes_nothing(role_client, stock_world):
    client = role_client("warehouse")
    response = client.post(reverse("inventory:import_stock"),
                           {"file": SimpleUploadedFile("s\x00.csv", b"sku,location,on_hand\nLIM-S,LIMLOC,1\x002\n")})
    assert response.status_code == 302
    job = ImportJob.objects.latest("id")
    assert job.status == ImportJob.Status.INVALID
    assert job.errors == [[2, "on_hand contains a control character (U+0000); remove it."]]
    assert "\x00" not in job.filename
    assert client.get(reverse("inventory:import_job", args=[job.pk])).status_code == 200
    assert StockLevel.objects.count() == 0
    assert StockMovement.objects.count() == 0


@pytest.mark.django_db
def test_one_bad_row_applies_nothing(role_client, stock_world):
    client = role_client("warehouse")
    LocationFactory(code="LIMTWO")
    data = b"sku,location,on_hand\nLIM-S,LIMLOC,3\nLIM-S,LIMTWO,2147483648\n"
    client.post(reverse("inventory:import_stock"), {"file": SimpleUploadedFile("s.csv", data)})
    job = ImportJob.objects.latest("id")
    assert job.status == ImportJob.Status.INVALID
    assert job.errors == [[3, f"on_hand: 2147483648 is above the largest allowed value, {INT_MAX}."]]
    assert StockLevel.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["1.000", "2,500", "1.250.000"])
def test_whole_numbers_with_a_thousands_separator_are_refused_not_guessed(stock_world, value):
    """A count of "1.000" (a thousand, in Portuguese) was stored as 1 unit on hand."""
    assert _stock(on_hand=value).errors == [
        (2, f"on_hand: {value} could be read two ways; write whole numbers without a thousands separator (1000, "
            "not 1.000).")]


@pytest.mark.django_db
@pytest.mark.parametrize("value,expected", [("1000", 1000), ("12.0", 12), ("12.00", 12)])
def test_plain_whole_numbers_and_spreadsheet_floats_are_read(stock_world, value, expected):
    checked = _stock(on_hand=value)
    assert checked.errors == []
    assert checked.rows[0]["quantity"] == expected

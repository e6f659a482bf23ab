"""Amounts are read one way wherever they are typed or sent: "1.000,00", "1,000.00", "1000" and "12,5" read, while
what only Python reads as a number ("1e3" is a thousand to ``Decimal``, "Infinity", "NaN") is refused naming the
field and the value (``oms.numbers.plain_number``)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.channels.conftest import api, shop  # noqa: F401 - the channel API's fixtures

NOT_PLAIN = "is not a plain number: write it with digits (1000, not 1e3)."


@pytest.mark.parametrize("price", ["1e3", "1E3", "12,5e1", "1_000"])
def test_a_unit_price_override_in_exponent_notation_is_refused(role_client, make_draft, price):
    """"1e3" typed as a line's price override was a price of 1000."""
    client = role_client("agent")
    draft = make_draft(client.user)
    line = draft.lines.get()
    response = client.post(reverse("orders:phone_update_line", args=[draft.pk, line.pk]),
                           {"quantity": "1", "override_unit_price": price, "override_reason": "match"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert f"Price override “{price}” {NOT_PLAIN}" in response.content.decode()
    line.refresh_from_db()
    assert line.override_unit_price is None


@pytest.mark.parametrize("price, expected", [("1.000,00", "1000"), ("1,000.00", "1000"), ("1000", "1000"),
                                             ("12,5", "12.5")])
def test_a_unit_price_override_written_plainly_still_reads(role_client, make_draft, price, expected):
    client = role_client("agent")
    draft = make_draft(client.user)
    line = draft.lines.get()
    client.post(reverse("orders:phone_update_line", args=[draft.pk, line.pk]),
                {"quantity": "1", "override_unit_price": price, "override_reason": "match"}, HTTP_HX_REQUEST="true")
    line.refresh_from_db()
    assert line.override_unit_price == Decimal(expected)


def test_a_gift_card_value_in_exponent_notation_is_refused(db):
    from orders.errors import OrderError
    from orders.giftcards import parse_amount

    with pytest.raises(OrderError) as refused:
        parse_amount("1e2")
    assert (refused.value.message, refused.value.field) == (f"The gift card value “1e2” {NOT_PLAIN}",
                                                            "personalization_amount")
    assert parse_amount("1.000,00") == parse_amount("1,000.00") == Decimal(1000)
    assert parse_amount("12,5") == Decimal("12.5") and parse_amount("") is None


@pytest.mark.django_db
@pytest.mark.parametrize("column, value", [("cost", "1e3"), ("base_price", "2E-1"), ("weight_grams", "1e3"),
                                            ("cost", "1e30")])
def test_inventory_import_cells_in_exponent_notation_are_refused(column, value):
    """A product file's cost "1e3" was a cost of 1000, and a weight "1e3" 1000 grams."""
    from tests.inventory.test_import_limits import _products

    assert _products(**{column: value}).errors == [(2, f"{column} “{value}” {NOT_PLAIN}")]


def test_an_xlsx_number_python_writes_with_an_exponent_is_still_read():
    import io

    from openpyxl import Workbook

    from inventory.imports import read_rows

    book = Workbook()
    book.active.append(["sku", "cost"])
    book.active.append(["A", 0.00001])
    data = io.BytesIO()
    book.save(data)
    assert read_rows(data.getvalue(), "costs.xlsx") == [{"sku": "A", "cost": "0.00001"}]


@pytest.mark.parametrize("field, value", [("unit_price", "1e3"), ("unit_price", "9e-1"), ("total", "1E3")])
def test_the_api_refuses_amounts_in_exponent_notation_naming_field_and_value(api, field, value):  # noqa: F811
    from orders.models import Order
    from tests.channels.conftest import order_payload

    payload = order_payload()
    if field == "unit_price":
        payload["lines"][0]["unit_price"] = value
        where = "lines.0.unit_price"
    else:
        payload[field] = value
        where = field
    response = api.post("/orders", payload)
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "field": where, "message": f"{where} “{value}” {NOT_PLAIN}"}
    assert not Order.objects.exists()


def test_decimal_boxes_of_record_and_marketing_forms_refuse_exponent_notation(db):
    from inventory.forms import VariantForm
    from marketing.forms import PriceListItemForm, TaxRateForm

    form = VariantForm(data={"cost": "1e3", "base_price": "25.90"})
    assert not form.is_valid()
    assert form.errors["cost"] == [f"Cost “1e3” {NOT_PLAIN}"]
    assert "base_price" not in form.errors
    form = PriceListItemForm(data={"sku": "X", "min_quantity": "1", "unit_price": "1e3"})
    assert not form.is_valid() and form.errors["unit_price"] == [f"Unit price “1e3” {NOT_PLAIN}"]
    form = TaxRateForm(data={"name": "ICMS", "region": "SP", "tax_class": "standard", "rate": "1.8e1"})
    assert not form.is_valid() and form.errors["rate"] == [f"Rate (%) “1.8e1” {NOT_PLAIN}"]

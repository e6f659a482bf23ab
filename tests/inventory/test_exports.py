"""Inventory exports: text starting with a formula character is written as plain text (CSV injection)."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from inventory.resources import SupplierResource
from tests.inventory.factories import SupplierFactory, VariantFactory


def _csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_products_csv_export_prefixes_formula_text_with_an_apostrophe(role_client, name):
    VariantFactory(sku="EXP-1", name=name)
    response = role_client("admin").get(reverse("inventory:export_products"), {"format": "csv"})
    assert response.status_code == 200
    assert [row[1] for row in _csv_rows(response)[1:]] == ["'" + name]


@pytest.mark.django_db
def test_products_xlsx_export_leaves_plain_text_and_numbers_alone(role_client):
    VariantFactory(sku="EXP-2", name="Blue shoe", weight_grams=500)
    response = role_client("admin").get(reverse("inventory:export_products"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    [row] = list(sheet.iter_rows(min_row=2, values_only=True))
    assert (row[0], row[1], row[9]) == ("EXP-2", "Blue shoe", 500)


@pytest.mark.django_db
def test_suppliers_export_and_admin_resource_neutralize_formulas(role_client):
    SupplierFactory(code="SUP-F", name="=HYPERLINK(\"http://evil.example/\")", phone="+55 11 5555")
    response = role_client("admin").get(reverse("inventory:export_suppliers"), {"format": "csv"})
    [row] = _csv_rows(response)[1:]
    assert row[1] == "'=HYPERLINK(\"http://evil.example/\")"
    assert row[3] == "'+55 11 5555"
    dataset = SupplierResource().export()
    assert dataset.dict[0]["name"] == "'=HYPERLINK(\"http://evil.example/\")"
    assert dataset.dict[0]["code"] == "SUP-F"

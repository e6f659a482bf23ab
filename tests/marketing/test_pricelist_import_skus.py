"""Price list imports match SKUs as the single-price form does: in any case."""

import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from marketing.models import PriceListItem
from tests.marketing.factories import PriceListFactory, PriceListItemFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _preview(client, price_list, text: str):
    upload = io.BytesIO(text.encode())
    upload.name = "prices.csv"
    return client.post(reverse("marketing:pricelist_import", args=[price_list.pk]), {"file": upload})


def test_a_sku_written_in_another_case_is_that_sku_as_in_the_price_form(role_client):
    client = role_client("manager")
    price_list = PriceListFactory()
    tee = VariantFactory(sku="TEE-Blue-M")
    PriceListItemFactory(price_list=price_list, variant=tee, min_quantity=1, unit_price=D("10"))
    # The single-price form takes the SKU in any case...
    form = client.post(reverse("marketing:pricelist_items", args=[price_list.pk]),
                       {"sku": "tee-blue-m", "min_quantity": "5", "unit_price": "9"})
    assert form.status_code == 302
    # ... and so does the import: it updates the SKU's tier instead of refusing "No SKU tee-blue-m."
    preview = _preview(client, price_list, "sku,min_quantity,unit_price\ntee-blue-m,1,12\nTEE-BLUE-M,10,8\n")
    report = preview.context["report"]
    assert report.problems == []
    assert (report.new, report.updated) == (1, 1)
    client.post(reverse("marketing:pricelist_import", args=[price_list.pk]),
                {"payload": preview.context["payload"], "filename": "prices.csv"})
    assert sorted(PriceListItem.objects.values_list("variant__sku", "min_quantity", "unit_price")) == [
        ("TEE-Blue-M", 1, D("12.0000")), ("TEE-Blue-M", 5, D("9.0000")), ("TEE-Blue-M", 10, D("8.0000"))]


def test_one_sku_in_two_cases_for_the_same_quantity_is_a_duplicate_row(role_client):
    client = role_client("manager")
    price_list = PriceListFactory()
    VariantFactory(sku="MUG-1")
    preview = _preview(client, price_list, "sku,min_quantity,unit_price\nMUG-1,1,5\nmug-1,5,4\nmug-1,,6\n")
    assert preview.status_code == 400
    assert preview.context["report"].problems == [
        (4, "SKU mug-1 from 1 units is already priced on row 2; give each SKU and quantity once.")]
    done = client.post(reverse("marketing:pricelist_import", args=[price_list.pk]),
                       {"payload": preview.context["payload"], "filename": "prices.csv"}, follow=True)
    assert "nothing was imported" in done.content.decode()
    assert not PriceListItem.objects.exists()


def test_bad_numbers_are_named_and_a_fractional_quantity_is_not_truncated(role_client):
    """import-export's widgets read "1.5" units as 1 (a tier from 1 unit replacing the base price) and answered
    "abc" with "[<class 'decimal.ConversionSyntax'>]"; rows are numbered as the spreadsheet shows them."""
    client = role_client("manager")
    price_list = PriceListFactory()
    VariantFactory(sku="MUG-1")
    preview = _preview(client, price_list, "sku,min_quantity,unit_price\nMUG-1,1.5,5\nMUG-1,abc,4\nMUG-1,0,3\n"
                                           "MUG-1,2,NaN\nMUG-1,3,abc\nMUG-1,4,1e3\n")
    assert preview.status_code == 400
    assert preview.context["report"].problems == [
        (2, "The quantity “1.5” is not a whole number."),
        (3, "The quantity “abc” is not a whole number."),
        (4, "The quantity must be at least 1."),
        (5, "unit_price: The price “NaN” is not a number."),
        (6, "unit_price: The price “abc” is not a number."),
        (7, "unit_price: The price “1e3” is not a plain number: write it with digits (1000, not 1e3).")]
    assert not PriceListItem.objects.exists()


def test_price_preview_rows_are_the_files_lines(role_client):
    client = role_client("manager")
    price_list = PriceListFactory()
    VariantFactory(sku="MUG-1")
    preview = _preview(client, price_list, "sku,min_quantity,unit_price\nMUG-1,1,\"5,50\"\nMUG-1,5,5\n")
    assert preview.status_code == 200
    assert [(row["number"], row["min_quantity"]) for row in preview.context["report"].rows] == [(2, "1"), (3, "5")]


def test_prices_with_thousands_separators_are_read_as_typed_amounts_are(role_client):
    """"1.000,00" was refused as "The price “1.000.00” is not a number." (a value the file does not hold) and
    "1,000.50" likewise; they are read as every amount typed in the back office is."""
    client = role_client("manager")
    price_list = PriceListFactory()
    VariantFactory(sku="MUG-1")
    VariantFactory(sku="MUG-2")
    VariantFactory(sku="MUG-3")
    preview = _preview(client, price_list, 'sku,min_quantity,unit_price\nMUG-1,1,"1.000,00"\nMUG-2,1,"1,000.50"\n'
                                           'MUG-3,1,"12,5"\n')
    assert preview.status_code == 200, preview.context["report"].problems
    client.post(reverse("marketing:pricelist_import", args=[price_list.pk]),
                {"payload": preview.context["payload"], "filename": "prices.csv"})
    assert sorted(PriceListItem.objects.values_list("variant__sku", "unit_price")) == [
        ("MUG-1", D("1000")), ("MUG-2", D("1000.50")), ("MUG-3", D("12.50"))]


def test_a_price_that_is_not_a_number_is_quoted_as_the_file_has_it(role_client):
    client = role_client("manager")
    price_list = PriceListFactory()
    VariantFactory(sku="MUG-1")
    preview = _preview(client, price_list, 'sku,min_quantity,unit_price\nMUG-1,1,"1.00,00"\n')
    assert preview.context["report"].problems == [(2, "unit_price: The price “1.00,00” is not a number.")]

"""CSV files as spreadsheets really save them: a Brazilian Excel separates cells with semicolons, "Unicode text" is
UTF-16 with tabs, and a row may have fewer or more cells than the header. Each is read, or refused with a message
naming the line, never "Missing column(s): sku, location, on_hand" for a file whose header has them, nor "not a
readable CSV file ()"."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.imports import KINDS, ImportFailed, read_rows, validate
from inventory.models import ImportJob
from tests.inventory.factories import LocationFactory, VariantFactory

ROWS = [{"sku": "TEE-1", "location": "DC-SP", "on_hand": "5"}, {"sku": "TEE-2", "location": "DC-SP", "on_hand": "7"}]


@pytest.mark.parametrize("text", [
    "sku;location;on_hand\nTEE-1;DC-SP;5\nTEE-2;DC-SP;7\n",  # Excel in Portuguese
    "sku\tlocation\ton_hand\r\nTEE-1\tDC-SP\t5\r\nTEE-2\tDC-SP\t7\r\n",  # tab-separated
    '"sku";"location";"on_hand"\n"TEE-1";"DC-SP";"5"\n"TEE-2";"DC-SP";"7"\n',
])
def test_semicolon_and_tab_separated_files_are_read(text):
    assert read_rows(text.encode(), "stock.csv") == ROWS


def test_a_comma_file_with_semicolons_inside_its_cells_stays_a_comma_file():
    text = 'code,name\nACME,"Acme; Filial Sul"\n'
    assert read_rows(text.encode(), "suppliers.csv") == [{"code": "ACME", "name": "Acme; Filial Sul"}]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_are_read(encoding):
    text = "sku\tlocation\ton_hand\r\nTEE-1\tDC-SP\t5\r\nTEE-2\tDC-SP\t7\r\n"
    data = text.encode(encoding)
    if encoding != "utf-16":  # Excel writes the byte order mark; these have it written by hand
        data = ("\ufeff" + text).encode(encoding)
    assert read_rows(data, "stock.csv") == ROWS


def test_a_short_row_leaves_its_last_cells_empty_and_the_row_is_refused_by_name():
    rows = read_rows(b"sku,location,on_hand\nTEE-1,DC-SP\n", "stock.csv")
    assert rows == [{"sku": "TEE-1", "location": "DC-SP", "on_hand": ""}]


def test_a_row_with_more_cells_than_the_header_is_refused_naming_its_line():
    with pytest.raises(ImportFailed) as refused:
        read_rows(b"sku,location,on_hand\nTEE-1,DC-SP,5\nTEE-2,DC-SP,1,2\n", "stock.csv")
    assert refused.value.message == "Line 3 has 4 cells but the header names 3 columns."
    assert refused.value.row == 3
    # Empty cells after the last column (a spreadsheet's trailing separators) are no values.
    assert read_rows(b"sku,location,on_hand,\nTEE-1,DC-SP,5,,\n", "stock.csv") == [ROWS[0]]


@pytest.mark.django_db
def test_the_import_page_names_the_line_of_a_ragged_row_and_changes_nothing(role_client):
    VariantFactory(sku="TEE-1")
    LocationFactory(code="DC-SP")
    client = role_client("warehouse")
    upload = SimpleUploadedFile("stock.csv", b"sku;location;on_hand\nTEE-1;DC-SP;5\nTEE-1;DC-SP;5;9\n")
    page = client.post(reverse("inventory:import_stock"), {"file": upload}, follow=True).content.decode()
    job = ImportJob.objects.get()
    assert (job.status, job.errors) == ("invalid", [[3, "Line 3 has 4 cells but the header names 3 columns."]])
    assert '<td class="num">3</td>' in page
    assert "()" not in page


@pytest.mark.django_db
def test_a_semicolon_file_goes_through_to_the_preview(role_client):
    VariantFactory(sku="TEE-1")
    LocationFactory(code="DC-SP")
    checked = validate(KINDS["stock"], read_rows(b"sku;location;on_hand\nTEE-1;DC-SP;5\n", "stock.csv"))
    assert checked.errors == [] and checked.rows[0]["quantity"] == 5

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


def _preview_table(page: str) -> list[list[str]]:
    import re

    table = page.split("<h2>Preview</h2>")[1].split("</table>")[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", table)]


@pytest.mark.django_db
def test_the_stock_preview_shows_each_row_with_its_location_as_the_file_names_its_columns(role_client):
    """The preview asked to confirm a stock file without its location column (every ``*_id`` was left out), under
    the columns "sku, _row, quantity, safety_stock" (the database's own order of the keys) with "None" for an
    empty safety stock: nobody could tell which location's stock they were about to set."""
    VariantFactory(sku="TEE-1")
    LocationFactory(code="DC-SP")
    LocationFactory(code="LJ-RJ")
    client = role_client("warehouse")
    upload = SimpleUploadedFile("stock.csv", b"sku,location,on_hand,safety_stock\ntee-1,dc-sp,5,\nTEE-1,LJ-RJ,7,2\n")
    page = client.post(reverse("inventory:import_stock"), {"file": upload}, follow=True).content.decode()
    assert ImportJob.objects.get().status == "ready"
    assert _preview_table(page) == [["Row", "sku", "location", "on_hand", "safety_stock"],
                                    ["2", "TEE-1", "DC-SP", "5", ""],
                                    ["3", "TEE-1", "LJ-RJ", "7", "2"]]


@pytest.mark.django_db
def test_the_reorder_rule_preview_shows_the_supplier(role_client):
    from tests.inventory.factories import SupplierFactory

    VariantFactory(sku="TEE-1")
    LocationFactory(code="DC-SP")
    SupplierFactory(code="ACME")
    client = role_client("manager")
    upload = SimpleUploadedFile("rules.csv",
                                b"sku;location;reorder_point;order_up_to;supplier\nTEE-1;DC-SP;5;20;acme\n")
    page = client.post(reverse("inventory:import_reorder_rules"), {"file": upload}, follow=True).content.decode()
    assert _preview_table(page) == [["Row", "sku", "location", "reorder_point", "order_up_to", "supplier"],
                                    ["2", "TEE-1", "DC-SP", "5", "20", "ACME"]]


@pytest.mark.django_db
def test_the_file_name_keeps_its_order_in_arabic(role_client):
    """In Arabic "30_contagem.csv" read "contagem.csv_30": the name was not isolated from the right-to-left title."""
    VariantFactory(sku="TEE-1")
    LocationFactory(code="DC-SP")
    client = role_client("warehouse")
    client.cookies["django_language"] = "ar"
    upload = SimpleUploadedFile("30_contagem.csv", b"sku,location,on_hand\nTEE-1,DC-SP,5\n")
    page = client.post(reverse("inventory:import_stock"), {"file": upload}, follow=True).content.decode()
    assert '<small class="muted"><bdi>30_contagem.csv</bdi></small>' in page
    listing = client.get(reverse("inventory:import_stock")).content.decode()
    assert "<bdi>30_contagem.csv</bdi></a>" in listing


def _workbook(*rows) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_formula_whose_result_the_workbook_does_not_hold_is_refused_naming_row_and_column():
    """A workbook written by a program keeps its formulas without their results: the cell read as empty, and the
    file was refused with "on_hand is empty." for a cell that showed =B2*12."""
    data = _workbook(["sku", "location", "on_hand"], ["TEE-1", "DC-SP", 5], ["TEE-2", "DC-SP", "=B2*12"])
    with pytest.raises(ImportFailed) as refused:
        read_rows(data, "stock.xlsx")
    assert refused.value.message == ("Row 3, column on_hand holds the formula =B2*12 without its result: open the "
                                     "file in a spreadsheet program and save it again, or write the value.")
    assert refused.value.row == 3


def test_empty_cells_of_a_workbook_are_still_empty():
    data = _workbook(["sku", "location", "on_hand", "safety_stock"], ["TEE-1", "DC-SP", 5, None])
    assert read_rows(data, "stock.xlsx") == [{"sku": "TEE-1", "location": "DC-SP", "on_hand": "5", "safety_stock": ""}]


@pytest.mark.django_db
def test_a_workbook_without_its_dimensions_and_a_short_row_reaches_the_preview(role_client):
    """A workbook that does not state its size gives rows as long as their last cell: the preview then failed the
    job ("failed unexpectedly") on the safety_stock a short row did not have."""
    import io
    import re
    import zipfile

    VariantFactory(sku="TEE-1")
    LocationFactory(code="DC-SP")
    written = _workbook(["sku", "location", "on_hand", "safety_stock"], ["TEE-1", "DC-SP", 5])
    data = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(written)) as source, zipfile.ZipFile(data, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                content = re.sub(rb"<dimension [^>]*/>", b"", content)
            target.writestr(item, content)
    client = role_client("warehouse")
    upload = SimpleUploadedFile("stock.xlsx", data.getvalue())
    page = client.post(reverse("inventory:import_stock"), {"file": upload}, follow=True).content.decode()
    assert ImportJob.objects.get().status == "ready"
    assert _preview_table(page)[1] == ["2", "TEE-1", "DC-SP", "5", ""]

"""Bad files, bad corrections and bad addresses end as a message naming what is wrong, never a server error."""

import json
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.channels.errors import ImportFileError
from orders.channels.imports import import_job_create, import_job_run
from orders.channels.models import ImportJob, ImportRow, SkuMapping, StatusMapping, WebhookEndpoint
from orders.channels.services import sku_mapping_add
from orders.models import Order
from tests.channels.conftest import order_payload

SAMPLES = Path(__file__).parent / "samples"
AMAZON = (SAMPLES / "amazon_orders.txt").read_text()


def woo_order(**changes) -> dict:
    order = json.loads((SAMPLES / "woocommerce_orders.json").read_text())[0]
    order.update(changes)
    return order


def run(shop, fmt: str, content: bytes) -> ImportJob:
    job = import_job_create(channel_id=shop["channel"].pk, fmt=fmt, content=content, file_name="f", acting_user=None)
    return import_job_run(job_id=job.pk)


def only_row(job: ImportJob) -> ImportRow:
    assert job.status == "done"
    return job.rows.get()


@pytest.mark.parametrize(("changes", "error"), [
    ({"billing": "x"}, "“billing” should be an object ({…}), but the file has the text “x”."),
    ({"line_items": "abc"}, "“line_items” should be a list ([…]), but the file has the text “abc”."),
    ({"shipping_lines": ["x"]}, "“shipping_lines[0]” should be an object ({…}), but the file has the text “x”."),
    ({"shipping": {"city": ["São Paulo"]}}, "“shipping.city” should be text or a number, but the file has a list."),
    ({"status": True}, "“status” should be text or a number, but the file has true/false."),
    ({"line_items": [{"sku": "MUG-WHT", "quantity": 1, "subtotal": {"x": 1}}]},
     "“line_items[0].subtotal” should be text or a number, but the file has an object."),
    ({"line_items": [{"sku": "MUG-WHT", "quantity": 1, "subtotal": "1e30"}]},
     "line_items[0].subtotal “1e30” is not a plain number: write it with digits (1000, not 1e3)."),
    ({"line_items": [{"sku": "MUG-WHT", "quantity": 1, "subtotal": "sNaN"}]},
     "line_items[0].subtotal “sNaN” is not a number."),
    ({"line_items": [{"sku": "MUG-WHT", "quantity": 1, "subtotal": 1e30}]},
     "line_items[0].subtotal “1e+30” is not a plain number: write it with digits (1000, not 1e3)."),
    ({"line_items": [{"sku": "MUG-WHT", "quantity": "x", "subtotal": "1"}]},
     "line_items[0].quantity “x” is not a whole number."),
    ({"total": "99999999999"}, "total “99999999999” is too large: at most 10 digits before the decimal point."),
])
def test_woocommerce_values_of_the_wrong_type_or_size_reject_the_order(shop, changes, error):
    job = run(shop, "woocommerce_json", json.dumps([woo_order(**changes)]).encode())
    row = only_row(job)
    assert (row.status, row.error, row.external_id) == ("rejected", error, "727")
    assert (job.rejected_count, Order.objects.count()) == (1, 0)


def test_a_woocommerce_order_with_plugin_data_in_meta_data_still_imports(shop):
    order = woo_order(meta_data=[{"key": "_wc_plugin", "value": {"a": [1, 2]}}, {"key": 7, "value": None},
                                 {"key": "_billing_cpf", "value": ""}])
    row = only_row(run(shop, "woocommerce_json", json.dumps([order]).encode()))
    assert row.status == "created"


# Each refusal of the JSON reader is tested in tests/oms/test_jsontext.py; these show the import uses it.
@pytest.mark.parametrize(("content", "error"), [
    (b"[" * 100_000 + b"]" * 100_000, "The JSON is nested more than 32 levels deep."),
    (b'[{"number": "1", "total": NaN}]', "NaN is not a number that can be stored: write the amount itself."),
    (b'[{"number": "A\\u0000B"}]', "The JSON holds a NUL character (\\u0000) in [0].number: remove it."),
    (b'{"orders": [1,]}', "This is not valid JSON: look at line 1, column 15 (a missing comma, quote or bracket?)."),
    (b'"just text"', "Expected a list of WooCommerce orders."),
])
def test_a_woocommerce_file_that_cannot_be_stored_is_refused_whole(shop, content, error):
    with pytest.raises(ImportFileError) as refused:
        import_job_create(channel_id=shop["channel"].pk, fmt="woocommerce_json", content=content, file_name="f",
                          acting_user=None)
    assert refused.value.message == error
    assert ImportJob.objects.count() == 0


def test_the_upload_page_shows_the_file_error(role_client, shop):
    client = role_client("admin")
    for content in (b"[" * 100_000, b'[{"total": NaN}]', b"{'orders': []}"):
        upload = SimpleUploadedFile("orders.json", content, "application/json")
        response = client.post(reverse("orders:channel_import_upload", args=[shop["channel"].pk]),
                               {"format": "woocommerce_json", "file": upload})
        assert response.status_code == 422
        assert "Expecting" not in response.content.decode()
    assert ImportJob.objects.count() == 0


def amazon_with(price: str) -> bytes:
    header, first, second = AMAZON.splitlines()[:3]
    cells = first.split("\t")
    cells[header.split("\t").index("item-price")] = price
    return "\n".join([header, "\t".join(cells), second]).encode()


@pytest.mark.parametrize("price", ["1e30", "sNaN", "NaN", "Infinity", "99999999999"])
def test_an_amazon_price_no_column_can_hold_rejects_the_order(shop, price):
    sku_mapping_add(channel_id=shop["channel"].pk, channel_sku="AMZ-TSHIRT-M", variant_id=shop["variants"][0].pk,
                    acting_user=None)
    job = run(shop, "amazon_tsv", amazon_with(price))
    row = job.rows.get(external_id="701-1234567-1234567")
    assert row.status == "rejected"
    assert row.error.startswith(f"item-price “{price}” ")
    assert Order.objects.count() == 0


def test_short_csv_rows_and_extra_cells_are_read_as_text(shop):
    """A Shopify row cut short (DictReader fills None) or longer than the header is an order's problem at most."""
    header, *rows = (SAMPLES / "shopify_orders.csv").read_text().splitlines()
    short = "#2001,ana@example.com,paid"
    job = run(shop, "shopify_csv", "\n".join([header, short, rows[0] + ",extra,cells"]).encode())
    assert job.status == "done"
    rejected = job.rows.get(external_id="2001")
    assert (rejected.status, rejected.error) == ("rejected", "Lineitem quantity is empty.")


def test_a_file_with_a_nul_byte_is_refused(shop):
    for fmt, name in (("generic_csv", "generic_orders.csv"), ("amazon_tsv", "amazon_orders.txt")):
        content = (SAMPLES / name).read_bytes().replace(b"\n", b"\x00\n", 2)
        with pytest.raises(ImportFileError, match="NUL character on line 1"):
            import_job_create(channel_id=shop["channel"].pk, fmt=fmt, content=content, file_name="f",
                              acting_user=None)


def test_woocommerce_csv_line_item_columns_that_are_not_numbered_are_ignored(shop):
    lines = (SAMPLES / "woocommerce_orders.csv").read_text().splitlines()
    lines[0] += ",line_item_x"
    lines[1] += ",name:Mug|sku:MUG-WHT|quantity:1|total:1.00"
    job = run(shop, "woocommerce_csv", "\n".join(lines).encode())
    assert "invalid literal" not in " ".join(job.rows.values_list("error", flat=True))
    assert job.created_count == 1


# --- the error queue ------------------------------------------------------------------------------------


@pytest.fixture
def rejected_row(shop):
    order = woo_order(line_items=[{"sku": "MUG-WHT", "quantity": 1, "subtotal": "1.00"}],
                      billing={**woo_order()["billing"], "first_name": "", "last_name": ""})
    job = run(shop, "woocommerce_json", json.dumps([order]).encode())
    return only_row(job)


def test_pydantic_errors_are_sentences_naming_the_field(rejected_row):
    assert rejected_row.status == "rejected"
    assert rejected_row.error == "customer.name is empty."


# Each refusal of the JSON reader is tested in tests/oms/test_jsontext.py; these show the form uses it.
@pytest.mark.parametrize(("data", "error"), [
    ("[" * 50_000, "The JSON is nested more than 32 levels deep."),
    ('{"total": NaN}', "NaN is not a number that can be stored: write the amount itself."),
    ('{"external_id": "A\\u0000B"}', "The JSON holds a NUL character (\\u0000) in external_id: remove it."),
    ("{'total': 1}", "This is not valid JSON: look at line 1, column 2 (a missing comma, quote or bracket?)."),
    ("[1]", "Give one order as a JSON object."),
])
def test_a_correction_that_cannot_be_stored_is_refused_on_the_form(role_client, rejected_row, data, error):
    client = role_client("admin")
    response = client.post(reverse("orders:channel_import_row", args=[rejected_row.pk]), {"data": data})
    assert response.status_code == 422
    assert response.context["form"].errors["data"] == [error]
    rejected_row.refresh_from_db()
    assert (rejected_row.status, rejected_row.fixed) == ("rejected", None)


@pytest.mark.parametrize(("changes", "error"), [
    ({"external_id": 5}, "external_id should be text."),
    ({"external_id": ["x"]}, "external_id should be text."),
    ({"lines": [{"sku": "MUG-WHT", "quantity": True, "unit_price": "1.00"}]},
     "lines.0.quantity should be a whole number (such as 2)."),
    ({"lines": []}, "lines needs at least 1 item."),
    ({"total": "1" + "0" * 20}, "total is too large."),
    ({"total": "1e30"}, "total “1e30” is not a plain number: write it with digits (1000, not 1e3)."),
    ({"colour": "red"}, "colour is not a field of a channel order: remove it."),
    ({"customer": "Ana"}, "customer should be an object ({…})."),
    ({"customer": {"name": "Ana", "kind": "robot"}}, "customer.kind must be one of: 'person' or 'company'."),
])
def test_a_correction_with_wrong_values_is_named_on_the_form(role_client, rejected_row, changes, error):
    client = role_client("admin")
    data = {**order_payload("727"), **changes}
    response = client.post(reverse("orders:channel_import_row", args=[rejected_row.pk]), {"data": json.dumps(data)})
    assert response.status_code == 422
    assert response.context["form"].errors["data"] == [error]
    rejected_row.refresh_from_db()
    assert rejected_row.status == "rejected"


def test_retrying_a_discarded_row_is_a_message(role_client, rejected_row):
    client = role_client("admin")
    client.post(reverse("orders:channel_import_row_discard", args=[rejected_row.pk]))
    response = client.post(reverse("orders:channel_import_row", args=[rejected_row.pk]),
                           {"data": json.dumps(order_payload("727"))})
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:channel_import", args=[rejected_row.job_id])
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == "Only rejected rows can be retried."
    rejected_row.refresh_from_db()
    assert (rejected_row.status, Order.objects.count()) == ("discarded", 0)


def test_the_row_page_shows_the_data_read_from_the_file_as_json(role_client, rejected_row):
    page = role_client("admin").get(reverse("orders:channel_import_row", args=[rejected_row.pk])).content.decode()
    assert "{&#x27;order&#x27;" not in page
    assert "&quot;order&quot;: {" in page
    assert "&quot;first_name&quot;: &quot;&quot;" in page


# --- settings, mappings, webhooks ----------------------------------------------------------------------


def test_a_webhook_url_longer_than_its_column_is_refused_on_the_form(role_client, shop):
    url = "https://shop.example.com/" + "a" * 295
    response = role_client("admin").post(reverse("orders:channel_webhook_create", args=[shop["channel"].pk]),
                                         {"url": url, "events": ["order_status"]})
    assert response.status_code == 422
    assert "at most 200 characters" in " ".join(response.context["webhook_form"].errors["url"])
    assert WebhookEndpoint.objects.count() == 0


def test_a_pull_url_longer_than_its_column_is_refused_on_the_form(role_client, shop):
    response = role_client("admin").post(reverse("orders:channel_settings", args=[shop["channel"].pk]), {
        "import_format": "generic_csv", "stock_buffer": 0, "rate_limit_per_minute": 60,
        "pull_url": "https://shop.example.com/" + "a" * 295, "pull_every_minutes": 15})
    assert response.status_code == 422
    assert "pull_url" in response.context["settings_form"].errors


def test_removing_a_mapping_that_is_not_there_is_not_found(role_client, shop, other_channel):
    client = role_client("admin")
    pk = shop["channel"].pk
    assert client.post(reverse("orders:channel_mapping_delete", args=[pk, "sku", 999999])).status_code == 404
    theirs = sku_mapping_add(channel_id=other_channel.pk, channel_sku="X", variant_id=shop["variants"][0].pk,
                             acting_user=None)
    assert client.post(reverse("orders:channel_mapping_delete", args=[pk, "sku", theirs.pk])).status_code == 404
    assert client.post(reverse("orders:channel_mapping_delete", args=[pk, "nope", theirs.pk])).status_code == 404
    assert client.post(reverse("orders:channel_mapping_delete", args=[999999, "sku", theirs.pk])).status_code == 404
    assert SkuMapping.objects.filter(pk=theirs.pk).exists()
    mine = StatusMapping.objects.create(channel_id=pk, channel_status="x")
    assert client.post(reverse("orders:channel_mapping_delete", args=[pk, "status", mine.pk])).status_code == 302
    assert not StatusMapping.objects.filter(pk=mine.pk).exists()


@pytest.fixture
def other_channel(db):
    from tests.orders.factories import ChannelFactory

    return ChannelFactory(code="other", name="Other", order_prefix="OT")


ID_URLS = [
    ("orders:channel_detail", [0]), ("orders:channel_edit", [0]), ("orders:channel_settings", [0]),
    ("orders:channel_key_create", [0]), ("orders:channel_key_revoke", [0]),
    ("orders:channel_mapping_add", [0, "sku"]), ("orders:channel_mapping_delete", [0, "sku", 0]),
    ("orders:channel_webhook_create", [0]), ("orders:channel_webhook_disable", [0]),
    ("orders:channel_deliveries", [0]), ("orders:channel_import_upload", [0]), ("orders:channel_import", [0]),
    ("orders:channel_import_errors", [0]), ("orders:channel_import_row", [0]),
    ("orders:channel_import_row_discard", [0]),
]


@pytest.mark.parametrize(("name", "args"), ID_URLS)
@pytest.mark.parametrize("missing", [999999, 2**31, 2**63 + 5])
def test_an_id_that_does_not_exist_is_not_found(role_client, shop, name, args, missing):
    client = role_client("admin")
    url = reverse(name, args=[missing if a == 0 else a for a in args])
    for method in (client.get, client.post):
        assert method(url).status_code in (404, 405), (method, url)
    assert client.post(url).status_code == 404


# --- the intake API ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("get", "/orders", "POST"), ("delete", "/orders/WS-1", "GET"), ("put", "/availability", "GET"),
    ("get", "/orders/WS-1/cancel", "POST"), ("patch", "/shipments/1/events", "POST"),
])
def test_a_method_the_api_does_not_take_gets_its_error_body(shop, method, path, allowed):
    from django.test import Client

    response = getattr(Client(), method)(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {shop['raw']}")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == allowed
    assert response.json() == {"code": "method_not_allowed", "field": "",
                               "message": f"This address does not take {method.upper()}; use {allowed}."}


@pytest.mark.parametrize("path", ["/nope", "/orders/", "/orders/WS-1/nothing"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_address_the_api_does_not_have_gets_its_error_body(shop, path, method):
    from django.test import Client

    response = getattr(Client(enforce_csrf_checks=True), method)(f"/api/v1{path}")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "field": "",
                               "message": f"There is no API address /api/v1{path}."}


@pytest.mark.parametrize("quantity", [True, False, "2", 2.0, 1.5])
def test_a_quantity_must_be_a_json_whole_number(api, quantity):
    body = order_payload(lines=[{"sku": "MUG-WHT", "quantity": quantity, "unit_price": "45.50"}], total=None)
    response = api.post("/orders", body)
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "field": "lines.0.quantity",
                               "message": "lines.0.quantity should be a whole number (such as 2)."}
    assert Order.objects.count() == 0


def test_api_validation_messages_are_sentences(api):
    response = api.post("/orders", order_payload(customer={"name": ""}))
    assert response.json() == {"code": "invalid", "field": "customer.name", "message": "customer.name is empty."}
    response = api.post("/orders", order_payload(external_id="A\u0000B"))
    assert response.json()["message"] == "external_id contains a NUL character (\\u0000)."


@pytest.mark.parametrize("literal", ["1e3", "1E3", "1.5e2"])
def test_a_woocommerce_amount_written_with_an_exponent_rejects_the_order(shop, literal):
    """The number 1e3 in a WooCommerce file was read as 1000.0, and imported as a price of 1000."""
    content = json.dumps([woo_order(line_items=[{"sku": "MUG-WHT", "quantity": 1, "subtotal": "@N@"}])])
    row = only_row(run(shop, "woocommerce_json", content.replace('"@N@"', literal).encode()))
    assert (row.status, row.error) == (
        "rejected", f"line_items[0].subtotal “{literal}” is not a plain number: write it with digits (1000, not 1e3).")
    assert Order.objects.count() == 0


def test_a_correction_with_an_amount_written_with_an_exponent_is_named_on_the_form(role_client, rejected_row):
    client = role_client("admin")
    text = json.dumps(order_payload("727", total=None)).replace('"90.00"', "1e3")
    response = client.post(reverse("orders:channel_import_row", args=[rejected_row.pk]), {"data": text})
    assert response.status_code == 422
    assert response.context["form"].errors["data"] == [
        "lines.0.unit_price “1e3” is not a plain number: write it with digits (1000, not 1e3)."]
    assert Order.objects.count() == 0


def test_an_excel_workbook_or_an_archive_is_refused_saying_what_it_is(shop):
    """A Shopify export opened and saved in Excel was refused as "a NUL character on line 1"."""
    import io
    import zipfile

    import openpyxl

    workbook = openpyxl.Workbook()
    for row in (SAMPLES / "generic_orders.csv").read_text().splitlines():
        workbook.active.append(row.split(","))
    xlsx = io.BytesIO()
    workbook.save(xlsx)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("orders.json", "[]")
    for fmt, content in (("generic_csv", xlsx.getvalue()), ("woocommerce_json", archive.getvalue()),
                         ("amazon_tsv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)):
        with pytest.raises(ImportFileError) as refused:
            import_job_create(channel_id=shop["channel"].pk, fmt=fmt, content=content, file_name="f",
                              acting_user=None)
        assert refused.value.message.startswith("The file is a spreadsheet workbook or a compressed archive")
    assert ImportJob.objects.count() == 0


def test_one_order_id_on_rows_of_two_buyers_rejects_that_order_and_imports_the_rest(shop):
    """Rows are grouped into orders by their id wherever they are in the file: a second order with the same id (two
    exports put together) became one order, the second buyer's mug added to the first buyer's order."""
    header, first, second, third = (SAMPLES / "generic_orders.csv").read_text().splitlines()
    third = third.replace(",59.90,", ",49.90,")  # the sample's G-5002 does not add up
    other_buyer = third.replace("G-5002", "G-5001").replace("otavio.prado@example.com", "Zed@Example.com")
    job = run(shop, "generic_csv", "\n".join([header, first, second, third, other_buyer]).encode())
    rejected = job.rows.get(external_id="G-5001")
    assert (rejected.status, rejected.error) == (
        "rejected", "The order id is on rows of different buyers (patricia.ramos@example.com, zed@example.com): are "
                    "these different orders with one id? Give each order its own id and import the file again.")
    assert job.rows.get(external_id="G-5002").status == "created"
    assert list(Order.objects.values_list("external_ref", flat=True)) == ["G-5002"]


def test_the_rows_of_one_amazon_order_naming_one_buyer_are_one_order(shop):
    """The same buyer written in another case, or left out on a later row, is the same order."""
    sku_mapping_add(channel_id=shop["channel"].pk, channel_sku="AMZ-TSHIRT-M", variant_id=shop["variants"][0].pk,
                    acting_user=None)
    sku_mapping_add(channel_id=shop["channel"].pk, channel_sku="AMZ-MUG", variant_id=shop["variants"][1].pk,
                    acting_user=None)
    header, first, second, *_rest = AMAZON.splitlines()
    second = second.replace("x9k2mt7@marketplace.amazon.com.br", "X9K2MT7@marketplace.amazon.com.br")
    job = run(shop, "amazon_tsv", "\n".join([header, first, second]).encode())
    row = job.rows.get()
    assert row.status == "created", row.error
    assert row.order.lines.count() == 2

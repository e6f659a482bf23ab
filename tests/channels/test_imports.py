from decimal import Decimal
from pathlib import Path

import pytest

from orders.channels.errors import ImportFileError
from orders.channels.imports import (
    ImportInterrupted,
    error_report_csv,
    import_job_create,
    import_job_run,
    import_row_retry,
)
from orders.channels.models import ImportJob, ImportRow, StatusMapping
from orders.channels.services import sku_mapping_add, status_mapping_add
from orders.models import Order

SAMPLES = Path(__file__).parent / "samples"


def run_file(shop, fmt, name, user=None, **kwargs):
    job = import_job_create(channel_id=shop["channel"].pk, fmt=fmt, content=(SAMPLES / name).read_bytes(),
                            file_name=name, acting_user=user)
    return import_job_run(job_id=job.pk, **kwargs)


def lines_of(external_id):
    order = Order.objects.get(external_ref=external_id)
    return order, [(ln.sku, ln.quantity, ln.unit_price) for ln in order.lines.order_by("position")]


def test_shopify_csv(shop):
    job = run_file(shop, "shopify_csv", "shopify_orders.csv")
    assert (job.status, job.total, job.created_count, job.present_count, job.rejected_count) == ("done", 4, 2, 0, 1)
    order, lines = lines_of("1001")
    assert lines == [("TSHIRT-BLK-M", 2, Decimal("99.9000")), ("MUG-WHT", 1, Decimal("49.9000"))]
    assert order.customer.name == "Mariana Costa"
    assert order.shipping_address["street"] == "Rua Augusta"
    assert order.shipping_address["number"] == "1500"
    assert order.channel_link.declared_discount == Decimal("24.97")
    assert order.channel_link.declared_tax == Decimal("22.47")
    assert order.channel_link.declared_total == Decimal("262.20")
    assert lines_of("1002")[1] == [("SOCKS-3P", 3, Decimal("19.9000"))]
    rows = {r.external_id: (r.status, r.error) for r in job.rows.all()}
    assert rows["1003"] == ("discarded", "Not imported: status “refunded”.")
    assert rows["1004"][0] == "rejected"
    assert "STICKER-01" in rows["1004"][1]
    assert not Order.objects.filter(external_ref__in=["1003", "1004"]).exists()


def test_woocommerce_json(shop):
    job = run_file(shop, "woocommerce_json", "woocommerce_orders.json")
    assert (job.created_count, job.present_count, job.rejected_count) == (2, 0, 0)
    order, lines = lines_of("727")
    assert lines == [("TSHIRT-BLK-M", 2, Decimal("99.9000")), ("SOCKS-3P", 1, Decimal("19.9000"))]
    assert order.customer.email == "beatriz.alves@example.com"
    assert order.notes == "Deixar na portaria"
    assert order.channel_link.declared_total == Decimal("236.40")
    assert lines_of("728")[0].shipping_address["city"] == "Curitiba"  # no shipping address: billing used
    assert job.rows.get(external_id="729").status == ImportRow.Status.DISCARDED


def test_woocommerce_csv_and_error_queue_fix(shop, make_user):
    user = make_user("admin")
    job = run_file(shop, "woocommerce_csv", "woocommerce_orders.csv", user=user)
    assert (job.created_count, job.rejected_count) == (1, 1)
    assert lines_of("801")[1] == [("TSHIRT-BLK-M", 1, Decimal("99.9000")), ("MUG-WHT", 2, Decimal("49.9000"))]
    bad = job.rows.get(status="rejected")
    assert bad.row_number == 3
    assert bad.error == "line_items[0].quantity “two” is not a whole number."
    report = error_report_csv(job)
    assert report.splitlines()[1].startswith("3,802,rejected,")  # the order id is known even when unreadable
    fixed = {"external_id": "802", "customer": {"name": "Gustavo Nunes", "email": "gustavo.nunes@example.com"},
             "shipping_address": {"street": "Rua Chile", "number": "33", "city": "Salvador", "state": "BA",
                                  "postal_code": "40020-000"},
             "lines": [{"sku": "SOCKS-3P", "quantity": 2, "unit_price": "19.90"}], "total": "39.80"}
    row = import_row_retry(row_id=bad.pk, fixed=fixed, acting_user=user)
    assert row.status == "created"
    job.refresh_from_db()
    assert (job.created_count, job.rejected_count) == (2, 0)
    assert lines_of("802")[1] == [("SOCKS-3P", 2, Decimal("19.9000"))]


def test_amazon_tsv_with_sku_mapping(shop):
    sku_mapping_add(channel_id=shop["channel"].pk, channel_sku="AMZ-TSHIRT-M", variant_id=shop["variants"][0].pk,
                    acting_user=None)
    sku_mapping_add(channel_id=shop["channel"].pk, channel_sku="AMZ-MUG", variant_id=shop["variants"][1].pk,
                    acting_user=None)
    job = run_file(shop, "amazon_tsv", "amazon_orders.txt")
    assert (job.created_count, job.rejected_count) == (2, 0)
    order, lines = lines_of("701-1234567-1234567")
    assert lines == [("TSHIRT-BLK-M", 2, Decimal("94.9000")), ("MUG-WHT", 1, Decimal("47.9000"))]
    link = order.channel_link
    assert (link.declared_shipping, link.declared_tax, link.declared_discount) == (
        Decimal("19.90"), Decimal("21.39"), Decimal("23.98"))
    assert order.shipping_address["district"] == "Vila Mariana"
    assert lines_of("702-7654321-7654321")[1] == [("SOCKS-3P", 4, Decimal("19.0000"))]


def test_generic_csv_bad_total_waits_in_queue(shop):
    job = run_file(shop, "generic_csv", "generic_orders.csv")
    assert (job.created_count, job.rejected_count) == (1, 1)
    assert lines_of("G-5001")[1] == [("TSHIRT-BLK-M", 1, Decimal("99.9000")), ("SOCKS-3P", 2, Decimal("24.9500"))]
    assert job.rows.get(external_id="G-5002").error.startswith("total: The total 59.90 does not match")


def test_reimporting_the_same_file_creates_nothing_twice(shop):
    first = run_file(shop, "shopify_csv", "shopify_orders.csv")
    again = run_file(shop, "shopify_csv", "shopify_orders.csv")
    assert (first.created_count, again.created_count, again.present_count) == (2, 0, 2)
    assert Order.objects.exclude(number="").count() == 2


def test_status_mapping_imports_cancelled(shop):
    status_mapping_add(channel_id=shop["channel"].pk, channel_status="refunded",
                       action=StatusMapping.Action.IMPORT_CANCELLED, acting_user=None)
    run_file(shop, "shopify_csv", "shopify_orders.csv")
    assert Order.objects.get(external_ref="1003").status == Order.Status.CANCELLED


def test_unreadable_file_is_refused_with_nothing_created(shop):
    with pytest.raises(ImportFileError) as err:
        import_job_create(channel_id=shop["channel"].pk, fmt="amazon_tsv", content=b"a,b\n1,2\n", file_name="x",
                          acting_user=None)
    assert "Missing columns: order-id" in err.value.message
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_import_resumes_with_nothing_lost_or_duplicated(shop):
    job = import_job_create(channel_id=shop["channel"].pk, fmt="shopify_csv",
                            content=(SAMPLES / "shopify_orders.csv").read_bytes(), file_name="s.csv", acting_user=None)
    with pytest.raises(ImportInterrupted):
        import_job_run(job_id=job.pk, chunk_size=2, interrupt_after=3)  # dies inside the second chunk
    job.refresh_from_db()
    assert (job.status, job.cursor) == ("running", 2)
    assert Order.objects.exclude(number="").count() == 2
    job = import_job_run(job_id=job.pk, chunk_size=2)
    assert (job.status, job.cursor, job.created_count, job.present_count, job.rejected_count) == ("done", 4, 2, 0, 1)
    assert Order.objects.exclude(number="").count() == 2
    assert sorted(Order.objects.values_list("external_ref", flat=True)) == ["1001", "1002"]
    assert import_job_run(job_id=job.pk).status == "done"


@pytest.mark.django_db(transaction=True)
def test_order_placed_just_before_the_kill_counts_as_created_once(shop):
    from orders.channels.importers import parse
    from orders.channels.schemas import ChannelOrderIn
    from orders.channels.services import channel_order_create

    content = (SAMPLES / "shopify_orders.csv").read_bytes()
    job = import_job_create(channel_id=shop["channel"].pk, fmt="shopify_csv", content=content, file_name="s.csv",
                            acting_user=None)
    # The worker placed the first order, then died before writing its outcome or moving the cursor.
    first = parse("shopify_csv", content)[0]
    channel_order_create(channel_id=shop["channel"].pk, data=ChannelOrderIn.model_validate(first.data),
                         acting_user=None, source="import", import_job_id=job.pk)
    job = import_job_run(job_id=job.pk)
    assert (job.created_count, job.present_count, job.rejected_count) == (2, 0, 1)
    assert Order.objects.filter(external_ref="1001").count() == 1


def test_watched_folder_and_url_pull_start_each_file_once(shop, tmp_path):
    import threading
    from http.server import HTTPServer, SimpleHTTPRequestHandler

    from orders.channels.services import integration_update
    from orders.channels.sources import poll_sources

    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "orders.csv").write_bytes((SAMPLES / "generic_orders.csv").read_bytes())
    (tmp_path / "drop" / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / "served").mkdir()
    first_order = b"\n".join((SAMPLES / "generic_orders.csv").read_bytes().splitlines()[:3]) + b"\n"
    (tmp_path / "served" / "export.csv").write_bytes(first_order)

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path / "served"), **kwargs)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        integration_update(channel_id=shop["channel"].pk, acting_user=None, import_format="generic_csv",
                           watch_folder=str(tmp_path / "drop"),
                           pull_url=f"http://127.0.0.1:{server.server_port}/export.csv", pull_every_minutes=60)
        assert poll_sources() == 2
        assert poll_sources() == 0  # same folder file again; the URL is not due for an hour
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(ImportJob.objects.values_list("source", "file_name", "total")) == [
        ("folder", "orders.csv", 2), ("url", "export.csv", 1)]


def _placed_at_channel(external_id):
    return Order.objects.get(external_ref=external_id).channel_placed_at


def test_imports_keep_the_time_the_order_was_placed_at_the_channel(shop):
    """Each format's own placement time (Shopify's Created at, WooCommerce's date_created, Amazon's purchase-date,
    our order_date) is kept on the order; a time without an offset is read in the OMS's time zone (São Paulo)."""
    from datetime import UTC, datetime

    run_file(shop, "shopify_csv", "shopify_orders.csv")
    assert _placed_at_channel("1001") == datetime(2026, 11, 20, 13, 14, 40, tzinfo=UTC)
    run_file(shop, "woocommerce_json", "woocommerce_orders.json")
    assert _placed_at_channel("727") == datetime(2026, 11, 21, 12, 30, 11, tzinfo=UTC)
    run_file(shop, "woocommerce_csv", "woocommerce_orders.csv")
    assert _placed_at_channel("801") == datetime(2026, 11, 21, 17, 5, tzinfo=UTC)
    run_file(shop, "generic_csv", "generic_orders.csv")
    assert _placed_at_channel("G-5001") == datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    sku_mapping_add(channel_id=shop["channel"].pk, channel_sku="AMZ-TSHIRT-M", variant_id=shop["variants"][0].pk,
                    acting_user=None)
    sku_mapping_add(channel_id=shop["channel"].pk, channel_sku="AMZ-MUG", variant_id=shop["variants"][1].pk,
                    acting_user=None)
    run_file(shop, "amazon_tsv", "amazon_orders.txt")
    assert _placed_at_channel("701-1234567-1234567") == datetime(2026, 11, 22, 8, 12, 44, tzinfo=UTC)
    assert all(order.placed_at > order.channel_placed_at for order in Order.objects.exclude(number=""))


def test_a_woocommerce_order_gives_its_time_in_utc_when_it_has_it(shop):
    from datetime import UTC, datetime

    content = (SAMPLES / "woocommerce_orders.json").read_bytes().replace(
        b'"date_created": "2026-11-21T09:30:11",',
        b'"date_created": "2026-11-21T09:30:11", "date_created_gmt": "2026-11-21T11:30:11",')
    job = import_job_create(channel_id=shop["channel"].pk, fmt="woocommerce_json", content=content,
                            file_name="woo.json", acting_user=None)
    import_job_run(job_id=job.pk)
    assert _placed_at_channel("727") == datetime(2026, 11, 21, 11, 30, 11, tzinfo=UTC)


def test_an_imported_order_dated_in_the_future_waits_in_the_queue_naming_the_date(shop):
    content = (SAMPLES / "generic_orders.csv").read_bytes().replace(b"G-5001,2026-11-22,", b"G-5001,2999-11-22,")
    job = import_job_create(channel_id=shop["channel"].pk, fmt="generic_csv", content=content, file_name="g.csv",
                            acting_user=None)
    job = import_job_run(job_id=job.pk)
    row = job.rows.get(external_id="G-5001")
    assert row.status == ImportRow.Status.REJECTED
    assert row.error.startswith("placed_at 2999-11-22 03:00 UTC is in the future")
    assert not Order.objects.filter(external_ref="G-5001").exists()


def test_an_order_twice_in_one_file_is_created_once_and_then_present(shop):
    """A WooCommerce export whose pages overlap holds an order twice: both entries were counted as created, for
    one order, and the second's data (which may differ) was never looked at."""
    import json

    orders = json.loads((SAMPLES / "woocommerce_orders.json").read_text())
    content = json.dumps([orders[0], orders[1], orders[0]]).encode()
    job = import_job_create(channel_id=shop["channel"].pk, fmt="woocommerce_json", content=content, file_name="w",
                            acting_user=None)
    job = import_job_run(job_id=job.pk)
    assert [(r.row_number, r.external_id, r.status) for r in job.rows.order_by("row_number")] == [
        (1, "727", "created"), (2, "728", "created"), (3, "727", "present")]
    assert (job.created_count, job.present_count) == (2, 1)
    assert Order.objects.filter(external_ref="727").count() == 1


def test_a_worker_stopped_after_placing_an_order_records_its_row_as_created(shop):
    """The row of an order placed by this job before the worker died is still "created" when the job resumes."""
    from orders.channels.importers import parse
    from orders.channels.imports import _import_one

    content = (SAMPLES / "woocommerce_orders.json").read_bytes()
    job = import_job_create(channel_id=shop["channel"].pk, fmt="woocommerce_json", content=content, file_name="w",
                            acting_user=None)
    first = parse("woocommerce_json", content)[0]
    _import_one(job, first, acting_user=None)
    ImportRow.objects.filter(job=job).delete()  # the worker died before recording the row
    job = import_job_run(job_id=job.pk)
    assert job.rows.get(row_number=1).status == "created"


def test_a_watched_or_pulled_file_over_the_upload_limit_is_not_read(shop, tmp_path, monkeypatch):
    """An upload is refused over 20 MB; a watched folder's file or a pulled URL was read whole whatever its size
    (an address answering without end filled the worker's memory)."""
    import threading
    from http.server import HTTPServer, SimpleHTTPRequestHandler

    from orders.channels import imports
    from orders.channels.services import integration_update
    from orders.channels.sources import poll_sources

    content = (SAMPLES / "generic_orders.csv").read_bytes()
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", len(content) - 1)
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "orders.csv").write_bytes(content)
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "export.csv").write_bytes(content)
    read = []

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path / "served"), **kwargs)

        def log_message(self, *args):
            read.append(args)

    server = HTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        integration_update(channel_id=shop["channel"].pk, acting_user=None, import_format="generic_csv",
                           watch_folder=str(tmp_path / "drop"),
                           pull_url=f"http://127.0.0.1:{server.server_port}/export.csv", pull_every_minutes=60)
        assert poll_sources() == 0
    finally:
        server.shutdown()
        server.server_close()
    assert read  # the address was asked
    assert ImportJob.objects.count() == 0

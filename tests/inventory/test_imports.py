"""Imports: receipt-style stock imports, audit of product imports, and big files through the Celery job."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory import imports, services
from inventory.models import ImportJob, StockLevel, StockMovement, Variant
from inventory.services import StockLine, ledger_drift, stock_reserve
from oms.models import AuditEntry
from tests.inventory.factories import LocationFactory, VariantFactory


def _upload(client, kind, text, **data):
    return client.post(reverse(f"inventory:import_{kind}"),
                       {"file": SimpleUploadedFile("f.csv", text.encode()), **data}, follow=True)


def test_receipt_style_stock_import_adds_to_on_hand(role_client, variant, location, stock):
    client = role_client("warehouse")
    stock(variant, location, 5)
    other = VariantFactory()
    response = _upload(client, "stock", f"sku,location,quantity\n{variant.sku},{location.code},7\n"
                                        f"{other.sku},{location.code},3\n", mode="add")
    job = ImportJob.objects.get()
    assert (job.mode, job.status) == ("add", "ready")
    assert b"Add the received quantity to on hand" in response.content
    client.post(reverse("inventory:import_job", args=[job.pk]), {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == "done"
    levels = dict(StockLevel.objects.values_list("variant__sku", "on_hand"))
    assert levels == {variant.sku: 12, other.sku: 3}
    receipts = StockMovement.objects.filter(reference=f"import:{job.pk}")
    assert sorted(receipts.values_list("reason", "on_hand_delta")) == [("receipt", 3), ("receipt", 7)]
    assert receipts.first().user == client.user
    assert ledger_drift() == []
    entry = AuditEntry.objects.get(verb="stock_import")
    assert entry.changes == {"rows": 2, "movements": 2, "mode": "add"}


def test_receipt_style_import_refuses_zero_negative_and_missing_column(role_client, variant, location):
    client = role_client("warehouse")
    other = VariantFactory()
    _upload(client, "stock", f"sku,location,quantity\n{variant.sku},{location.code},0\n"
                             f"{other.sku},{location.code},-2\n", mode="add")
    job = ImportJob.objects.get()
    assert job.status == "invalid"
    assert job.errors == [[2, "quantity must be at least 1."], [3, "quantity must be at least 1."]]
    _upload(client, "stock", f"sku,location,on_hand\n{variant.sku},{location.code},4\n", mode="add")
    job = ImportJob.objects.latest("id")
    assert job.errors == [[1, "Missing column(s): quantity. Expected: sku, location, quantity, safety_stock."]]
    assert not StockLevel.objects.exists()
    assert not StockMovement.objects.exists()


def test_count_style_import_still_sets_and_refuses_below_reserved(role_client, variant, location, stock):
    client = role_client("warehouse")
    stock(variant, location, 10)
    stock_reserve(lines=[StockLine(variant.pk, location.pk, 4)], reference="order:1", acting_user=None)
    _upload(client, "stock", f"sku,location,on_hand\n{variant.sku},{location.code},3\n", mode="set")
    job = ImportJob.objects.get()
    client.post(reverse("inventory:import_job", args=[job.pk]), {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == "failed"
    assert "below 4 reserved" in job.message
    assert StockLevel.objects.get().on_hand == 10
    assert not AuditEntry.objects.filter(verb="stock_import").exists()


def test_product_import_writes_one_audit_entry_with_price_changes(role_client):
    client = role_client("admin")
    existing = VariantFactory(sku="TEE-1", cost="10.00", base_price="25.00")
    text = ("sku,product_code,product_name,cost,base_price\n"
            "TEE-1,TEE,T-shirt,11.00,25.00\nTEE-2,TEE,T-shirt,9.00,19.90\n")
    _upload(client, "products", text)
    job = ImportJob.objects.get()
    client.post(reverse("inventory:import_job", args=[job.pk]), {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == "done"
    assert Variant.objects.get(pk=existing.pk).cost == 11
    entry = AuditEntry.objects.get(verb="product_import")
    assert entry.actor == client.user
    assert entry.reason == f"import:{job.pk}"
    assert entry.changes == {"rows": 2, "created": 1, "updated": 1, "price_changes": 1, "price_changes_sample": {
        "TEE-1": {"cost": ["10.0000", "11.00"], "base_price": ["25.0000", "25.00"]}}}


def test_running_job_shows_progress_from_the_worker(role_client):
    client = role_client("warehouse")
    job = ImportJob.objects.create(kind="stock", filename="big.csv", data=b"", rows_total=50,
                                   created_by=client.user)
    imports._import_job_transition(job.pk, to=ImportJob.Status.APPLYING)
    imports.report_progress(job.pk, 30)
    response = client.get(reverse("inventory:import_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert "<html" not in content
    assert "30 of 50 rows" in content
    assert 'aria-valuenow="60"' in content
    assert 'hx-trigger="every 1s"' in content


# --- the Celery path, with a real in-process worker ------------------------------------------------


def _wait_for_status(job_id, statuses, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).get()
        if status in statuses:
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {status}")


@pytest.mark.django_db(transaction=True)
def test_big_stock_import_runs_through_the_celery_job_with_chunked_progress(worker_broker, role_client,
                                                                           monkeypatch):
    monkeypatch.setattr(imports, "BACKGROUND_BYTES", 0)  # every upload goes to the worker
    monkeypatch.setattr(imports, "PROGRESS_CHUNK", 10)
    monkeypatch.setattr(services, "IMPORT_COPY_CHUNK", 10)
    reported: list[int] = []
    real_report = imports.report_progress

    def spy(job_id, done):
        reported.append(done)
        real_report(job_id, done)

    monkeypatch.setattr(imports, "report_progress", spy)
    client = role_client("warehouse")
    location = LocationFactory()
    variants = [VariantFactory() for _ in range(45)]
    text = "sku,location,on_hand\n" + "".join(f"{v.sku},{location.code},{i + 1}\n" for i, v in enumerate(variants))
    response = client.post(reverse("inventory:import_stock"), {"file": SimpleUploadedFile("big.csv", text.encode()),
                                                               "mode": "set"})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("inventory:import_job", args=[job.pk])
    assert _wait_for_status(job.pk, {"ready", "invalid"}) == "ready"
    assert reported == [0, 10, 20, 30, 40]  # validation, one report per chunk of rows
    job.refresh_from_db()
    assert (job.rows_total, job.rows_done) == (45, 45)
    assert not StockLevel.objects.exists()  # nothing before confirmation

    reported.clear()
    client.post(reverse("inventory:import_job", args=[job.pk]), {"confirm": "1"})
    assert _wait_for_status(job.pk, {"done", "failed", "invalid"}) == "done"
    assert reported == [0, 10, 20, 30, 40, 45]  # applying: chunks of the COPY, then the total
    assert dict(StockLevel.objects.values_list("variant_id", "on_hand")) == {
        v.pk: i + 1 for i, v in enumerate(variants)}
    assert StockMovement.objects.filter(reference=f"import:{job.pk}", reason="import").count() == 45
    assert ledger_drift() == []
    response = client.get(reverse("inventory:import_job", args=[job.pk]))
    assert b"45 row(s) applied." in response.content
    assert b"every 1s" not in response.content  # finished: the page stops polling

    # A redelivered apply (same job, same step) does nothing the second time.
    from inventory.tasks import import_job_task

    import_job_task(job.pk, "apply", client.user.pk)
    assert StockMovement.objects.filter(reference=f"import:{job.pk}").count() == 45


def test_import_command_adds_received_quantities(tmp_path, variant, location, stock):
    from django.core.management import call_command

    stock(variant, location, 2)
    file = tmp_path / "receipt.csv"
    file.write_text(f"sku,location,quantity\n{variant.sku},{location.code},5\n")
    call_command("inventory_import", "stock", str(file), "--mode", "add")
    assert StockLevel.objects.get().on_hand == 7
    assert StockMovement.objects.filter(reason="receipt").count() == 2  # the fixture's and the import's
    assert ledger_drift() == []


def test_a_background_import_reports_in_the_uploaders_language(location):
    from django.utils import translation

    from inventory.tasks import import_job_task

    with translation.override("pt-br"):  # the upload request
        job = ImportJob.objects.create(kind="stock", filename="count.csv",
                                       data=f"sku,location,on_hand\nNOPE,{location.code},1\n".encode())
    import_job_task(job.pk, "validate", None)  # the worker, in the site's language
    job.refresh_from_db()
    assert (job.language, job.status) == ("pt-br", "invalid")
    assert job.errors == [[2, "SKU desconhecido NOPE."]]


def test_a_one_row_file_offers_to_apply_the_row_not_all_1_rows(role_client, variant, location):
    client = role_client("admin")
    _upload(client, "stock", f"sku,location,on_hand\n{variant.sku},{location.code},4\n")
    job = ImportJob.objects.get()
    page = client.get(reverse("inventory:import_job", args=[job.pk])).content.decode()
    assert "Apply the 1 row" in page and "1 rows" not in page

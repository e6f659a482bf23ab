"""Product imports: a barcode another SKU already carries is refused in the preview, a SKU written in another
case is the same SKU, and a file that fails while it is applied leaves its job failed (never stuck applying)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from inventory import imports
from inventory.imports import KINDS, validate
from inventory.models import ImportJob, Product, StockLevel, Variant
from tests.inventory.factories import LocationFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

HEADER = "sku,product_code,product_name,barcode,cost,base_price\n"


def _upload(client, kind, text):
    client.post(reverse(f"inventory:import_{kind}"), {"file": SimpleUploadedFile("f.csv", text.encode())})
    return ImportJob.objects.latest("id")


def _confirm(client, job):
    response = client.post(reverse("inventory:import_job", args=[job.pk]), {"confirm": "1"})
    job.refresh_from_db()
    return response


def test_a_new_sku_with_a_barcode_of_another_sku_is_refused_in_the_preview(role_client):
    client = role_client("admin")
    VariantFactory(sku="VST001-AZL-G", barcode="7891000000011")
    job = _upload(client, "products", HEADER + "NEW-1,NEWSTYLE,New style,7891000000011,10,20\n")
    assert job.status == ImportJob.Status.INVALID
    assert job.errors == [[2, "Barcode 7891000000011 already belongs to SKU VST001-AZL-G."]]
    assert not Variant.objects.filter(sku="NEW-1").exists()


def test_an_existing_sku_keeps_its_own_barcode_and_may_take_a_free_one(role_client):
    client = role_client("admin")
    VariantFactory(sku="VST001-AZL-G", barcode="7891000000011")
    job = _upload(client, "products", HEADER + "VST001-AZL-G,VST001,Vestido,7891000000011,10,20\n"
                                               "VST001-AZL-M,VST001,Vestido,7891000000028,10,20\n")
    assert job.status == ImportJob.Status.READY, job.errors
    _confirm(client, job)
    assert job.status == ImportJob.Status.DONE
    assert dict(Variant.objects.values_list("sku", "barcode")) == {
        "VST001-AZL-G": "7891000000011", "VST001-AZL-M": "7891000000028"}


def test_the_same_barcode_twice_in_the_file_is_refused():
    checked = validate(KINDS["products"], [
        {"sku": "A-1", "product_code": "A", "barcode": "7891000000011"},
        {"sku": "A-2", "product_code": "A", "barcode": "7891000000011"},
    ])
    assert [list(e) for e in checked.errors] == [[3, "Barcode 7891000000011 is already on row 2."]]


def test_a_barcode_taken_between_preview_and_confirmation_fails_the_job_with_a_message(role_client):
    client = role_client("admin")
    job = _upload(client, "products", HEADER + "NEW-1,NEWSTYLE,New style,7891000000011,10,20\n")
    assert job.status == ImportJob.Status.READY
    VariantFactory(sku="OTHER-1", barcode="7891000000011")  # someone else took it meanwhile
    response = _confirm(client, job)
    assert response.status_code == 302
    assert job.status == ImportJob.Status.INVALID
    assert job.errors == [[2, "Barcode 7891000000011 already belongs to SKU OTHER-1."]]
    assert not Variant.objects.filter(sku="NEW-1").exists()


def test_a_constraint_failure_while_applying_leaves_the_job_failed_not_applying(role_client, monkeypatch):
    client = role_client("admin")
    job = _upload(client, "products", HEADER + "NEW-1,NEWSTYLE,New style,7891000000011,10,20\n")
    # What validation cannot see (a concurrent write): the insert itself hits the barcode constraint.
    monkeypatch.setattr(imports, "_barcode_owners", lambda barcodes: {})
    VariantFactory(sku="OTHER-1", barcode="7891000000011")
    response = _confirm(client, job)
    assert response.status_code == 302
    assert job.status == ImportJob.Status.FAILED
    assert job.message == ("A barcode in the file already belongs to another SKU; nothing was applied. Upload the "
                           "file again to see which rows.")
    assert not Variant.objects.filter(sku="NEW-1").exists()
    assert not Product.objects.filter(code="NEWSTYLE").exists()
    page = client.get(reverse("inventory:import_job", args=[job.pk]))
    assert page.status_code == 200
    assert "already belongs to another SKU" in page.content.decode()


def test_any_unexpected_failure_while_applying_leaves_the_job_failed(role_client, monkeypatch):
    client = role_client("admin")
    job = _upload(client, "products", HEADER + "NEW-1,NEWSTYLE,New style,,10,20\n")

    def broken(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint \"something_else\"")

    monkeypatch.setattr(imports, "_apply_products", broken)
    _confirm(client, job)
    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith("A value in the file is already used by another record; nothing was applied.")

    job = _upload(client, "products", HEADER + "NEW-2,NEWSTYLE,New style,,10,20\n")
    monkeypatch.setattr(imports, "_apply_products", lambda *a, **k: 1 / 0)
    _confirm(client, job)
    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith("The import failed unexpectedly; nothing was applied.")
    # A failed job is not applied again by a second confirmation.
    _confirm(client, job)
    assert job.status == ImportJob.Status.FAILED


def test_a_sku_in_another_case_updates_the_existing_sku(role_client):
    client = role_client("admin")
    product = ProductFactory(code="VST024")
    existing = VariantFactory(product=product, sku="VST024-PRT-M", barcode="7891000000240", cost="10.00")
    job = _upload(client, "products", HEADER + "vst024-prt-m,vst024,Vestido,7891000000240,12.50,30\n")
    assert job.status == ImportJob.Status.READY, job.errors
    assert job.preview[0]["sku"] == "VST024-PRT-M"
    _confirm(client, job)
    assert job.status == ImportJob.Status.DONE
    assert list(Variant.objects.values_list("sku", flat=True)) == ["VST024-PRT-M"]
    existing.refresh_from_db()
    assert existing.cost == 12.5
    assert list(Product.objects.values_list("code", flat=True)) == ["VST024"]


def test_the_same_sku_twice_in_the_file_in_two_cases_is_a_duplicate():
    checked = validate(KINDS["products"], [{"sku": "NEW-A", "product_code": "N"},
                                           {"sku": "new-a", "product_code": "n"}])
    assert [list(e) for e in checked.errors] == [[3, "Duplicate of row 2."]]


def test_a_sku_matching_several_skus_that_differ_in_case_is_refused_clearly():
    VariantFactory(sku="Dup-1")
    VariantFactory(sku="DUP-1")
    checked = validate(KINDS["products"], [{"sku": "dup-1", "product_code": "D"}])
    assert [list(e) for e in checked.errors] == [[2, "SKU dup-1 matches several SKUs that differ only in upper and "
                                                     "lower case (DUP-1, Dup-1); write it exactly as one of them."]]
    assert validate(KINDS["products"], [{"sku": "Dup-1", "product_code": "D"}]).errors == []


def test_stock_imports_match_skus_in_any_case_too(role_client):
    client = role_client("warehouse")
    variant = VariantFactory(sku="VST024-PRT-M")
    LocationFactory(code="DC-SP")
    job = _upload(client, "stock", "sku,location,on_hand\nvst024-prt-m,dc-sp,7\n")
    assert job.status == ImportJob.Status.READY, job.errors
    _confirm(client, job)
    assert job.status == ImportJob.Status.DONE
    assert StockLevel.objects.get(variant=variant).on_hand == 7

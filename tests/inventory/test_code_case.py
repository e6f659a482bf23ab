"""Location and supplier codes are read in any case by the import files (a stock file's "dc-sp" is DC-SP), so two
codes that differ only in case cannot both exist: the second was saved, and the stock file's rows for one went
to whichever of the two the import happened to read last."""

import pytest
from django.urls import reverse

from inventory.imports import KINDS, apply, read_rows, validate
from inventory.models import Location, StockLevel, Supplier
from tests.inventory.factories import LocationFactory, SupplierFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_a_location_code_differing_only_in_case_is_refused_on_the_code_field(role_client):
    LocationFactory(code="DC-SP")
    client = role_client("admin")
    response = client.post(reverse("inventory:locations_create"), {
        "code": "dc-sp", "name": "Another", "kind": "store", "country": "BR", "handling_days": "1",
        "is_active": "on"})
    assert response.status_code == 422
    assert response.context["form"].errors["code"] == [
        "DC-SP already exists; codes that differ only in upper and lower case are the same code."]
    assert list(Location.objects.values_list("code", flat=True)) == ["DC-SP"]


def test_a_location_keeps_its_own_code_when_edited_in_another_case(role_client):
    location = LocationFactory(code="DC-SP")
    client = role_client("admin")
    response = client.post(reverse("inventory:locations_edit", args=[location.pk]), {
        "code": "Dc-Sp", "name": "Renamed", "kind": "store", "country": "BR", "handling_days": "1",
        "is_active": "on"})
    assert response.status_code == 302
    location.refresh_from_db()
    assert (location.code, location.name) == ("Dc-Sp", "Renamed")


def test_stock_file_rows_go_to_the_one_location_of_that_code():
    location = LocationFactory(code="DC-SP")
    variant = VariantFactory(sku="TEE-1")
    checked = validate(KINDS["stock"], read_rows(b"sku,location,on_hand\nTEE-1,dc-sp,7\n", "f.csv"))
    assert checked.errors == []
    apply(KINDS["stock"], checked.rows, acting_user=None, reference="test")
    assert StockLevel.objects.get(variant=variant).location_id == location.pk


def test_a_supplier_code_differing_only_in_case_is_refused_and_a_file_updates_the_supplier(role_client):
    supplier = SupplierFactory(code="ACME", name="Acme")
    client = role_client("manager")
    response = client.post(reverse("inventory:suppliers_create"), {
        "code": "acme", "name": "Acme 2", "currency": "BRL", "lead_time_days": "5", "is_active": "on"})
    assert response.status_code == 422
    assert response.context["form"].errors["code"] == [
        "ACME already exists; codes that differ only in upper and lower case are the same code."]
    checked = validate(KINDS["suppliers"], read_rows("code,name\nacme,Acme Têxtil\n".encode(), "f.csv"))
    assert checked.errors == []
    apply(KINDS["suppliers"], checked.rows, acting_user=None, reference="test")
    assert list(Supplier.objects.values_list("code", "name")) == [("ACME", "Acme Têxtil")]
    supplier.refresh_from_db()
    assert supplier.name == "Acme Têxtil"

import pytest
from django.urls import reverse

from inventory.models import ImportJob, PurchaseOrder, StockLevel, StockMovement, Transfer
from inventory.services import StockLine, po_create, po_send, stock_reserve
from tests.inventory.factories import (
    LocationFactory,
    ProductFactory,
    ReorderRuleFactory,
    SupplierFactory,
    SupplierItemFactory,
    VariantFactory,
)


def _many_products(n, location, stock):
    for _ in range(n):
        product = ProductFactory()
        for _ in range(2):
            stock(VariantFactory(product=product), location, 3)


@pytest.mark.parametrize("n", [2, 12])
def test_product_list_query_count_does_not_grow(role_client, location, stock, django_assert_max_num_queries, n):
    client = role_client("agent")
    _many_products(n, location, stock)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("inventory:product_list"), {"sort": "-on_hand"})
    assert response.status_code == 200
    assert response.content.count(b"/inventory/products/") >= n


def test_product_search_and_detail(role_client, location, stock):
    client = role_client("agent")
    product = ProductFactory(name="Camiseta Azul")
    variant = VariantFactory(product=product, search_text="tee-1 camiseta azul")
    stock(variant, location, 4)
    response = client.get(reverse("inventory:product_list"), {"q": "azul"}, HTTP_HX_REQUEST="true")
    assert b"Camiseta Azul" in response.content
    assert b"<html" not in response.content
    response = client.get(reverse("inventory:product_detail", args=[product.pk]), {"reason": "receipt"})
    assert response.status_code == 200
    assert variant.sku.encode() in response.content
    assert b"4 / 0" in response.content


def test_stock_adjust_form(role_client, variant, location, stock):
    client = role_client("warehouse")
    stock(variant, location, 5)
    url = reverse("inventory:stock_adjust")
    response = client.post(url, {"sku": variant.sku, "location": location.pk, "delta": "-2", "reason": "Broken"})
    assert response.status_code == 302
    assert StockLevel.objects.get().on_hand == 3
    response = client.post(url, {"sku": "NOPE", "location": location.pk, "delta": "1", "reason": "x"})
    assert response.status_code == 422
    assert b"Unknown SKU or barcode" in response.content
    response = client.post(url, {"sku": variant.sku, "location": location.pk, "delta": "-9", "reason": "x"})
    assert response.status_code == 422
    assert StockLevel.objects.get().on_hand == 3


def test_stock_count_form_refuses_below_reserved(role_client, variant, location, stock):
    client = role_client("warehouse")
    stock(variant, location, 5)
    stock_reserve(lines=[StockLine(variant.pk, location.pk, 3)], reference="o", acting_user=None)
    url = reverse("inventory:stock_count")
    response = client.post(url, {"sku": variant.barcode, "location": location.pk, "counted": "2"})
    assert response.status_code == 422
    assert StockLevel.objects.get().on_hand == 5
    response = client.post(url, {"sku": variant.barcode, "location": location.pk, "counted": "4"})
    assert response.status_code == 302
    assert StockLevel.objects.get().on_hand == 4


def test_transfer_screens(role_client, variant, stock):
    client = role_client("warehouse")
    source, target = LocationFactory(), LocationFactory()
    stock(variant, source, 5)
    response = client.post(reverse("inventory:transfer_create"), {
        "from_location": source.pk, "to_location": target.pk, "lines": f"{variant.sku} 2\nBAD 1"})
    assert response.status_code == 422
    assert b"unknown SKU BAD" in response.content
    assert not Transfer.objects.exists()
    response = client.post(reverse("inventory:transfer_create"), {
        "from_location": source.pk, "to_location": target.pk, "lines": f"{variant.sku} 2"})
    transfer = Transfer.objects.get()
    assert response["Location"] == reverse("inventory:transfer_detail", args=[transfer.pk])
    client.post(reverse("inventory:transfer_action", args=[transfer.pk, "ship"]))
    client.post(reverse("inventory:transfer_action", args=[transfer.pk, "receive"]))
    response = client.post(reverse("inventory:transfer_action", args=[transfer.pk, "receive"]), follow=True)
    assert b"is already received" in response.content
    assert StockLevel.objects.get(location=target).on_hand == 2
    assert client.get(reverse("inventory:transfer_list")).status_code == 200


def test_purchase_order_screens_and_pdf(role_client, variant, location):
    manager = role_client("manager")
    supplier = SupplierFactory()
    response = manager.post(reverse("inventory:po_create"), {
        "supplier": supplier.pk, "location": location.pk, "lines": f"{variant.sku} 10 7.50"})
    po = PurchaseOrder.objects.get()
    assert response.status_code == 302
    assert po.lines.get().unit_cost == 7.5
    manager.post(reverse("inventory:po_action", args=[po.pk, "send"]))
    pdf = manager.get(reverse("inventory:po_pdf", args=[po.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert manager.get(reverse("inventory:po_list")).status_code == 200


def test_po_receive_screen(client, make_user, variant, location):
    client.force_login(make_user("warehouse"))
    po = po_create(supplier_id=SupplierFactory().pk, location_id=location.pk, lines=[(variant.pk, 10, None)],
                   acting_user=None)
    po_send(po_id=po.pk, acting_user=None)
    line = po.lines.get()
    url = reverse("inventory:po_receive", args=[po.pk])
    response = client.post(url, {f"line-{line.pk}": "abc"})
    assert response.status_code == 422
    response = client.post(url, {f"line-{line.pk}": "11"})
    assert response.status_code == 422
    assert not StockMovement.objects.exists()
    response = client.post(url, {f"line-{line.pk}": "4"})
    assert response.status_code == 302
    assert StockLevel.objects.get().on_hand == 4


def test_reorder_alert_screens(role_client, location):
    client = role_client("manager")
    variant = VariantFactory()
    SupplierItemFactory(variant=variant)
    ReorderRuleFactory(variant=variant, location=location)
    response = client.post(reverse("inventory:reorder_run"), {"draft": "1"}, follow=True)
    assert response.status_code == 200
    assert b"1 new alert(s)" in response.content
    assert PurchaseOrder.objects.count() == 1
    assert client.get(reverse("inventory:reorder_rules")).status_code == 200
    assert client.get(reverse("inventory:overstock")).status_code == 200


def test_stock_import_preview_then_apply(role_client, variant, location):
    client = role_client("warehouse")
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("s.csv", (f"sku,location,on_hand\n{variant.sku},{location.code},-1\n"
                                       f"NOPE,{location.code},3\n{variant.sku},XX,2\n").encode())
    response = client.post(reverse("inventory:import_stock"), {"file": bad}, follow=True)
    job = ImportJob.objects.get()
    assert job.status == "invalid"
    assert [e[0] for e in job.errors] == [2, 3, 4]
    assert b"Unknown SKU NOPE" in response.content
    assert not StockLevel.objects.exists()
    good = SimpleUploadedFile("s.csv", f"sku,location,on_hand,safety_stock\n{variant.sku},{location.code},12,2\n"
                              .encode())
    response = client.post(reverse("inventory:import_stock"), {"file": good}, follow=True)
    job = ImportJob.objects.latest("id")
    assert job.status == "ready"
    assert not StockLevel.objects.exists()
    client.post(reverse("inventory:import_job", args=[job.pk]), {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == "done"
    level = StockLevel.objects.get()
    assert (level.on_hand, level.safety_stock) == (12, 2)
    assert StockMovement.objects.get().reason == "import"


def test_export_stock_csv(role_client, variant, location, stock):
    stock(variant, location, 3)
    response = role_client("agent").get(reverse("inventory:export_stock"))
    assert response.content.decode().splitlines() == ["sku,location,on_hand,safety_stock",
                                                      f"{variant.sku},{location.code},3,0"]


def test_an_adjustment_form_sent_twice_adjusts_once(role_client):
    """A double click on the adjustment form removed the 3 damaged units twice (on hand 10 -> 4)."""
    from inventory.models import StockLevel, StockMovement
    from inventory.services import StockLine, stock_receive
    from tests.inventory.factories import LocationFactory, VariantFactory

    variant, location = VariantFactory(sku="TEE-1"), LocationFactory(code="SP2")
    stock_receive(lines=[StockLine(variant.pk, location.pk, 10)], reference="po:1", acting_user=None)
    client = role_client("warehouse")
    url = reverse("inventory:stock_adjust")
    page = client.get(url)
    once = page.context["form"]["once"].value()
    assert once and f'type="hidden" name="once" value="{once}"' in page.content.decode()
    assert 'for="id_once"' not in page.content.decode()  # a hidden field, without a label
    form = {"sku": "TEE-1", "location": location.pk, "delta": "-3", "reason": "Damaged", "once": once}
    assert client.post(url, form).status_code == 302
    again = client.post(url, form)
    assert again.status_code == 422
    assert "This adjustment is already recorded (the form was sent twice); on hand is 7." in again.content.decode()
    assert StockLevel.objects.get(variant=variant, location=location).on_hand == 7
    assert StockMovement.objects.filter(reason="adjustment").count() == 1
    # A new form (after the redirect) is a new adjustment.
    fresh = client.get(url).context["form"]["once"].value()
    assert fresh != once
    assert client.post(url, dict(form, once=fresh)).status_code == 302
    assert StockLevel.objects.get(variant=variant, location=location).on_hand == 4


def test_a_count_form_sent_twice_counts_once_and_does_not_count_over_stock_that_moved(role_client):
    """A double click on the count form applied the count twice: stock that left the shelf between the two copies
    (an order shipped) came back on hand, counted over."""
    from inventory.models import StockLevel, StockMovement
    from inventory.services import StockLine, stock_adjust, stock_receive
    from tests.inventory.factories import LocationFactory, VariantFactory

    variant, location = VariantFactory(sku="TEE-1"), LocationFactory(code="SP2")
    stock_receive(lines=[StockLine(variant.pk, location.pk, 10)], reference="po:1", acting_user=None)
    client = role_client("warehouse")
    url = reverse("inventory:stock_count")
    once = client.get(url).context["form"]["once"].value()
    form = {"sku": "TEE-1", "location": location.pk, "counted": "8", "once": once}
    assert client.post(url, form).status_code == 302
    stock_adjust(variant_id=variant.pk, location_id=location.pk, delta=-1, reason="Sold at the counter",
                 acting_user=None)
    again = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 422
    assert "This count is already recorded (the form was sent twice); on hand is 7." in again.content.decode()
    assert StockLevel.objects.get(variant=variant, location=location).on_hand == 7
    assert StockMovement.objects.filter(reason="count").count() == 1

"""What the inventory pages render for reading in Portuguese and Arabic: codes and date-times kept on one line,
a per-location stock table that fits a laptop screen, and our own words for "Import", "To" and "Delete"
(msgids shared with django-import-export and other catalogues took theirs: "إستيراد", "Até" for a place)."""

import re

import pytest
from django.urls import reverse

from inventory.models import ImportJob
from inventory.services import StockLine, stock_receive
from tests.inventory.factories import (
    LocationFactory,
    ProductFactory,
    ReorderRuleFactory,
    SupplierFactory,
    SupplierItemFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def product_with_stock(db):
    product = ProductFactory(code="CAS003")
    variant = VariantFactory(product=product, sku="CAS003-UN", barcode="7891000000483")
    for code in ("DC-SP", "LJ-BH", "LJ-CWB", "LJ-RJ", "LJ-SP"):
        location = LocationFactory(code=code, name=f"Loja {code}")
        stock_receive(lines=[StockLine(variant.pk, location.pk, 5)], reference="demo:seed", acting_user=None)
    return product


def _page(client, url, language, **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["pt-br", "ar"])
def test_product_stock_table_has_short_location_headers_and_whole_skus(role_client, product_with_stock, language):
    html = _page(role_client("admin"), reverse("inventory:product_detail", args=[product_with_stock.pk]), language)
    table = html[html.index('<div class="table-wrap inv-stock-wrap">'):]
    table = table[:table.index("</table>")]
    header = table[:table.index("</thead>")]
    # One short header per location (its code, kept whole), the long text in its title, said once above.
    assert len(re.findall(r'<th scope="col" class="num" title="[^"]+"><bdi dir="ltr">(?:DC|LJ)-[A-Z]+</bdi>',
                          header)) == 5
    assert "<small>" not in header.replace("<small>" + ("Código de barras" if language == "pt-br" else "الباركود"),
                                           "")
    assert ("em estoque / reservado" if language == "pt-br" else "المتوفر / المحجوز") in html
    # The SKU (kept in view while the table scrolls sideways) and its barcode never break at a hyphen.
    assert '<th scope="row" class="inv-sticky"><bdi dir="ltr">CAS003-UN</bdi>' in table
    assert '<bdi dir="ltr">7891000000483</bdi>' in table
    assert "css/inventory.css" in html


def test_reorder_alerts_keep_codes_and_times_on_one_line(role_client):
    location = LocationFactory(code="DC-SP")
    variant = VariantFactory(sku="VST029-BRC-PP")
    SupplierItemFactory(variant=variant)
    ReorderRuleFactory(variant=variant, location=location)
    client = role_client("manager")
    client.post(reverse("inventory:reorder_run"), {"draft": "1"})
    for language in ("pt-br", "ar"):
        html = _page(client, reverse("inventory:reorder_alerts"), language, status="")
        assert '<bdi dir="ltr">DC-SP</bdi>' in html
        assert re.search(r'<a href="/inventory/purchase-orders/\d+/"><bdi dir="ltr">PO-\d{6}</bdi></a>', html)
        assert '<bdi dir="ltr">VST029-BRC-PP</bdi>' in html
        assert re.search(r'<td class="inv-nowrap"><time datetime="[^"]+">[^<]+</time></td>', html)
        assert "css/inventory.css" in html


def test_import_pages_and_movements_say_import_with_our_words_in_arabic(role_client, product_with_stock):
    client = role_client("admin")
    html = _page(client, reverse("inventory:import_stock"), "ar")
    assert "<h1>استيراد: " in html
    assert "إستيراد" not in html
    job = ImportJob.objects.create(kind="stock", filename="s.csv", data=b"", created_by=client.user)
    html = _page(client, reverse("inventory:import_job", args=[job.pk]), "ar")
    assert "<h1>استيراد: " in html
    assert "إستيراد" not in html
    html = _page(client, reverse("inventory:product_detail", args=[product_with_stock.pk]), "ar",
                 reason="import")
    assert "إستيراد" not in html
    html = _page(client, reverse("inventory:import_products"), "pt-br")
    assert "<h1>Importação: " in html


def test_import_reason_and_import_buttons_in_portuguese_and_arabic(role_client, product_with_stock):
    from inventory.models import StockMovement

    client = role_client("admin")
    variant = product_with_stock.variants.get()
    location = LocationFactory(code="IMP-1")
    StockMovement.objects.create(variant=variant, location=location, on_hand_delta=1, reason="import",
                                 reference="import:1")
    html = _page(client, reverse("inventory:product_detail", args=[product_with_stock.pk]), "ar",
                 reference="import:1")
    assert "<td>استيراد</td>" in html
    html = _page(client, reverse("inventory:product_list"), "pt-br")
    assert ">Importar</a>" in html


def test_to_is_a_destination_on_transfers_and_the_end_of_a_date_range_on_movements(role_client,
                                                                                    product_with_stock):
    client = role_client("admin")
    html = _page(client, reverse("inventory:transfer_create"), "pt-br")
    assert re.search(r"<label[^>]*>Para", html)
    assert "Até" not in html
    html = _page(client, reverse("inventory:transfer_list"), "pt-br")
    assert ">Para </a></th>" in html
    html = _page(client, reverse("inventory:product_detail", args=[product_with_stock.pk]), "pt-br")
    assert 'Até <input type="date" name="until"' in html


def test_movement_deltas_keep_their_sign_in_front_in_arabic(role_client, product_with_stock):
    html = _page(role_client("admin"), reverse("inventory:product_detail", args=[product_with_stock.pk]), "ar")
    movements = html[html.index('<div id="movements">'):]
    assert '<td class="num"><bdi dir="ltr">+5</bdi></td>' in movements
    assert '<td><bdi dir="ltr">CAS003-UN</bdi></td><td><bdi dir="ltr">DC-SP</bdi></td>' in movements


@pytest.mark.django_db
def test_supplier_names_are_isolated_so_a_final_period_stays_at_their_end(role_client):
    """In an Arabic table "Têxtil Sul Ltda." showed as ".Têxtil Sul Ltda": the final period, neutral, took the
    cell's right-to-left direction. Supplier names sit in <bdi> wherever the inventory pages list them."""
    from decimal import Decimal

    from inventory.services import po_create

    supplier = SupplierFactory(name="Têxtil Sul Ltda.")
    variant = VariantFactory()
    ReorderRuleFactory(variant=variant, preferred_supplier=supplier)
    po_create(supplier_id=supplier.pk, location_id=LocationFactory().pk, lines=[(variant.pk, 2, Decimal("5"))],
              acting_user=None)
    client = role_client("admin")
    client.cookies["django_language"] = "ar"
    for url in (reverse("inventory:supplier_list"), reverse("inventory:supplier_detail", args=[supplier.pk]),
                reverse("inventory:po_list"), reverse("inventory:reorder_rules")):
        assert "<bdi>Têxtil Sul Ltda.</bdi>" in client.get(url).content.decode(), url

"""Purchase order PDF: user text is printed literally, never parsed as reportlab markup."""

from decimal import Decimal

import pytest

from inventory.documents import purchase_order_pdf
from inventory.services import po_create
from oms.pdf import text
from tests.inventory.factories import LocationFactory, SupplierFactory, VariantFactory
from tests.pdf import pdf_text

MARKUP = '<font size="40" color="red">BIG</font>'
IMAGE = '<img src="/etc/hostname" width="50" height="50"/>'



def test_text_escapes_markup_and_keeps_plain_text():
    assert text('<b>A & B</b>') == "&lt;b&gt;A &amp; B&lt;/b&gt;"
    assert text("Rua São João, 12") == "Rua São João, 12"
    assert text(None) == ""
    assert text(12) == "12"


@pytest.mark.django_db
def test_purchase_order_pdf_prints_markup_from_every_user_field_literally():
    supplier = SupplierFactory(name=MARKUP, address=f"Street {IMAGE}")
    location = LocationFactory(name="Depot <i>x</i>", city="A & B")
    variant = VariantFactory(name=f"Part {IMAGE}")
    po = po_create(supplier_id=supplier.pk, location_id=location.pk, lines=[(variant.pk, 2, Decimal("4.00"))],
                   acting_user=None, notes=MARKUP)
    data = purchase_order_pdf(po)
    page = pdf_text(data)
    assert page.count("<font size=") == 2  # supplier name and notes
    assert page.count("<img src=") == 2  # supplier address and line description
    assert "Depot <i>x</i>" in page
    assert "A & B" in page
    assert b"/Subtype /Image" not in data

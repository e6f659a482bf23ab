"""Warehouse PDFs (pick list, packing slip, label): what users and channels typed is printed literally, and the
documents read in Arabic (letters joined, in a font that has them) as well as in English."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from orders.fulfilment.models import Shipment
from orders.models import Order
from tests.pdf import pdf_declared, pdf_fonts, pdf_text, shaped

pytestmark = pytest.mark.django_db

MARKUP = '<font size="40" color="red">BIG</font>'
IMAGE = '<img src="/etc/hostname" width="50" height="50"/>'
ARABIC_NAME = "محمد العلي"


@pytest.fixture
def shipment(make_user, role_client, net, place_order):
    """A released shipment whose item name and street hold markup, for an order to a recipient with an Arabic
    name."""
    order = place_order(make_user("agent"), [(net["shirt"], 1)])
    Order.objects.filter(pk=order.pk).update(shipping_address={
        **order.shipping_address, "recipient": ARABIC_NAME, "street": f"Rua {MARKUP} {IMAGE}"})
    order.lines.update(name=f"Shirt {IMAGE}")
    role_client("warehouse").post(reverse("orders:fulfilment_release", args=[order.pk]))
    return Shipment.objects.get(order=order)


def documents(client, shipment, net) -> dict[str, bytes]:
    found = {"pick list": client.get(reverse("orders:fulfilment_pick_list"),
                                     {"location": net["store"].pk, "format": "pdf"})}
    for kind in ("slip", "label"):
        found[kind] = client.get(reverse("orders:fulfilment_shipment_pdf", args=[shipment.pk, kind]))
    assert {name: r.status_code for name, r in found.items()} == dict.fromkeys(found, 200)
    return {name: r.content for name, r in found.items()}


def test_warehouse_pdfs_print_markup_in_names_and_addresses_literally(role_client, shipment, net):
    pdfs = documents(role_client("warehouse"), shipment, net)
    for name, data in pdfs.items():
        assert b"/Subtype /Image" not in data, name  # no server file read into the page
    assert f"Shirt {IMAGE}" in pdf_text(pdfs["pick list"]) and f"Shirt {IMAGE}" in pdf_text(pdfs["slip"])
    assert f"Rua {MARKUP} {IMAGE}" in pdf_text(pdfs["label"])
    assert shaped(ARABIC_NAME) in pdf_text(pdfs["label"])  # a name in Arabic letters, joined, in an English label


def test_warehouse_pdfs_in_arabic_use_a_font_with_arabic_letters_and_join_them(role_client, shipment, net):
    client = role_client("warehouse")
    client.cookies["django_language"] = "ar"
    pdfs = documents(client, shipment, net)
    with translation.override("ar"):
        titles = {"pick list": _("Pick list"), "slip": _("Packing slip"), "label": _("Tracking: %(t)s") % {"t": ""}}
    for name, data in pdfs.items():
        assert "DejaVuSans" in pdf_fonts(data), name  # reportlab's own fonts have no Arabic letters
        text = pdf_text(data)
        assert shaped(titles[name].strip(" :")) in text, name
        assert titles[name].strip(" :") not in text, name  # unjoined letters would be the logical ones
    with translation.override("ar"):
        headings = {"pick list": _("Pick list"), "slip": _("Packing slip"), "label": _("Shipping label %(shipment)s")
                    % {"shipment": ""}}
    for name, data in pdfs.items():
        title, language, shows_title = pdf_declared(data)  # what a screen reader and the viewer's window read
        assert language == "ar" and shows_title and title.startswith(headings[name].strip()), (name, title)

"""Warehouse documents: pick list (by location and wave), packing slip and shipping label placeholder (PDF)."""

from io import BytesIO

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from orders.documents import TABLE_STYLE
from orders.models import format_address


def _doc(title: str, pagesize=A4):
    buffer = BytesIO()
    margin = 8 * mm if pagesize == A6 else 15 * mm
    doc = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=margin, title=title)
    return buffer, doc


def pick_list_pdf(*, location, wave: str, rows: list[dict]) -> bytes:
    """``rows``: dicts with sku, name, barcode, quantity, shipments (labels)."""
    styles = getSampleStyleSheet()
    buffer, doc = _doc(f"Pick list {location.code} {wave}")
    story = [Paragraph(f"<b>{_('Pick list')}</b> {location.code} · {location.name}", styles["Title"]),
             Paragraph(_("Wave: %(wave)s") % {"wave": wave or _("all")}, styles["Normal"]), Spacer(1, 5 * mm)]
    table = [[_("SKU"), _("Item"), _("Qty"), _("Barcode"), _("Shipments")]]
    for row in rows:
        table.append([row["sku"], Paragraph(row["name"]), str(row["quantity"]), row["barcode"] or "",
                      Paragraph(", ".join(row["shipments"]))])
    story.append(Table(table, colWidths=[30 * mm, 60 * mm, 12 * mm, 32 * mm, 46 * mm], style=TABLE_STYLE,
                       repeatRows=1))
    doc.build(story)
    return buffer.getvalue()


def packing_slip_pdf(shipment) -> bytes:
    styles = getSampleStyleSheet()
    order = shipment.order
    buffer, doc = _doc(f"Packing slip {shipment}")
    story = [Paragraph(f"<b>{_('Packing slip')}</b> {order.number} · {shipment}", styles["Title"]),
             Paragraph(_("From: %(loc)s") % {"loc": shipment.location.name}, styles["Normal"]),
             Paragraph(_("Ship to: %(address)s") % {"address": format_address(order.shipping_address) or "-"},
                       styles["Normal"]), Spacer(1, 5 * mm)]
    table = [[_("SKU"), _("Item"), _("Qty"), _("Packed")]]
    for sl in shipment.lines.select_related("order_line"):
        table.append([sl.order_line.sku, Paragraph(sl.order_line.name), str(sl.quantity), str(sl.packed_quantity)])
    story.append(Table(table, colWidths=[35 * mm, 100 * mm, 20 * mm, 20 * mm], style=TABLE_STYLE, repeatRows=1))
    doc.build(story)
    return buffer.getvalue()


def label_pdf(shipment) -> bytes:
    """A placeholder label (A6): the carrier's own label replaces it when a carrier integration exists."""
    styles = getSampleStyleSheet()
    order = shipment.order
    address = order.shipping_address or {}
    if shipment.kind == shipment.Kind.TRANSFER and order.pickup_location_id:
        store = order.pickup_location
        address = {"recipient": store.name, "street": store.address_line1, "number": "", "city": store.city,
                   "state": store.state, "postal_code": store.postal_code}
    buffer, doc = _doc(f"Label {shipment}", pagesize=A6)
    story = [Paragraph(f"<b>{shipment.carrier or _('Carrier')}</b> {shipment.service}", styles["Heading2"]),
             Paragraph(_("Tracking: %(t)s") % {"t": shipment.tracking_number or "-"}, styles["Normal"]),
             Spacer(1, 4 * mm),
             Paragraph(f"<b>{address.get('recipient', '')}</b>", styles["Normal"]),
             Paragraph(format_address(address) or "-", styles["Normal"]), Spacer(1, 4 * mm),
             Paragraph(_("From: %(loc)s") % {"loc": shipment.location.name}, styles["Normal"]),
             Paragraph(_("Order %(n)s · %(s)s") % {"n": order.number, "s": shipment}, styles["Normal"]),
             Paragraph(_("PLACEHOLDER - not a carrier label"), styles["Normal"])]
    doc.build(story)
    return buffer.getvalue()

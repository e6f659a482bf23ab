"""Warehouse documents: pick list (by location and wave), packing slip and shipping label placeholder (PDF).

Drawn with ``oms.pdf``: names and addresses come from users and channels and are printed literally, in any of
the three languages."""

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from oms.pdf import cell_width, new_document, para, styles, table
from orders.models import format_address


def pick_list_pdf(*, location, wave: str, rows: list[dict]) -> bytes:
    """``rows``: dicts with sku, name, barcode, quantity, shipments (labels)."""
    style = styles()
    cell = style["cell"]
    heading = _("Pick list")  # makemessages reads no call inside an f-string
    title = f"{heading} {location.code} · {location.name}"
    buffer, doc = new_document(title)
    story = [para(title, style["title"], doc.width),
             para(_("Wave: %(wave)s") % {"wave": wave or _("all")}, style["normal"], doc.width), Spacer(1, 5 * mm)]
    widths = [30 * mm, 60 * mm, 12 * mm, 32 * mm, 46 * mm]
    cells = [[_("SKU"), _("Item"), _("Qty"), _("Barcode"), _("Shipments")]]
    for row in rows:
        cells.append([row["sku"], para(row["name"], cell, cell_width(widths[1])), str(row["quantity"]),
                      row["barcode"] or "", para(", ".join(row["shipments"]), cell, cell_width(widths[4]))])
    story.append(table(cells, widths, numeric=[2]))
    doc.build(story)
    return buffer.getvalue()


def packing_slip_pdf(shipment) -> bytes:
    style = styles()
    cell = style["cell"]
    order = shipment.order
    heading = _("Packing slip")
    title = f"{heading} {order.number} · {shipment}"
    buffer, doc = new_document(title)
    story = [para(title, style["title"], doc.width),
             para(_("From: %(loc)s") % {"loc": shipment.location.name}, style["normal"], doc.width),
             para(_("Ship to: %(address)s") % {"address": format_address(order.shipping_address) or "-"},
                  style["normal"], doc.width), Spacer(1, 5 * mm)]
    widths = [35 * mm, 100 * mm, 20 * mm, 20 * mm]
    cells = [[_("SKU"), _("Item"), _("Qty"), _("Packed")]]
    for sl in shipment.lines.select_related("order_line"):
        cells.append([sl.order_line.sku, para(sl.order_line.name, cell, cell_width(widths[1])),
                      str(sl.quantity), str(sl.packed_quantity)])
    story.append(table(cells, widths, numeric=[2, 3]))
    doc.build(story)
    return buffer.getvalue()


def label_pdf(shipment) -> bytes:
    """A placeholder label (A6): the carrier's own label replaces it when a carrier integration exists."""
    style = styles()
    order = shipment.order
    address = order.shipping_address or {}
    if shipment.kind == shipment.Kind.TRANSFER and order.pickup_location_id:
        store = order.pickup_location
        address = {"recipient": store.name, "street": store.address_line1, "number": "", "city": store.city,
                   "state": store.state, "postal_code": store.postal_code}
    buffer, doc = new_document(_("Shipping label %(shipment)s") % {"shipment": shipment}, pagesize=A6,
                               margin=8 * mm)
    width = doc.width
    carrier = shipment.carrier or _("Carrier")
    story = [para(f"{carrier} {shipment.service}", style["heading"], width),
             para(_("Tracking: %(t)s") % {"t": shipment.tracking_number or "-"}, style["normal"], width),
             Spacer(1, 4 * mm),
             para(address.get("recipient", ""), style["heading"], width),
             para(format_address(address) or "-", style["normal"], width), Spacer(1, 4 * mm),
             para(_("From: %(loc)s") % {"loc": shipment.location.name}, style["normal"], width),
             para(_("Order %(n)s · %(s)s") % {"n": order.number, "s": shipment}, style["normal"], width),
             para(_("PLACEHOLDER - not a carrier label"), style["normal"], width)]
    doc.build(story)
    return buffer.getvalue()

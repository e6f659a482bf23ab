"""Printable documents: invoice and packing slip PDFs (reportlab, drawn in memory)."""

from io import BytesIO

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from oms.pdf import Paragraph, text
from oms.templatetags.oms_tags import money
from orders.models import Order, format_address


def _doc(title: str):
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=title)
    return buffer, doc


def _header(order: Order, title: str) -> list:
    styles = getSampleStyleSheet()
    customer = order.customer
    rows = [
        Paragraph(f"<b>{text(title)}</b> {text(order.number)}", styles["Title"]),
        Paragraph(_("Placed: %(when)s · Channel: %(channel)s") % {
            "when": order.placed_at.strftime("%Y-%m-%d %H:%M") if order.placed_at else "-",
            "channel": text(order.channel.name)}, styles["Normal"]),
        Spacer(1, 4 * mm),
        Paragraph(_("Customer: %(name)s %(tax)s") % {"name": text(customer.name) if customer else "-",
                                                      "tax": text(customer.tax_id) if customer else ""},
                  styles["Normal"]),
        Paragraph(_("Ship to: %(address)s") % {"address": text(format_address(order.shipping_address) or "-")},
                  styles["Normal"]),
        Spacer(1, 6 * mm),
    ]
    return rows


TABLE_STYLE = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
    ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


def invoice_pdf(order: Order) -> bytes:
    buffer, doc = _doc(f"Invoice {order.number}")
    story = _header(order, _("Invoice"))
    rows = [[_("SKU"), _("Item"), _("Qty"), _("Unit price"), _("Discount"), _("Tax"), _("Total")]]
    for line in order.lines.all():
        if line.status == line.Status.CANCELLED:
            continue
        rows.append([line.sku, Paragraph(text(line.name)), str(line.quantity), money(line.unit_price, order.currency),
                     money(line.discount_total, order.currency), money(line.tax_amount, order.currency),
                     money(line.line_total, order.currency)])
    for label, amount in [(_("Subtotal"), order.subtotal), (_("Discounts"), -order.discount_total),
                          (_("Shipping"), order.shipping_total), (_("Tax"), order.tax_total),
                          (_("Total"), order.total)]:
        rows.append(["", "", "", "", "", label, money(amount, order.currency)])
    table = Table(rows, colWidths=[28 * mm, 62 * mm, 12 * mm, 22 * mm, 20 * mm, 18 * mm, 22 * mm], repeatRows=1)
    table.setStyle(TABLE_STYLE)
    story.append(table)
    doc.build(story)
    return buffer.getvalue()


def packing_slip_pdf(order: Order) -> bytes:
    buffer, doc = _doc(f"Packing slip {order.number}")
    story = _header(order, _("Packing slip"))
    rows = [[_("SKU"), _("Item"), _("Qty"), _("From"), _("Personalization")]]
    for line in order.lines.prefetch_related("allocations__location"):
        if line.status == line.Status.CANCELLED:
            continue
        personalization = "; ".join(f"{k}: {v}" for k, v in (line.personalization or {}).items())
        parts = list(line.allocations.all())
        source = " + ".join(f"{p.location.code} × {p.quantity}" if len(parts) > 1 else p.location.code
                            for p in parts) or "-"
        rows.append([line.sku, Paragraph(text(line.name)), str(line.quantity), Paragraph(text(source)),
                     Paragraph(text(personalization))])
    table = Table(rows, colWidths=[30 * mm, 70 * mm, 14 * mm, 20 * mm, 46 * mm], repeatRows=1)
    table.setStyle(TABLE_STYLE)
    story.append(table)
    if order.notes:
        story += [Spacer(1, 6 * mm), Paragraph(_("Notes: %(notes)s") % {"notes": text(order.notes)},
                                                getSampleStyleSheet()["Normal"])]
    doc.build(story)
    return buffer.getvalue()

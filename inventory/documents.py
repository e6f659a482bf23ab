"""The purchase order PDF sent to the supplier (reportlab)."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from inventory.models import PurchaseOrder
from oms.money import quantize
from oms.pdf import Paragraph, text


def purchase_order_pdf(po: PurchaseOrder) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=po.number)
    styles = getSampleStyleSheet()
    supplier, location = po.supplier, po.location
    story = [
        Paragraph(text(_("Purchase order %(number)s") % {"number": po.number}), styles["Title"]),
        Paragraph(text(_("Date: %(date)s") % {"date": (po.sent_at or po.created_at or timezone.now()).date()}),
                  styles["Normal"]),
        Spacer(1, 4 * mm),
        Paragraph(f"<b>{text(_('Supplier'))}</b>: {text(supplier.name)} ({text(supplier.code)})<br/>"
                  f"{text(supplier.email)} {text(supplier.phone)}<br/>{text(supplier.address)}", styles["Normal"]),
        Spacer(1, 2 * mm),
        Paragraph(f"<b>{text(_('Deliver to'))}</b>: {text(location.name)}<br/>{text(location.address_line1)} "
                  f"{text(location.address_line2)}<br/>{text(location.postal_code)} {text(location.city)} "
                  f"{text(location.state)} {text(location.country)}", styles["Normal"]),
    ]
    if po.expected_on:
        story.append(Paragraph(text(_("Expected on: %(date)s") % {"date": po.expected_on}), styles["Normal"]))
    story.append(Spacer(1, 6 * mm))
    data = [[_("SKU"), _("Supplier SKU"), _("Description"), _("Qty"), _("Unit cost"), _("Total")]]
    supplier_skus = dict(supplier.items.values_list("variant_id", "supplier_sku"))
    total = 0
    for line in po.lines.select_related("variant").order_by("variant__sku"):
        amount = quantize(line.unit_cost * line.quantity_ordered, po.currency)
        total += amount
        data.append([line.variant.sku, supplier_skus.get(line.variant_id, ""), Paragraph(text(line.variant.name),
                     styles["BodyText"]), str(line.quantity_ordered), str(quantize(line.unit_cost, po.currency)),
                     str(amount)])
    data.append(["", "", "", "", _("Total"), f"{po.currency} {quantize(total, po.currency)}"])
    table = Table(data, colWidths=[30 * mm, 25 * mm, 60 * mm, 15 * mm, 25 * mm, 25 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3e7ee")),
        ("GRID", (0, 0), (-1, -2), 0.25, colors.grey),
        ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTNAME", (-2, -1), (-1, -1), "Helvetica-Bold"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story.append(table)
    if po.notes:
        story += [Spacer(1, 6 * mm), Paragraph(text(po.notes), styles["Normal"])]
    doc.build(story)
    return buffer.getvalue()

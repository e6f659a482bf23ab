"""The purchase order PDF sent to the supplier (reportlab, drawn with ``oms.pdf``)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from inventory.models import PurchaseOrder
from oms.money import quantize
from oms.pdf import cell_width, new_document, para, styles, table


def purchase_order_pdf(po: PurchaseOrder) -> bytes:
    title = _("Purchase order %(number)s") % {"number": po.number}
    buffer, doc = new_document(title)
    style = styles()
    normal, heading, cell, width = style["normal"], style["heading"], style["cell"], doc.width
    supplier, location = po.supplier, po.location
    story = [
        para(title, style["title"], width),
        para(_("Date: %(date)s") % {"date": (po.sent_at or po.created_at or timezone.now()).date()}, normal, width),
        Spacer(1, 4 * mm),
        para(_("Supplier"), heading, width),
        para(f"{supplier.name} ({supplier.code})", normal, width),
        para(f"{supplier.email} {supplier.phone}".strip(), normal, width),
        para(supplier.address, normal, width),
        Spacer(1, 2 * mm),
        para(_("Deliver to"), heading, width),
        para(location.name, normal, width),
        para(f"{location.address_line1} {location.address_line2}".strip(), normal, width),
        para(f"{location.postal_code} {location.city} {location.state} {location.country}".strip(), normal, width),
    ]
    if po.expected_on:
        story.append(para(_("Expected on: %(date)s") % {"date": po.expected_on}, normal, width))
    story.append(Spacer(1, 6 * mm))
    widths = [27 * mm, 36 * mm, 52 * mm, 14 * mm, 25 * mm, 26 * mm]
    rows = [[_("SKU"), _("Supplier SKU"), _("Description"), _("Qty"), _("Unit cost"), _("Total")]]
    supplier_skus = dict(supplier.items.values_list("variant_id", "supplier_sku"))
    total = 0
    for line in po.lines.select_related("variant").order_by("variant__sku"):
        amount = quantize(line.unit_cost * line.quantity_ordered, po.currency)
        total += amount
        rows.append([line.variant.sku, supplier_skus.get(line.variant_id, ""),
                     para(line.variant.name, cell, cell_width(widths[2])), str(line.quantity_ordered),
                     str(quantize(line.unit_cost, po.currency)), str(amount)])
    story.append(table(rows, widths, numeric=range(3, 6),
                       totals=[(_("Total"), f"{po.currency} {quantize(total, po.currency)}")]))
    if po.notes:
        story += [Spacer(1, 6 * mm), para(po.notes, normal, width)]
    doc.build(story)
    return buffer.getvalue()

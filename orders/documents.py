"""Printable documents: invoice and packing slip PDFs (reportlab, drawn in memory with ``oms.pdf``)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from oms.pdf import cell_width, new_document, para, styles, table
from oms.templatetags.oms_tags import money
from orders.models import Order, format_address


def _header(order: Order, title: str, width: float, style: dict) -> list:
    customer = order.customer
    return [
        para(title, style["title"], width),
        para(_("Placed: %(when)s · Channel: %(channel)s") % {
            "when": timezone.localtime(order.placed_at).strftime("%Y-%m-%d %H:%M") if order.placed_at else "-",
            "channel": order.channel.name}, style["normal"], width),
        Spacer(1, 4 * mm),
        para(_("Customer: %(name)s %(tax)s") % {
            "name": customer.name if customer else "-", "tax": customer.tax_id_display if customer else ""},
            style["normal"], width),
        para(_("Ship to: %(address)s") % {"address": format_address(order.shipping_address) or "-"},
             style["normal"], width),
        Spacer(1, 6 * mm),
    ]


def invoice_pdf(order: Order) -> bytes:
    heading = _("Invoice")  # makemessages reads no call inside an f-string
    title = f"{heading} {order.number}"
    buffer, doc = new_document(title)
    style = styles()
    story = _header(order, title, doc.width, style)
    cell = style["cell"]
    widths = [26 * mm, 56 * mm, 12 * mm, 22 * mm, 20 * mm, 20 * mm, 24 * mm]
    rows = [[_("SKU"), _("Item"), _("Qty"), _("Unit price"), _("Discount"), _("Tax"), _("Total")]]
    for line in order.lines.all():
        if line.status == line.Status.CANCELLED:
            continue
        rows.append([line.sku, para(line.name, cell, cell_width(widths[1])), str(line.quantity),
                     money(line.unit_price, order.currency), money(line.discount_total, order.currency),
                     money(line.tax_amount, order.currency), money(line.line_total, order.currency)])
    totals = [(label, money(amount, order.currency)) for label, amount in [
        (_("Subtotal"), order.subtotal), (_("Discounts"), -order.discount_total), (_("Shipping"), order.shipping_total),
        (_("Tax"), order.tax_total), (_("Total"), order.total)]]
    story.append(table(rows, widths, numeric=range(2, 7), totals=totals))
    doc.build(story)
    return buffer.getvalue()


def packing_slip_pdf(order: Order) -> bytes:
    heading = _("Packing slip")
    title = f"{heading} {order.number}"
    buffer, doc = new_document(title)
    style = styles()
    story = _header(order, title, doc.width, style)
    normal, cell = style["normal"], style["cell"]
    widths = [30 * mm, 70 * mm, 14 * mm, 20 * mm, 46 * mm]
    rows = [[_("SKU"), _("Item"), _("Qty"), _("From"), _("Personalization")]]
    for line in order.lines.select_related("variant__product").prefetch_related(
            "allocations__location", "variant__product__personalization_fields"):
        if line.status == line.Status.CANCELLED or line.variant.is_gift_card:  # a gift card is issued, not packed
            continue
        personalization = "; ".join(f"{label}: {value}" for label, value in line.personalization_items())
        parts = list(line.allocations.all())
        source = " + ".join(f"{p.location.code} × {p.quantity}" if len(parts) > 1 else p.location.code
                            for p in parts) or "-"
        rows.append([line.sku, para(line.name, cell, cell_width(widths[1])), str(line.quantity),
                     para(source, cell, cell_width(widths[3])), para(personalization, cell, cell_width(widths[4]))])
    story.append(table(rows, widths, numeric=[2]))
    if order.notes:
        story += [Spacer(1, 6 * mm), para(_("Notes: %(notes)s") % {"notes": order.notes}, normal, doc.width)]
    doc.build(story)
    return buffer.getvalue()

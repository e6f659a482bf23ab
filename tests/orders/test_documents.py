import base64
import re
import zlib

from orders.documents import invoice_pdf, packing_slip_pdf
from orders.models import Customer, Order


def page_text(data: bytes) -> str:
    chunks = []
    for match in re.finditer(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", data, re.S):
        header, body = match.groups()
        if b"ASCII85Decode" in header:
            body = base64.a85decode(body.strip().removesuffix(b"~>"))
        if b"FlateDecode" in header:
            body = zlib.decompress(body)
        chunks.append(body.decode("latin-1"))
    return "\n".join(chunks)


def test_documents_print_user_text_literally(role_client, place):
    client = role_client("agent")
    order = place(client.user)
    Customer.objects.filter(pk=order.customer_id).update(name="Ana & Bia <b>Ltda</b>")
    order.lines.update(name="Shoe <i>42</i> & co", personalization={"tag": "<b>X</b>"})
    Order.objects.filter(pk=order.pk).update(notes="Leave at <door> & ring")
    order = Order.objects.get(pk=order.pk)

    invoice = page_text(invoice_pdf(order))
    assert "Ana & Bia <b>Ltda</b>" in invoice
    assert "Shoe <i>42</i> & co" in invoice
    slip = page_text(packing_slip_pdf(order))
    assert "Ana & Bia <b>Ltda</b>" in slip
    assert "tag: <b>X</b>" in slip
    assert "Leave at <door> & ring" in slip

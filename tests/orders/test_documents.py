from django.urls import reverse

from orders.documents import invoice_pdf, packing_slip_pdf
from orders.models import Customer, Order
from tests.pdf import pdf_text


def test_documents_print_user_text_literally(role_client, place):
    client = role_client("agent")
    order = place(client.user)
    Customer.objects.filter(pk=order.customer_id).update(name="Ana & Bia <b>Ltda</b>")
    order.lines.update(name="Shoe <i>42</i> & co", personalization={"tag": "<b>X</b>"})
    Order.objects.filter(pk=order.pk).update(notes="Leave at <door> & ring")
    order = Order.objects.get(pk=order.pk)

    invoice = pdf_text(invoice_pdf(order))
    assert "Ana & Bia <b>Ltda</b>" in invoice
    assert "Shoe <i>42</i> & co" in invoice
    slip = pdf_text(packing_slip_pdf(order))
    assert "Ana & Bia <b>Ltda</b>" in slip
    assert "tag: <b>X</b>" in slip
    assert "Leave at <door> & ring" in slip


def test_an_invoice_in_arabic_is_drawn_in_a_font_with_arabic_letters_joined(role_client, place):
    from django.utils import translation
    from django.utils.translation import gettext as _

    from tests.pdf import pdf_fonts, shaped

    client = role_client("manager")
    order = place(client.user)
    Customer.objects.filter(pk=order.customer_id).update(name="محمد العلي")
    client.cookies["django_language"] = "ar"
    response = client.get(reverse("orders:order_invoice_pdf", args=[order.pk]))
    assert response.status_code == 200
    assert "DejaVuSans" in pdf_fonts(response.content)  # reportlab's own fonts have no Arabic letters
    text = pdf_text(response.content)
    with translation.override("ar"):
        labels = [_("Invoice"), _("Subtotal"), _("Total"), "محمد العلي"]
    for label in labels:
        assert shaped(label) in text and label not in text  # joined letters, not the unjoined logical ones
    assert order.number in text


def test_a_document_declares_its_title_and_the_readers_language(role_client, place):
    """A screen reader reads a PDF in the language it declares, and a viewer's window shows its title rather than
    "invoice.pdf": the invoice says both, in the language it was asked in."""
    from tests.pdf import pdf_declared

    client = role_client("manager")
    order = place(client.user)
    client.cookies["django_language"] = "pt-br"
    invoice = client.get(reverse("orders:order_invoice_pdf", args=[order.pk])).content
    title, language, shows_title = pdf_declared(invoice)
    assert language == "pt-BR" and shows_title
    assert title == f"Fatura {order.number}"  # the heading printed on it, in the language asked

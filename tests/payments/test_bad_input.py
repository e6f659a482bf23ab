"""Bad input on the finance pages gets a clear message naming what is wrong, and nothing half-applied."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from payments.models import GiftCard, Invoice, Payment, SettlementBatch, SupplierInvoice
from payments.services import invoice_issue, payment_authorize
from tests.payments.factories import issue_card, make_order
from tests.payments.test_purchasing import po  # noqa: F401 - the purchase-order fixture

NOT_PLAIN = "is not a plain number: write it with digits (1000, not 1e3)."

pytestmark = pytest.mark.django_db
D = Decimal
HEADER = "date,type,reference,amount,fee,currency\n"


def _upload(client, body: str):
    response = client.post(reverse("payments:settlement_upload"),
                           {"file": SimpleUploadedFile("settle.csv", body.encode(), "text/csv")})
    return response, [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(("row", "says"), [
    ("{day},capture,cap_1,NaN,0,BRL", "row 2: amount “NaN” is not a number"),
    ("{day},capture,cap_1,Infinity,0,BRL", "row 2: amount “Infinity” is not a number"),
    ("{day},capture,cap_1,1e30,0,BRL", "row 2: amount “1e30” is not a plain number"),
    ("{day},capture,cap_1,100000000000000000000,0,BRL", "row 2: amount “100000000000000000000” is too large"),
    ("{day},capture,cap_1,999999999999999999999999999999,0,BRL",  # more digits than Decimal rounds
     "row 2: amount “999999999999999999999999999999” is too large"),
    ("{day},capture,cap_1,10.00,1000000000000000000000000000000.5,BRL",
     "row 2: fee “1000000000000000000000000000000.5” is too large"),
    ("{day},capture,cap_1,10.00,NaN,BRL", "row 2: fee “NaN” is not a number"),
    ("{day},capture,cap_1,10.00,10.01,BRL", "row 2: the fee 10.01 is more than the amount 10.00"),
    ("{day},capture,cap\x00x,10.00,0,BRL", "row 2: a cell contains a NUL character"),
    ("{day},capture,cap_1,10.00,0,BRL,extra", "row 2: 1 more cell(s) than the 6 columns of the header"),
    ("{day},capture,cap_1,10.00,0,BRLX", "row 2: currency “BRLX” is not one of"),
])
def test_a_bad_settlement_row_is_named_and_nothing_is_imported(role_client, row, says):
    client = role_client("finance")
    body = HEADER + row.format(day=timezone.localdate().isoformat()) + "\n"
    response, messages = _upload(client, body)
    assert response.status_code == 302 and response["Location"] == reverse("payments:reconciliation")
    assert len(messages) == 1 and messages[0].startswith("Nothing was imported: ") and says in messages[0]
    assert ".." not in messages[0] and ".;" not in messages[0]  # each problem's own full stop is dropped
    assert not SettlementBatch.objects.exists()


def test_supplier_invoice_quantities_and_costs_beyond_the_columns_are_refused(role_client, po):  # noqa: F811
    client = role_client("finance")
    lines = {line.variant.sku: line.pk for line in po.lines.select_related("variant")}
    url = reverse("payments:supplier_invoice_new") + f"?po={po.pk}"
    base = {"po": po.pk, "number": "NF-1", "invoice_date": "2026-05-03", f"qty-{lines['SHIRT']}": "1",
            f"cost-{lines['SHIRT']}": "20.00"}
    for field, value, says in [
        (f"qty-{lines['SHIRT']}", "99999999999", "The quantity of SHIRT must be at most 2147483647."),
        (f"qty-{lines['SHIRT']}", "1²", "The quantity of SHIRT “1²” is not a whole number."),
        (f"cost-{lines['SHIRT']}", "1e20", "The unit cost of SHIRT “1e20” is not a plain number"),
        (f"cost-{lines['SHIRT']}", "100000000000000000", "The unit cost of SHIRT “100000000000000000” is too large"),
        (f"cost-{lines['SHIRT']}", "NaN", "The unit cost of SHIRT “NaN” is not a number."),
    ]:
        response = client.post(url, {**base, field: value})
        assert response.status_code == 400, (field, value)
        assert says in response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”"), (field, value)
    assert not SupplierInvoice.objects.exists()
    # A comma decimal is a price too.
    ok = client.post(url, {**base, f"cost-{lines['SHIRT']}": "20,00"})
    assert ok.status_code == 302 and SupplierInvoice.objects.get().lines.get().unit_cost == D("20.00")


@pytest.mark.parametrize("value", ["²", "1²", "٣", "99999999999999999999999", "PO-²"])
def test_a_purchase_order_that_is_no_number_is_not_found(role_client, po, value):  # noqa: F811
    response = role_client("finance").get(reverse("payments:supplier_invoice_new"), {"po": value})
    assert response.status_code == 200 and b"No such purchase order." in response.content


def test_the_purchase_order_is_found_by_its_number_or_id(role_client, po):  # noqa: F811
    client = role_client("finance")
    for value in (po.number, str(po.pk), po.number.lower()):
        response = client.get(reverse("payments:supplier_invoice_new"), {"po": value})
        assert response.context["po"] == po, value


def test_approving_a_missing_invoice_is_404_and_twice_is_said(role_client, po):  # noqa: F811
    from payments.purchasing import SupplierLineInput, supplier_invoice_record

    client = role_client("finance")
    assert client.post(reverse("payments:supplier_invoice_approve", args=[999999]), {"reason": "ok"}).status_code \
        == 404
    invoice = supplier_invoice_record(purchase_order_id=po.pk, number="NF-5", invoice_date=timezone.localdate(),
                                      lines=[SupplierLineInput(po.shirt.pk, 10, D("21.00"))], acting_user=None)
    assert invoice.status == "differences"
    url = reverse("payments:supplier_invoice_approve", args=[invoice.pk])
    first = client.post(url, {"reason": "price rise agreed by phone"}, follow=True)
    assert "Invoice NF-5 approved despite its differences." in [str(m) for m in first.context["messages"]]
    second = client.post(url, {"reason": "again"}, follow=True)
    assert "Invoice NF-5 is already approved." in [str(m) for m in second.context["messages"]]
    invoice.refresh_from_db()
    assert invoice.status == "approved"


@pytest.mark.parametrize(("name", "args"), [
    ("payments:supplier_invoice_approve", [999999]), ("payments:giftcard_disable", [999999]),
    ("payments:giftcard_replace", [999999]), ("payments:payment_capture", [999999]),
    ("payments:payment_void", [999999]), ("payments:payment_refund", [999999]),
    ("payments:payment_confirm", [999999]), ("payments:invoice_payment", [999999]),
    ("payments:payment_add", [999999]),
])
def test_every_action_on_a_missing_record_is_404(role_client, name, args):
    client = role_client("admin")
    assert client.post(reverse(name, args=args), {"reason": "x", "amount": "1"}).status_code == 404


@pytest.mark.parametrize("expiry", ["²/30", "12/³⁰", "1²/30", "12/300000000000000000000000000000"])
def test_tokenize_refuses_an_expiry_that_is_no_ascii_number(client, expiry):
    response = client.post(reverse("payments:sandbox_tokenize"),
                           {"number": "4111111111111111", "expiry": expiry, "cvc": "123"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_expiry"


def test_tokenize_refuses_superscript_digits_in_the_number_and_code(client):
    from payments.gateway.sandbox import luhn_valid

    assert not luhn_valid("²²²²")
    response = client.post(reverse("payments:sandbox_tokenize"),
                           {"number": "4111111111111111", "expiry": "12/30", "cvc": "12³"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_cvc"
    response = client.post(reverse("payments:sandbox_tokenize"),
                           {"number": "411111111111111²", "expiry": "12/30", "cvc": "123"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_number"


def _captured_gift_payment(amount="50.00"):
    card, code = issue_card("100.00")
    order = make_order("100.00")
    payment = payment_authorize(order_id=order.pk, method="gift_card", amount=D(amount), currency="BRL",
                                details={"code": code}, idempotency_key="g", acting_user=None)
    assert payment.status == "captured"
    return payment


def _panel_error(response) -> str:
    """The panel's error line, as the reader sees it."""
    import html
    import re

    found = re.search(r'<p class="msg msg-error" role="alert">(.*?)</p>', response.content.decode(), re.S)
    return html.unescape(found.group(1)) if found else ""


def test_refund_amounts_take_comma_decimals_and_name_what_is_wrong(role_client):
    payment = _captured_gift_payment()
    client = role_client("finance")
    url = reverse("payments:payment_refund", args=[payment.pk])
    htmx = {"HX-Request": "true"}
    for value, says in [("NaN", "Amount “NaN” is not a number."),
                        ("1e30", f"Amount “1e30” {NOT_PLAIN}"),
                        ("0", "Amount must be at least 0.01."), ("", "Enter the amount."),
                        ("99,00", "You can refund between R$\xa00.01 and R$\xa050.00.")]:
        response = client.post(url, {"amount": value, "reason": "damaged"}, headers=htmx)
        assert response.status_code == 422 and _panel_error(response) == says, value
    response = client.post(url, {"amount": "1,5", "reason": "damaged"}, headers=htmx)
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.refunded_amount == D("1.50")


def test_refunding_a_payment_not_received_says_so(role_client):
    order = make_order("80.00")
    payment = payment_authorize(order_id=order.pk, method="cod", amount=D("80.00"), currency="BRL",
                                idempotency_key="cod", acting_user=None)
    assert payment.status == "pending"
    response = role_client("finance").post(reverse("payments:payment_refund", args=[payment.pk]),
                                           {"amount": "10", "reason": "x"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert _panel_error(response) == ("This payment cannot be refunded: no money has been received on it yet (its "
                                      "status is “Pending”). A payment not yet received is voided instead.")
    client = role_client("finance")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"
    response = client.post(reverse("payments:payment_refund", args=[payment.pk]), {"amount": "10", "reason": "x"},
                           headers={"HX-Request": "true"})
    assert "não pode ser reembolsado" in _panel_error(response)


def test_invoice_payment_takes_comma_decimals_and_names_bad_amounts(role_client):
    order = make_order("300.00")
    invoice = invoice_issue(order_id=order.pk, amount=D("300.00"), currency="BRL", terms_days=30, acting_user=None,
                            reference="ship:1")
    client = role_client("finance")
    url = reverse("payments:invoice_payment", args=[invoice.pk])
    bad = client.post(url, {"amount": "NaN"}, follow=True)
    assert "Amount “NaN” is not a number." in [str(m) for m in bad.context["messages"]]
    huge = client.post(url, {"amount": "9" * 30}, follow=True)
    assert huge.status_code == 200 and [str(m) for m in huge.context["messages"]] == [
        f"Amount “{'9' * 30}” is too large: at most 12 digits before the decimal point."]
    client.post(url, {"amount": "1.234,56"})
    invoice.refresh_from_db()
    assert invoice.paid_amount == D("0")  # 1234.56 is more than is open: refused whole
    client.post(url, {"amount": "100,50"})
    invoice.refresh_from_db()
    assert (invoice.paid_amount, invoice.status) == (D("100.50"), Invoice.Status.OPEN)


def test_disabling_a_disabled_card_is_refused(role_client):
    card, _code = issue_card("30.00")
    client = role_client("finance")
    url = reverse("payments:giftcard_disable", args=[card.pk])
    first = client.post(url, {"reason": "lost"}, follow=True)
    assert [str(m) for m in first.context["messages"]] == [f"Card \u2066••••{card.last4}\u2069 disabled."]
    second = client.post(url, {"reason": "lost"}, follow=True)
    assert [str(m) for m in second.context["messages"]] == [f"Card \u2066••••{card.last4}\u2069 is already disabled."]
    assert GiftCard.objects.get(pk=card.pk).status == "disabled"


def test_the_amount_box_is_prefilled_in_the_readers_number_format_and_read_back(role_client):
    order = make_order("5011.46")
    client = role_client("agent")
    for language, shown in [("pt-br", "5011,46"), ("en", "5011.46"), ("ar", "5011,46")]:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        panel = client.get(reverse("payments:order_payments", args=[order.pk]))
        assert panel.context["form"]["amount"].value() == shown, language
        assert f'value="{shown}"' in panel.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"
    client.post(reverse("payments:payment_add", args=[order.pk]),
                {"method": "cod", "amount": "5.011,46", "idempotency_key": "k1"})
    assert Payment.objects.get(order=order).amount == D("5011.46")


def test_the_card_expiry_placeholder_is_translated(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"
    page = client.get(reverse("payments:sandbox_hosted_field")).content.decode()
    assert 'placeholder="MM/AA"' in page and 'placeholder="MM/YY"' not in page


def _pix_call(client, body: dict):
    import hashlib
    import hmac
    import json

    raw = json.dumps(body).encode()
    signature = hmac.new(settings.SECRET_KEY.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(reverse("payments:pix_webhook"), raw, content_type="application/json",
                       headers={"X-Signature": signature})


def test_the_pix_webhook_refuses_an_amount_that_is_no_number_and_never_takes_a_missing_one_as_the_whole(client):
    order = make_order("80.00")
    payment = payment_authorize(order_id=order.pk, method="pix", amount=D("80.00"), currency="BRL",
                                idempotency_key="pix", acting_user=None)
    txid = payment.instructions["txid"]
    for amount, says in [("abc", "The amount received “abc” is not a number."),
                         ("Infinity", "The amount received “Infinity” is not a number."),
                         ("1e999999999", f"The amount received “1e999999999” {NOT_PLAIN}"),
                         ("79.99", "Received R$\xa079.99 but R$\xa080.00 was expected.")]:
        response = _pix_call(client, {"txid": txid, "amount": amount})
        assert response.status_code == 422, amount
        assert response.json() == {"code": "invalid_amount", "message": says}, amount
    for amount in ["", None, True, [80], {"value": "80.00"}]:
        response = _pix_call(client, {"txid": txid, "amount": amount})
        assert (response.status_code, response.json()["code"]) == (400, "bad_payload"), amount
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount) == ("pending", D("0"))
    assert _pix_call(client, {"txid": txid, "amount": 80}).status_code == 200  # a JSON number is an amount too
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount) == ("captured", D("80.00"))


def test_a_gift_card_is_issued_for_the_amount_typed_in_the_readers_number_format(role_client):
    """The issue form read its amount as a plain number: "50,25" typed by a Brazilian was refused by the server,
    and the browser's number box dropped the comma, so the card was issued for R$ 5.025,00."""
    client = role_client("finance")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"
    url = reverse("payments:giftcard_issue")
    form = {"kind": "gift_card", "currency": "BRL", "source": "goodwill"}
    page = client.get(reverse("payments:giftcard_list")).content.decode()
    assert 'name="amount" inputmode="decimal"' in page and 'type="number" name="amount"' not in page
    for typed, amount in [("50,25", D("50.25")), ("1.234,56", D("1234.56"))]:
        response = client.post(url, {**form, "amount": typed})
        assert response.status_code == 200, typed
        assert response.context["card"].initial_amount == amount, typed
    refused = client.post(url, {**form, "amount": "1e3"})
    assert refused.status_code == 400
    assert refused.context["form"].errors["amount"] == [
        "Valor “1e3” não é um número simples: escreva-o com algarismos (1000, não 1e3)."]
    assert GiftCard.objects.count() == 2


def test_an_invoice_payment_sent_twice_is_recorded_once(role_client):
    """A double click on "Record" with part of the invoice recorded the payment twice (two bank receipts of R$ 100
    for one); the form now carries the open amount it showed, checked under the invoice's lock."""
    import re

    order = make_order("300.00")
    invoice = invoice_issue(order_id=order.pk, amount=D("300.00"), currency="BRL", terms_days=30, acting_user=None,
                            reference="ship:1")
    client = role_client("finance")
    page = client.get(reverse("payments:invoice_list")).content.decode()
    shown = re.search(r'name="open_before" value="([^"]+)"', page).group(1)
    url = reverse("payments:invoice_payment", args=[invoice.pk])
    first = client.post(url, {"amount": "100,00", "open_before": shown}, follow=True)
    assert [str(m) for m in first.context["messages"]] == [f"Payment recorded on {invoice.number}."]
    second = client.post(url, {"amount": "100,00", "open_before": shown}, follow=True)
    assert [str(m) for m in second.context["messages"]] == [
        f"Invoice {invoice.number} changed after the page was shown: R$\xa0200.00 is open now. Nothing was recorded; "
        "check the invoice and record the payment again if it is still due."]
    invoice.refresh_from_db()
    assert (invoice.paid_amount, invoice.movements.count()) == (D("100.00"), 1)
    page = client.get(reverse("payments:invoice_list")).content.decode()
    again = client.post(url, {"amount": "50", "open_before": re.search(
        r'name="open_before" value="([^"]+)"', page).group(1)}, follow=True)
    assert [str(m) for m in again.context["messages"]] == [f"Payment recorded on {invoice.number}."]
    invoice.refresh_from_db()
    assert invoice.paid_amount == D("150.00")


def test_the_gift_card_issue_form_sent_twice_issues_one_card(role_client):
    """A double click on "Issue" issued two cards: the second answer showed one code, the first card's code was
    lost with its value still owed on the books. The second copy now lands on the first card, which can be
    replaced if its code was not noted."""
    import re

    client = role_client("finance")
    page = client.get(reverse("payments:giftcard_list")).content.decode()
    once = re.search(r'name="once" value="([0-9a-f]+)"', page).group(1)
    form = {"kind": "gift_card", "amount": "40", "currency": "BRL", "source": "goodwill", "once": once}
    first = client.post(reverse("payments:giftcard_issue"), form)
    assert first.status_code == 200 and first.context["code"]
    card = first.context["card"]
    second = client.post(reverse("payments:giftcard_issue"), form)
    assert second.status_code == 409
    assert second.context["card"] == card and first.context["code"].encode() not in second.content
    assert second.context["error"] == (
        f"This form was sent twice: its first copy issued card \u2066••••{card.last4}\u2069, whose code was shown on "
        "that answer only. If the code was not noted, replace the card to get a new code.")
    assert GiftCard.objects.count() == 1
    assert GiftCard.objects.get().transactions.count() == 1
    fresh = re.search(r'name="once" value="([0-9a-f]+)"', client.get(reverse("payments:giftcard_list")).content
                      .decode()).group(1)
    assert fresh != once
    assert client.post(reverse("payments:giftcard_issue"), {**form, "once": fresh}).status_code == 200
    assert GiftCard.objects.count() == 2


def test_a_card_number_written_in_a_refund_reason_or_a_receipt_reference_is_refused(role_client):
    """The notes of a refund, a capture or a receipt were stored as typed: "charged twice on 4111 1111 1111 1111"
    put the card number in the payment's history and the audit trail."""
    from payments.models import PaymentTransaction

    payment = _captured_gift_payment()
    client = role_client("finance")
    htmx = {"HX-Request": "true"}
    says = ("A card number cannot be written here: leave it out (the payment names its card by the last four "
            "digits).")
    response = client.post(reverse("payments:payment_refund", args=[payment.pk]),
                           {"amount": "5", "reason": "charged twice on 4111 1111 1111 1111"}, headers=htmx)
    assert response.status_code == 422 and _panel_error(response) == says
    order = make_order("80.00")
    cod = payment_authorize(order_id=order.pk, method="cod", amount=D("80.00"), currency="BRL",
                            idempotency_key="cod-card", acting_user=None)
    response = client.post(reverse("payments:payment_confirm", args=[cod.pk]), {"reference": "4111111111111111"},
                           headers=htmx)
    assert response.status_code == 422 and _panel_error(response) == says
    invoice = invoice_issue(order_id=order.pk, amount=D("30.00"), currency="BRL", terms_days=30, acting_user=None,
                            reference="ship:card")
    refused = client.post(reverse("payments:invoice_payment", args=[invoice.pk]),
                          {"amount": "10", "reference": "5555-5555-5555-4444"}, follow=True)
    assert [str(m) for m in refused.context["messages"]] == [says]
    payment.refresh_from_db()
    cod.refresh_from_db()
    invoice.refresh_from_db()
    assert (payment.refunded_amount, cod.status, invoice.paid_amount) == (D("0"), "pending", D("0"))
    assert not PaymentTransaction.objects.filter(reason__contains="4111").exists()
    # A long number that is no card (not Luhn-valid), and digits inside a key or a PIX id, are references as usual.
    response = client.post(reverse("payments:payment_confirm", args=[cod.pk]),
                           {"reference": "E1823612020200119999 4111111111111112"}, headers=htmx)
    assert response.status_code == 200


def test_the_supplier_invoice_prices_are_shown_and_read_in_the_readers_format_to_four_places(role_client, po):  # noqa: F811
    """The billed price was a number box showing the order's price cut to two places ("12.35" for 12.3456, a
    difference the match then flagged) that dropped a Brazilian browser's comma; and a refused form came back with
    the order's values instead of what had been typed."""
    import re

    from inventory.models import PurchaseOrderLine

    line = po.lines.get(variant=po.shirt)
    PurchaseOrderLine.objects.filter(pk=line.pk).update(unit_cost=D("12.3456"))
    client = role_client("finance")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"
    url = reverse("payments:supplier_invoice_new") + f"?po={po.pk}"
    page = client.get(url).content.decode()
    assert re.search(rf'<input inputmode="decimal"[^>]*name="cost-{line.pk}" value="12,3456"', page)
    assert 'type="number" min="0" step="0.0001"' not in page
    mug = po.lines.get(variant=po.mug)
    assert f'name="cost-{mug.pk}" value="8,00"' in page
    form = {"po": po.pk, "number": "NF-9", "invoice_date": "2026-05-03", f"qty-{line.pk}": "10",
            f"cost-{line.pk}": "12,3456", f"qty-{mug.pk}": "3", f"cost-{mug.pk}": "8,00"}
    refused = client.post(url, {**form, f"qty-{mug.pk}": "x"})
    assert refused.status_code == 400
    assert f'name="cost-{line.pk}" value="12,3456"' in refused.content.decode()
    assert f'name="qty-{mug.pk}" value="x"' in refused.content.decode()  # what was typed, to correct it
    assert client.post(url, form).status_code == 302
    invoice = SupplierInvoice.objects.get()
    assert invoice.status == "matched" and invoice.lines.get(variant=po.shirt).unit_cost == D("12.3456")

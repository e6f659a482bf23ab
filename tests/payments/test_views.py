import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from oms.models import AuditEntry
from payments.models import Invoice, JournalEntry, Payment, SettlementBatch, SettlementLine
from payments.selectors import ar_aging
from payments.services import invoice_issue, payment_authorize, payment_capture, payment_refund
from tests.payments.factories import issue_card, make_order

D = Decimal


def tokenize(client, number="4111111111111111", expiry="12/30"):
    response = client.post(reverse("payments:sandbox_tokenize"), {"number": number, "expiry": expiry, "cvc": "123"})
    return response


@pytest.mark.django_db
def test_hosted_field_is_frameable_by_us_only_and_tokenizes(client):
    page = client.get(reverse("payments:sandbox_hosted_field"))
    assert page.status_code == 200 and page["X-Frame-Options"] == "SAMEORIGIN"
    assert b'autocomplete="cc-number"' in page.content and b"postMessage" in page.content
    answer = tokenize(client, "5555 5555 5555 4444", "01/31").json()
    assert set(answer) == {"token", "brand", "last4", "exp_month", "exp_year"}
    assert (answer["brand"], answer["last4"], answer["exp_month"], answer["exp_year"]) == (
        "mastercard", "4444", 1, 2031)
    bad = tokenize(client, "4111111111111112")
    assert bad.status_code == 400
    assert bad.json() == {"code": "invalid_number", "message": "The card number is not valid."}
    assert b"4111111111111112" not in bad.content
    assert tokenize(client, expiry="13/30").json()["code"] == "invalid_expiry"


@pytest.mark.django_db(transaction=True)
def test_agent_takes_card_payment_then_decline_shows_reason_and_retry(role_client):
    client = role_client("agent")
    order = make_order("150.00")
    url = reverse("payments:payment_add", args=[order.pk])
    panel = client.get(reverse("payments:order_payments", args=[order.pk]))
    assert panel.status_code == 200 and b"data-hosted-field" in panel.content
    token = tokenize(client).json()["token"]
    response = client.post(url, {"method": "card", "amount": "100.00", "idempotency_key": "a1", "card_token": token},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "oms:toast" in response["HX-Trigger"]
    payment = Payment.objects.get()
    assert (payment.status, payment.card_last4, payment.created_by) == ("authorized", "1111", client.user)
    again = client.post(url, {"method": "card", "amount": "100.00", "idempotency_key": "a1", "card_token": token})
    assert again.status_code == 302 and Payment.objects.count() == 1  # a double click pays once

    declined = tokenize(client, "4000000000009995").json()["token"]
    response = client.post(url, {"method": "card", "amount": "50.00", "idempotency_key": "a2", "card_token": declined},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert b"The card has insufficient funds. (code: insufficient_funds)" in response.content
    assert b'value="a2"' not in response.content  # the retry form carries a fresh key
    assert Payment.objects.get(idempotency_key="panel:a2").status == "declined"
    missing = client.post(url, {"method": "card", "amount": "5", "idempotency_key": "a3"})
    assert missing.status_code == 422 and Payment.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_pix_qr_and_webhook(role_client, client):
    agent = role_client("agent")
    order = make_order("80.00")
    agent.post(reverse("payments:payment_add", args=[order.pk]), {"method": "pix", "amount": "80.00",
                                                                  "idempotency_key": "p1"})
    payment = Payment.objects.get()
    svg = agent.get(reverse("payments:pix_qr", args=[payment.pk]))
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<svg")
    body = json.dumps({"txid": payment.instructions["txid"], "amount": "80.00", "end_to_end_id": "E999"}).encode()
    url = reverse("payments:pix_webhook")
    forged = client.post(url, body, content_type="application/json", headers={"X-Signature": "0" * 64})
    assert forged.status_code == 403
    payment.refresh_from_db()
    assert payment.status == "pending"
    signature = hmac.new(settings.SECRET_KEY.encode(), body, hashlib.sha256).hexdigest()
    ok = client.post(url, body, content_type="application/json", headers={"X-Signature": signature})
    assert ok.status_code == 200 and ok.json() == {"status": "confirmed", "payment": payment.pk}
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount) == ("captured", D("80"))


@pytest.mark.django_db(transaction=True)
def test_gift_card_and_cod_from_the_panel_and_refund_needs_finance(role_client, make_user):
    card, code = issue_card("25.00")
    order = make_order("100.00")
    agent = role_client("agent")
    url = reverse("payments:payment_add", args=[order.pk])
    agent.post(url, {"method": "gift_card", "amount": "25.00", "idempotency_key": "g1", "gift_card_code": code})
    agent.post(url, {"method": "cod", "amount": "75.00", "idempotency_key": "c1"})
    gift, cod = Payment.objects.order_by("id")
    assert (gift.status, cod.status) == ("captured", "pending")
    refund_url = reverse("payments:payment_refund", args=[gift.pk])
    assert agent.post(refund_url, {"amount": "5", "reason": "x"}).status_code == 403
    finance = make_user("finance")
    client = Client()
    client.force_login(finance)
    no_reason = client.post(refund_url, {"amount": "5", "reason": ""}, headers={"HX-Request": "true"})
    assert no_reason.status_code == 422 and b"Give a reason for the refund." in no_reason.content
    client.post(refund_url, {"amount": "5", "reason": "damaged box"})
    client.post(reverse("payments:payment_confirm", args=[cod.pk]), {"reference": "driver 12"})
    gift.refresh_from_db()
    cod.refresh_from_db()
    card.refresh_from_db()
    assert (gift.refunded_amount, card.balance, cod.status) == (D("5"), D("5"), "captured")
    assert AuditEntry.objects.get(verb="payment_refund").actor == finance


@pytest.mark.django_db
def test_giftcard_issue_lookup_and_detail_pages(role_client, make_user):
    finance = role_client("finance")
    response = finance.post(reverse("payments:giftcard_issue"), {"kind": "gift_card", "amount": "40.00",
                                                                 "currency": "BRL", "source": "goodwill"})
    assert response.status_code == 200
    code = response.context["code"]
    assert code.encode() in response.content
    detail = finance.get(reverse("payments:giftcard_detail", args=[response.context["card"].pk]))
    assert code.encode() not in detail.content  # shown once only
    agent = make_user("agent")
    other = Client()
    other.force_login(agent)
    found = other.post(reverse("payments:giftcard_lookup"), {"code": code}, headers={"HX-Request": "true"})
    assert b"R$\xc2\xa040.00" in found.content
    assert AuditEntry.objects.filter(verb="giftcard_lookup", actor=agent).count() == 1
    bad = finance.post(reverse("payments:giftcard_issue"), {"kind": "gift_card", "amount": "-1", "currency": "BRL",
                                                            "source": "goodwill"})
    assert bad.status_code == 400


@pytest.mark.django_db
def test_journal_export_downloads_three_layouts(role_client):
    from payments.ledger import Acct, cr, dr, journal_post

    journal_post(lines=[dr(Acct.BANK, 10), cr(Acct.CARD_CLEARING, 10)], memo="Deposit", reference="d1",
                 acting_user=None)
    client = role_client("finance")
    today = timezone.localdate().isoformat()
    for layout, header in [("generic", b"entry,date"), ("dynamics_gp", b"BACHNUMB,JRNENTRY"),
                           ("sage50", b"Date,Reference,Number of Distributions")]:
        response = client.get(reverse("payments:journal_export"), {"format": layout, "since": today, "until": today})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert response.content.startswith(header) and response.content.count(b"\r\n") == 3
    bad = client.get(reverse("payments:journal_export"), {"format": "sage50", "since": today, "until": "2000-01-01"})
    assert bad.status_code == 400 and b"The start date is after the end date." in bad.content


@pytest.mark.django_db(transaction=True)
def test_settlement_import_matches_and_shows_both_sides(role_client, card_token):
    order = make_order("300.00")
    payments = [payment_authorize(order_id=order.pk, method="card", amount=D("100"), currency="BRL",
                                  token=card_token(), idempotency_key=f"s{i}", acting_user=None) for i in range(3)]
    caps = [payment_capture(payment_id=p.pk, amount=D("100"), reference="ship", acting_user=None) for p in payments]
    day = timezone.localdate().isoformat()
    csv = ("date,type,reference,amount,fee,currency\n"
           f"{day},capture,{caps[0].gateway_reference},100.00,2.50,BRL\n"
           f"{day},capture,{caps[1].gateway_reference},99.00,2.50,BRL\n"
           f"{day},capture,cap_unknown,10.00,0.10,BRL\n")
    client = role_client("finance")
    response = client.post(reverse("payments:settlement_upload"),
                           {"file": SimpleUploadedFile("settle.csv", csv.encode(), "text/csv")})
    batch = SettlementBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payments:settlement_detail",
                                                                           args=[batch.pk])
    assert list(batch.lines.values_list("match", flat=True)) == ["matched", "amount_differs", "unmatched"]
    lines = {(line.account.code, line.debit, line.credit)
             for line in batch.journal_entry.lines.select_related("account")}
    assert lines == {("1000", D("97.5"), D("0")), ("5100", D("2.5"), D("0")), ("1010", D("0"), D("100"))}
    page = client.get(reverse("payments:settlement_detail", args=[batch.pk]))
    unsettled = [t.gateway_reference for t in page.context["unsettled"]]
    assert unsettled == [caps[1].gateway_reference, caps[2].gateway_reference]

    broken = "date,type,reference,amount,fee,currency\nyesterday,capture,x,abc,0,BRL\n"
    response = client.post(reverse("payments:settlement_upload"),
                           {"file": SimpleUploadedFile("bad.csv", broken.encode(), "text/csv")}, follow=True)
    text = response.content.decode()
    assert "Nothing was imported: row 2: date “yesterday” is not YYYY-MM-DD" in text.replace("&ldquo;", "“").replace(
        "&rdquo;", "”").replace("&#x201C;", "“").replace("&#x201D;", "”")
    assert SettlementBatch.objects.count() == 1 and SettlementLine.objects.count() == 3


@pytest.mark.django_db
def test_ar_aging_buckets(order):
    today = timezone.localdate()
    for days_late, amount in [(-5, "100"), (10, "200"), (45, "300"), (75, "400"), (120, "500")]:
        Invoice.objects.create(number=f"INV-T{days_late}", order=order, customer_name="ACME",
                               payment=Payment.objects.create(order=order, method="invoice", amount=D(amount),
                                                              idempotency_key=f"t{days_late}"),
                               amount=D(amount), issued_on=today - timedelta(days=150),
                               due_on=today - timedelta(days=days_late))
    aging = ar_aging(as_of=today)
    assert aging["totals"] == {"current": D("100"), "1_30": D("200"), "31_60": D("300"), "61_90": D("400"),
                               "90_plus": D("500"), "total": D("1500")}
    assert [r["customer"] for r in aging["rows"]] == ["ACME"]


@pytest.mark.django_db
def test_two_customers_of_the_same_name_are_two_aging_rows_each_linking_to_their_invoices(role_client):
    """Rows were keyed by the name on the invoice: two customers called Maria Silva were added into one row, and
    its link listed both customers' invoices."""
    from tests.orders.factories import CustomerFactory

    today = timezone.localdate()
    marias = [CustomerFactory(name="Maria Silva") for _ in range(2)]
    for index, (customer, amount) in enumerate(zip(marias, ("100", "250"), strict=True)):
        order = make_order(number=f"PT-00000{index}")
        type(order).objects.filter(pk=order.pk).update(customer=customer)
        Invoice.objects.create(number=f"INV-M{index}", order=order, customer_name="Maria Silva",
                               payment=Payment.objects.create(order=order, method="invoice", amount=D(amount),
                                                              idempotency_key=f"m{index}"),
                               amount=D(amount), issued_on=today - timedelta(days=40),
                               due_on=today - timedelta(days=10))
    page = role_client("finance").get(reverse("payments:ar_aging"))
    rows = page.context["aging"]["rows"]
    assert [(r["customer"], r["customer_id"], r["total"]) for r in rows] == [
        ("Maria Silva", marias[1].pk, D("250")), ("Maria Silva", marias[0].pk, D("100"))]
    listed = role_client("finance").get(reverse("payments:invoice_list"), {"customer": marias[0].pk, "status": "open"})
    assert [i.number for i in listed.context["page"].object_list] == ["INV-M0"]
    assert f'?customer={marias[0].pk}&amp;status=open"' in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_list_pages_cost_the_same_queries_for_more_rows(role_client):
    client = role_client("finance")
    order = make_order("1000.00")

    def add(n):
        for i in range(n):
            payment_authorize(order_id=order.pk, method="cod", amount=D("1"), currency="BRL",
                              idempotency_key=f"q{Payment.objects.count()}-{i}", acting_user=None)
            invoice_issue(order_id=order.pk, amount=D("5"), currency="BRL", terms_days=30, acting_user=None,
                          reference=f"r{Invoice.objects.count()}-{i}", customer_name=f"C{i}")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    add(2)
    urls = [reverse(n) for n in ["payments:payment_list", "payments:invoice_list", "payments:journal_list",
                                 "payments:ar_aging", "payments:trial_balance", "payments:giftcard_list"]]
    urls.append(reverse("payments:order_payments", args=[order.pk]))
    before = [count(url) for url in urls]
    add(8)
    assert [count(url) for url in urls] == before
    assert JournalEntry.objects.count() == 10  # one per invoice; COD posts when it is collected


@pytest.mark.django_db
def test_finance_pages_are_translated(role_client):
    client = role_client("finance")
    page = client.get(reverse("payments:trial_balance"), headers={"Accept-Language": "pt-br"})
    assert "Balancete" in page.content.decode()
    page = client.get(reverse("payments:ar_aging"), headers={"Accept-Language": "ar"})
    assert "أعمار الذمم المدينة" in page.content.decode() and 'dir="rtl"' in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_agent_saves_a_card_and_uses_it_on_the_next_order(role_client):
    from orders.models import Customer
    from payments.models import SavedCard

    client = role_client("agent")
    customer = Customer.objects.create(name="Bruno Reis")
    first, second = make_order("60.00"), make_order("70.00")
    type(first).objects.filter(pk__in=[first.pk, second.pk]).update(customer=customer)
    token = tokenize(client).json()["token"]
    client.post(reverse("payments:payment_add", args=[first.pk]), {
        "method": "card", "amount": "60.00", "idempotency_key": "sv1", "card_token": token, "save_card": "on"})
    saved = SavedCard.objects.get(customer=customer)
    panel = client.get(reverse("payments:order_payments", args=[second.pk]))
    assert str(saved).encode() in panel.content
    client.post(reverse("payments:payment_add", args=[second.pk]), {
        "method": "card", "amount": "70.00", "idempotency_key": "sv2", "saved_card": saved.pk})
    assert list(Payment.objects.order_by("id").values_list("status", "token")) == [
        ("authorized", token), ("authorized", saved.token)]


@pytest.mark.django_db
def test_tokenize_is_rate_limited_per_address(client, settings):
    settings.PAYMENTS_SANDBOX_TOKENIZE_PER_MINUTE = 3
    answers = [tokenize(client).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


@pytest.mark.django_db(transaction=True)
def test_invoice_from_the_panel_respects_the_customers_credit_limit(role_client):
    from orders.models import Customer

    client = role_client("agent")
    customer = Customer.objects.create(name="Atacado Sul", credit_limit=D("1000"), payment_terms_days=45)
    first, second = make_order("700.00"), make_order("400.00")
    type(first).objects.filter(pk__in=[first.pk, second.pk]).update(customer=customer)
    ok = client.post(reverse("payments:payment_add", args=[first.pk]),
                     {"method": "invoice", "amount": "700.00", "idempotency_key": "iv1"})
    assert ok.status_code == 302
    payment = Payment.objects.get()
    assert (payment.status, payment.instructions) == ("authorized", {"terms_days": 45, "customer_name": "Atacado Sul"})
    refused = client.post(reverse("payments:payment_add", args=[second.pk]),
                          {"method": "invoice", "amount": "400.00", "idempotency_key": "iv2"},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 422 and b"credit_limit_exceeded" in refused.content
    assert Payment.objects.get(idempotency_key="panel:iv2").status == "declined"


@pytest.mark.django_db
def test_journal_filtered_by_account_shows_each_entry_with_its_own_total(role_client):
    """An entry with two lines on the account asked for is listed once, for what it moved (it showed twice that)."""
    from payments.ledger import Acct, cr, dr, journal_post

    today = timezone.localdate()
    two_deposits = journal_post(lines=[dr(Acct.BANK, 10), dr(Acct.BANK, 5), cr(Acct.CARD_CLEARING, 15)],
                                memo="Two deposits", reference="d1", acting_user=None)
    one_deposit = journal_post(lines=[dr(Acct.BANK, 20), cr(Acct.CARD_CLEARING, 20)], memo="Deposit",
                               reference="d2", acting_user=None)
    journal_post(lines=[dr(Acct.CARD_CLEARING, 7), cr(Acct.CUSTOMER_BALANCES, 7)], memo="Capture",
                 reference="c1", acting_user=None)
    journal_post(lines=[dr(Acct.BANK, 3), cr(Acct.CARD_CLEARING, 3)], memo="Last month", reference="d0",
                 acting_user=None, posted_on=today - timedelta(days=40))
    client = role_client("finance")
    page = client.get(reverse("payments:journal_list"), {"account": Acct.BANK, "since": today.isoformat(),
                                                         "sort": "total"}).context["page"]
    assert [(e.pk, e.total) for e in page] == [(two_deposits.pk, D("15")), (one_deposit.pk, D("20"))]


@pytest.mark.django_db(transaction=True)
def test_payment_list_search_finds_what_its_box_promises(role_client, card_token):
    """Order number, processor reference (a capture's or refund's too, as a settlement file names them) and the
    last four of a card or gift card; an order number ending in a card's last four lists that order only."""
    card_order = make_order("100.00", number="PT-000001")
    other_order = make_order("50.00", number="PT-001111")
    card = payment_authorize(order_id=card_order.pk, method="card", amount=D("100"), currency="BRL",
                             token=card_token(), idempotency_key="list-1", acting_user=None)
    capture = payment_capture(payment_id=card.pk, amount=D("100"), reference="shipment:1", acting_user=None)
    refund = payment_refund(payment_id=card.pk, amount=D("5"), reason="damaged", reference="return:1",
                            acting_user=None)
    pix = payment_authorize(order_id=other_order.pk, method="pix", amount=D("40"), currency="BRL",
                            idempotency_key="list-2", acting_user=None)
    gift, code = issue_card("30.00", source="goodwill")
    by_gift = payment_authorize(order_id=other_order.pk, method="gift_card", amount=D("10"), currency="BRL",
                                details={"code": code}, idempotency_key="list-3", acting_user=None)
    client = role_client("finance")

    def found(**params):
        return sorted(p.pk for p in client.get(reverse("payments:payment_list"), params).context["page"])

    assert found(q="pt-001111") == [pix.pk, by_gift.pk]
    assert found(q=card.gateway_reference) == found(q=capture.gateway_reference) == [card.pk]
    assert found(q=refund.gateway_reference) == [card.pk]
    assert found(q="1111") == found(q="••••1111") == [card.pk]
    assert found(q=gift.last4) == [by_gift.pk]
    assert found(q="PT-001111", method="pix") == [pix.pk]
    assert found(status="partially_refunded") == [card.pk]


@pytest.mark.django_db(transaction=True)
def test_ar_aging_as_of_a_past_day_shows_what_was_owed_then(role_client):
    """Month-end aging run later: an invoice paid or credited since still shows what it owed on that day (it
    vanished, and a partial payment made later lowered it)."""
    from payments.models import InvoiceMovement

    today = timezone.localdate()
    yesterday, last_week = today - timedelta(days=1), today - timedelta(days=7)
    paid_since = invoice_issue(order_id=make_order("500.00").pk, amount=D("500"), currency="BRL", terms_days=30,
                               acting_user=None, reference="ship:1", customer_name="ACME")
    paid_before = invoice_issue(order_id=make_order("300.00").pk, amount=D("300"), currency="BRL", terms_days=30,
                                acting_user=None, reference="ship:2", customer_name="Beta")
    Invoice.objects.filter(pk__in=[paid_since.pk, paid_before.pk]).update(issued_on=today - timedelta(days=60),
                                                                           due_on=today - timedelta(days=30))
    client = role_client("finance")
    pay = reverse("payments:invoice_payment", args=[paid_since.pk])
    client.post(pay, {"amount": "200", "reference": "bank-1"})
    payment_refund(payment_id=paid_since.payment_id, amount=D("50"), reason="damaged", reference="return:1",
                   acting_user=None)  # a credit note of 50
    client.post(pay, {"amount": "250", "reference": "bank-2"})
    client.post(reverse("payments:invoice_payment", args=[paid_before.pk]), {"amount": "100"})
    InvoiceMovement.objects.filter(invoice=paid_before).update(on=last_week)  # received a week ago
    paid_since.refresh_from_db()
    assert (paid_since.status, paid_since.open_amount) == ("paid", D("0"))
    assert list(paid_since.movements.values_list("kind", "amount", "on")) == [
        ("payment", D("200"), today), ("credit", D("50"), today), ("payment", D("250"), today)]

    then = client.get(reverse("payments:ar_aging"), {"as_of": yesterday.isoformat()}).context["aging"]
    assert {r["customer"]: (r["1_30"], r["total"]) for r in then["rows"]} == {"ACME": (D("500"), D("500")),
                                                                              "Beta": (D("200"), D("200"))}
    assert then["totals"]["total"] == D("700")
    now = client.get(reverse("payments:ar_aging")).context["aging"]
    assert [(r["customer"], r["1_30"]) for r in now["rows"]] == [("Beta", D("200"))]
    assert client.get(reverse("payments:ar_aging"), {"as_of": (today - timedelta(days=61)).isoformat()}).context[
        "aging"]["rows"] == []  # not issued yet


@pytest.mark.django_db(transaction=True)
def test_invoices_paid_before_movements_were_kept_get_them_from_the_audit_trail():
    import importlib

    from django.apps import apps

    from payments.models import InvoiceMovement

    invoice = invoice_issue(order_id=make_order("300.00").pk, amount=D("300"), currency="BRL", terms_days=30,
                            acting_user=None, reference="ship:1", customer_name="ACME")
    AuditEntry.objects.create(action="update", verb="invoice_payment", object_type="payments.invoice",
                              object_id=str(invoice.pk), changes={"paid_amount": ["0.0000", "120.0000"]})
    Invoice.objects.filter(pk=invoice.pk).update(paid_amount=D("150"), credited_amount=D("30"))
    importlib.import_module("payments.migrations.0011_invoice_movements").backfill(apps, None)
    audit_day = AuditEntry.objects.get(verb="invoice_payment").created_at
    assert list(InvoiceMovement.objects.order_by("id").values_list("kind", "amount", "on")) == [
        ("payment", D("120"), timezone.localdate(audit_day)), ("payment", D("30"), invoice.issued_on),
        ("credit", D("30"), invoice.issued_on)]


@pytest.mark.django_db
@pytest.mark.parametrize(("days_late", "bucket"), [(-1, "current"), (0, "current"), (1, "1_30"), (29, "1_30"),
                                                   (30, "1_30"), (31, "31_60"), (60, "31_60"), (61, "61_90"),
                                                   (90, "61_90"), (91, "90_plus")])
def test_ar_aging_bucket_edges_and_partial_payments(order, days_late, bucket):
    today = timezone.localdate()
    payment = Payment.objects.create(order=order, method="invoice", amount=D("100"), idempotency_key="edge")
    Invoice.objects.create(number="INV-EDGE", order=order, customer_name="ACME", payment=payment, amount=D("100"),
                           paid_amount=D("30"), credited_amount=D("5"), issued_on=today - timedelta(days=120),
                           due_on=today - timedelta(days=days_late))
    totals = ar_aging(as_of=today)["totals"]
    assert {name: amount for name, amount in totals.items() if amount} == {bucket: D("65"), "total": D("65")}


@pytest.mark.django_db
def test_gift_card_lookup_of_a_code_no_card_can_have_says_not_found(role_client):
    """A code longer than any card's (41 characters) showed nothing at all, as if the button did nothing."""
    client = role_client("agent")
    for code in ("X" * 41, "   "):
        response = client.post(reverse("payments:giftcard_lookup"), {"code": code}, headers={"HX-Request": "true"})
        assert response.status_code == 200 and "No gift card with that code." in response.content.decode()


def _panel_key(client, order, action: str, payment) -> str:
    """The one-off key of the capture or refund form as the payment panel shows it."""
    import re

    page = client.get(reverse("payments:order_payments", args=[order.pk])).content.decode()
    action_url = reverse(f"payments:payment_{action}", args=[payment.pk])
    form = re.search(f'<form[^>]*action="{action_url}".*?</form>', page, re.S).group(0)
    return re.search(r'name="request_key" value="([0-9a-f]+)"', form).group(1)


@pytest.mark.django_db(transaction=True)
def test_a_capture_or_refund_sent_twice_from_the_panel_moves_the_money_once(role_client, card_token):
    order = make_order("300.00")
    payment = payment_authorize(order_id=order.pk, method="card", amount=D("300.00"), currency="BRL",
                                token=card_token(), idempotency_key="twice", acting_user=None)
    client = role_client("finance")
    htmx = {"HX-Request": "true"}
    capture = reverse("payments:payment_capture", args=[payment.pk])
    key = _panel_key(client, order, "capture", payment)
    for _attempt in range(2):  # a double click, or a retry after the first answer was lost
        assert client.post(capture, {"amount": "100,00", "request_key": key}, headers=htmx).status_code == 200
    payment.refresh_from_db()
    assert payment.captured_amount == D("100.00")
    # The panel shown again has a new key: a second capture on purpose goes through.
    client.post(capture, {"amount": "50", "request_key": _panel_key(client, order, "capture", payment)}, headers=htmx)
    payment.refresh_from_db()
    assert payment.captured_amount == D("150.00")

    refund = reverse("payments:payment_refund", args=[payment.pk])
    key = _panel_key(client, order, "refund", payment)
    for _attempt in range(2):
        response = client.post(refund, {"amount": "40", "reason": "damaged", "request_key": key}, headers=htmx)
        assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.refunded_amount == D("40.00")
    assert payment.transactions.filter(kind="refund", result="success").count() == 1
    assert JournalEntry.objects.filter(reference=f"manual:{key}").count() == 1

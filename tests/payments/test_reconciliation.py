from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from payments.errors import SettlementFileError
from payments.ledger import trial_balance, verify_journal
from payments.models import SettlementBatch
from payments.reconciliation import settlement_import, unsettled_transactions
from payments.services import payment_authorize, payment_capture, payment_refund
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


def test_captures_and_refunds_are_matched_and_the_deposit_posted(card_token):
    order = make_order("100.00")
    payment = payment_authorize(order_id=order.pk, method="card", amount=D("100"), currency="BRL",
                                token=card_token(), idempotency_key="rc1", acting_user=None)
    capture = payment_capture(payment_id=payment.pk, amount=D("100"), reference="shipment:1", acting_user=None)
    refund = payment_refund(payment_id=payment.pk, amount=D("30"), reason="return", reference="return:1",
                            acting_user=None)
    assert [t.pk for t in unsettled_transactions()] == [capture.pk, refund.pk]
    day = timezone.localdate().isoformat()
    content = ("date,type,reference,amount,fee,currency\r\n"
               f"{day},capture,{capture.gateway_reference},100.00,3.00,BRL\r\n"
               f"{day},refund,{refund.gateway_reference},30.00,0.00,BRL\r\n").encode("utf-8-sig")
    batch = settlement_import(file_name="day.csv", content=content, acting_user=None)
    assert list(batch.lines.values_list("match", flat=True)) == ["matched", "matched"]
    assert list(unsettled_transactions()) == []
    balances = {r["account"].code: r["balance"] for r in trial_balance()}
    assert balances == {"1000": D("67"), "1010": D("0"), "2000": D("-70"), "5100": D("3")}
    assert (batch.gross, batch.fees) == (D("70"), D("3"))  # the refund is taken off: 70 - 3 is the deposit (was 130)
    again = settlement_import(file_name="day.csv", content=content, acting_user=None)
    assert list(again.lines.values_list("match", flat=True)) == ["already_settled", "already_settled"]  # once only
    assert again.journal_entry is None
    assert verify_journal() == []


def test_a_capture_twice_in_one_file_is_settled_once(card_token):
    order = make_order("100.00")
    payment = payment_authorize(order_id=order.pk, method="card", amount=D("100"), currency="BRL",
                                token=card_token(), idempotency_key="rc2", acting_user=None)
    capture = payment_capture(payment_id=payment.pk, amount=D("100"), reference="shipment:1", acting_user=None)
    row = f"{timezone.localdate().isoformat()},capture,{capture.gateway_reference},100.00,0.00,BRL\r\n"
    batch = settlement_import(file_name="day.csv", content="date,type,reference,amount,fee,currency\r\n" + row * 2,
                              acting_user=None)
    assert list(batch.lines.values_list("match", flat=True)) == ["matched", "already_settled"]
    assert {r["account"].code: r["balance"] for r in trial_balance()}["1000"] == D("100")  # the bank once


def test_a_settlement_row_for_a_payment_no_processor_took_is_not_matched():
    """An invoice paid on terms has a capture too; a processor's file naming its reference does not settle it."""
    order = make_order("50.00")
    payment = payment_authorize(order_id=order.pk, method="invoice", amount=D("50"), currency="BRL", token="",
                                idempotency_key="rc3", acting_user=None)
    capture = payment_capture(payment_id=payment.pk, amount=D("50"), reference="shipment:2", acting_user=None)
    assert capture.gateway_reference
    row = f"{timezone.localdate().isoformat()},capture,{capture.gateway_reference},50.00,0.00,BRL\r\n"
    batch = settlement_import(file_name="day.csv", content="date,type,reference,amount,fee,currency\r\n" + row,
                              acting_user=None)
    assert list(batch.lines.values_list("match", flat=True)) == ["unmatched"] and batch.journal_entry is None


@pytest.mark.parametrize(("content", "message"), [
    (b"when,what\n1,2\n", "Missing column(s): date, type, reference, amount, fee, currency."),
    (b"date,type,reference,amount,fee,currency\n", "the file has no rows"),
    (b"date,type,reference,amount,fee,currency\n2026-01-01,chargeback,x,1,0,BRL\n", "row 2: type must be"),
    (b"\xff\xfe", "The file is not UTF-8 text."),
    (b"date,type,reference,amount,fee,currency\n2026-01-01,capture," + b"x" * 200_000 + b",1,0,BRL\n",
     "not a readable CSV file"),
    (b"date,type,reference,amount,fee,currency\n2026-13-45,capture,x,1,0,BRL\n",
     "row 2: the date \u201c2026-13-45\u201d does not exist (a year has 12 months)"),  # was a server error
    (b"date,type,reference,amount,fee,currency\n2026-02-29,capture,x,1,0,BRL\n",
     "row 2: the date \u201c2026-02-29\u201d does not exist (February 2026 has 28 days)"),
    (b"date,type,reference,amount,fee,currency\n29/02/2028,capture,x,1,0,BRL\n",
     "row 2: date \u201c29/02/2028\u201d is not YYYY-MM-DD"),
])
def test_bad_files_are_refused_whole(content, message):
    with pytest.raises(SettlementFileError) as caught:
        settlement_import(file_name="bad.csv", content=content, acting_user=None)
    assert message in caught.value.message
    assert SettlementBatch.objects.count() == 0


def test_a_row_in_another_currency_than_the_payment_is_not_settled(role_client, card_token, settings):
    """100 USD in the processor's file does not settle a capture of R$ 100: nothing is posted, the page says the
    amount differs and shows the capture in its own currency."""
    order = make_order("100.00")
    payment = payment_authorize(order_id=order.pk, method="card", amount=D("100"), currency="BRL",
                                token=card_token(), idempotency_key="rc4", acting_user=None)
    capture = payment_capture(payment_id=payment.pk, amount=D("100"), reference="shipment:1", acting_user=None)
    row = f"{timezone.localdate().isoformat()},capture,{capture.gateway_reference},100.00,1.00,USD\r\n"
    batch = settlement_import(file_name="usd.csv", content="date,type,reference,amount,fee,currency\r\n" + row,
                              acting_user=None)
    assert list(batch.lines.values_list("match", flat=True)) == ["amount_differs"]
    assert batch.journal_entry is None and list(unsettled_transactions()) == [capture]
    assert {r["account"].code: r["balance"] for r in trial_balance()} == {"1010": D("100"), "2000": D("-100")}
    page = role_client("finance").get(reverse("payments:settlement_detail", args=[batch.pk])).content.decode()
    assert "Amount differs" in page and "US$\xa0100.00" in page and "R$\xa0100.00" in page


def test_a_blank_currency_is_the_shops_default(card_token, settings):
    settings.DEFAULT_CURRENCY = "USD"
    order = make_order("80.00", currency="USD")
    payment = payment_authorize(order_id=order.pk, method="card", amount=D("80"), currency="USD",
                                token=card_token(), idempotency_key="rc5", acting_user=None)
    capture = payment_capture(payment_id=payment.pk, amount=D("80"), reference="shipment:1", acting_user=None)
    row = f"{timezone.localdate().isoformat()},capture,{capture.gateway_reference},80.00,2.00,\r\n"
    batch = settlement_import(file_name="usd.csv", content="date,type,reference,amount,fee,currency\r\n" + row,
                              acting_user=None)
    assert (batch.currency, list(batch.lines.values_list("match", flat=True))) == ("USD", ["matched"])
    assert batch.journal_entry.currency == "USD"
    assert {r["account"].code: r["balance"] for r in trial_balance(currency="USD")} == {
        "1000": D("78"), "1010": D("0"), "2000": D("-80"), "5100": D("2")}


def test_blank_and_written_base_currency_rows_are_one_currency(card_token):
    """A blank currency is the shop's default, yet a file with "BRL" on some rows and nothing on others was refused
    whole as "all rows must have the same currency"."""
    captures = []
    for n in range(2):
        order = make_order("50.00")
        payment = payment_authorize(order_id=order.pk, method="card", amount=D("50"), currency="BRL",
                                    token=card_token(), idempotency_key=f"mix{n}", acting_user=None)
        captures.append(payment_capture(payment_id=payment.pk, amount=D("50"), reference="shipment:1",
                                        acting_user=None))
    day = timezone.localdate().isoformat()
    content = ("date,type,reference,amount,fee,currency\r\n"
               f"{day},capture,{captures[0].gateway_reference},50.00,1.00,BRL\r\n"
               f"{day},capture,{captures[1].gateway_reference},50.00,1.00,\r\n")
    batch = settlement_import(file_name="mixed.csv", content=content, acting_user=None)
    assert (batch.currency, list(batch.lines.values_list("match", flat=True))) == ("BRL", ["matched", "matched"])
    assert {r["account"].code: r["balance"] for r in trial_balance(currency="BRL")}["1000"] == D("98")
    with pytest.raises(SettlementFileError, match="same currency"):  # another currency is still refused
        settlement_import(file_name="two.csv", acting_user=None,
                          content=content.replace(",BRL\r\n", ",USD\r\n"))

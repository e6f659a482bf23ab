"""Journal memos and gift-card movements written by the system read in each reader's language."""

import html
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from payments.exports import export_rows
from payments.giftcards import giftcard_replace
from payments.ledger import Acct, cr, dr, journal_post
from payments.models import JournalEntry, Payment
from payments.services import invoice_issue, payment_authorize, payment_confirm
from tests.payments.factories import issue_card, make_order

pytestmark = pytest.mark.django_db
D = Decimal


def _page(client, url, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return html.unescape(client.get(url).content.decode())


def test_memos_are_stored_as_texts_and_read_in_the_readers_language(role_client):
    card, _code = issue_card("25.00", source="goodwill")
    order = make_order("100.00")
    pix = payment_authorize(order_id=order.pk, method="pix", amount=D("100.00"), currency="BRL",
                            idempotency_key="p1", acting_user=None)
    payment_confirm(payment_id=pix.pk, acting_user=None)
    invoice = invoice_issue(order_id=make_order("50.00").pk, amount=D("50.00"), currency="BRL", terms_days=30,
                            acting_user=None, reference="ship:9")
    issued = JournalEntry.objects.get(reference=f"giftcard:{card.pk}")
    received = JournalEntry.objects.get(reference=f"order:{order.pk}")
    billed = JournalEntry.objects.get(reference=f"invoice:{invoice.pk}")
    assert issued.memo_params is not None and received.memo_params is not None
    with translation.override("en"):
        assert issued.memo_text == f"Gift card issued \u2066••••{card.last4}\u2069"
        assert (received.memo_text, billed.memo_text) == ("PIX received", f"Invoice {invoice.number}")
    with translation.override("pt-br"):
        assert issued.memo_text == f"Vale-presente emitido \u2066••••{card.last4}\u2069"
        assert (received.memo_text, billed.memo_text) == ("Recebimento de PIX", f"Fatura {invoice.number}")
    with translation.override("ar"):
        assert "PIX received" not in received.memo_text and "PIX" in received.memo_text
        assert f"\u2066••••{card.last4}\u2069" in issued.memo_text and "issued" not in issued.memo_text
    client = role_client("finance")
    page = _page(client, reverse("payments:journal_list"), "pt-br")
    assert "Recebimento de PIX" in page and "PIX received" not in page
    detail = _page(client, reverse("payments:journal_detail", args=[issued.pk]), "ar")
    assert "Gift card issued" not in detail
    # Found by what the reader sees of it: the card's last four, the invoice number.
    found = client.get(reverse("payments:journal_list"), {"q": card.last4})
    assert [e.pk for e in found.context["page"]] == [issued.pk]
    found = client.get(reverse("payments:journal_list"), {"q": invoice.number})
    assert billed.pk in [e.pk for e in found.context["page"]]


def test_entries_written_before_keep_their_text_and_a_plain_memo_stays_as_typed(role_client):
    old = JournalEntry.objects.create(posted_on=timezone.localdate(), memo="PIX received", currency="BRL")
    typed = journal_post(lines=[dr(Acct.BANK, 10), cr(Acct.SALES, 10, "50% off")], memo="Deposit 100%",
                         reference="d1", acting_user=None)
    with translation.override("pt-br"):
        assert old.memo_text == "PIX received"
        assert typed.memo_text == "Deposit 100%"
        assert [line.description_text for line in typed.lines.all()] == ["", "50% off"]


def test_a_replaced_card_reads_in_the_readers_language_and_its_source_as_a_label(role_client):
    card, _code = issue_card("40.00", source="goodwill", reference="(demo)")
    new, _new_code = giftcard_replace(card_id=card.pk, reason="lost", acting_user=None)
    client = role_client("finance")
    page = _page(client, reverse("payments:giftcard_detail", args=[card.pk]), "pt-br")
    assert f"substituído por \u2066••••{new.last4}\u2069" in page and "replaced by" not in page
    assert "Origem: Cortesia" in page and "goodwill" not in page
    assert f'<bdi dir="ltr">••••{card.last4}</bdi>' in page
    entry = JournalEntry.objects.get(reference=f"giftcard:{card.pk}:replace")
    with translation.override("pt-br"):
        assert entry.memo_text == (f"Vale-presente \u2066••••{card.last4}\u2069 substituído por "
                                   f"\u2066••••{new.last4}\u2069")
    new_page = _page(client, reverse("payments:giftcard_detail", args=[new.pk]), "en")
    assert f"replaces \u2066••••{card.last4}\u2069" in new_page


def test_masked_numbers_are_kept_left_to_right_on_the_finance_pages(role_client):
    card, code = issue_card("30.00")
    order = make_order("30.00")
    payment_authorize(order_id=order.pk, method="gift_card", amount=D("10.00"), currency="BRL",
                      details={"code": code}, idempotency_key="g1", acting_user=None)
    client = role_client("finance")
    masked = f'<bdi dir="ltr">••••{card.last4}</bdi>'
    for url in (reverse("payments:giftcard_list"), reverse("payments:payment_list"),
                reverse("payments:order_payments", args=[order.pk])):
        page = _page(client, url, "ar")
        assert masked in page, url
        assert f"{card.last4}••••" not in page
    assert Payment.objects.get().masked_number == f"••••{card.last4}"


def test_the_accounting_export_has_readable_memos_without_direction_marks(role_client):
    card, _code = issue_card("25.00")
    today = timezone.localdate()
    with translation.override("en"):
        rows = list(export_rows(layout="generic", since=today, until=today))
    memos = {row[3] for row in rows[1:]}
    assert memos == {f"Gift card issued ••••{card.last4}"}


def test_the_replacement_page_names_the_blocked_card_left_to_right(role_client):
    card, _code = issue_card("20.00")
    client = role_client("finance")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    response = client.post(reverse("payments:giftcard_replace", args=[card.pk]), {"reason": "lost"})
    page = html.unescape(response.content.decode())
    assert f'بطاقة هدية <bdi dir="ltr">••••{card.last4}</bdi> محظورة' in page

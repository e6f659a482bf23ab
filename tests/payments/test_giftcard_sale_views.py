# ruff: noqa: F811 - the fulfilment network fixtures are imported, then requested by name
"""Selling a gift card from the phone-order screen: the SKU's value and recipient fields, the code shown once
when the paid order is placed, and the order's payments panel listing the card with its refund button."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from orders.models import Order, OrderLine
from orders.services import draft_create, draft_update
from payments.giftcards import code_hash
from payments.ledger import verify_journal
from payments.models import GiftCard
from tests.fulfilment.conftest import net, stock  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield



def test_an_agent_sells_a_gift_card_from_the_phone_screen_and_reads_the_code_once(make_user, client, net, gift_sku):
    agent = make_user("agent")
    client.force_login(agent)
    draft = draft_create(channel_id=net["channel"].pk, acting_user=agent, customer_id=net["customer"].pk)
    response = client.post(reverse("orders:phone_add_line", args=[draft.pk]),
                           {"variant_id": gift_sku.pk, "quantity": 1})
    assert response.status_code == 200
    line = OrderLine.objects.get(order=draft)
    page = client.get(reverse("orders:phone_order", args=[draft.pk])).content.decode()
    assert f'id="gc-amount-{line.pk}"' in page and 'value="100.00"' in page
    assert f'id="o-{line.pk}"' not in page  # no price override box: the value is the price

    update = reverse("orders:phone_update_line", args=[draft.pk, line.pk])
    response = client.post(update, {"quantity": 1, "p_amount": "1", "p_recipient_name": "Ana"})
    assert escape("A gift card's value must be between 10 and 5000.") in response.content.decode()
    line.refresh_from_db()
    assert line.unit_price == Decimal("100.00")
    client.post(update, {"quantity": 1, "p_amount": "120,50", "p_recipient_name": "Ana"})
    line.refresh_from_db()
    assert (line.unit_price, line.tax_amount, line.line_total, line.personalization) == (
        Decimal("120.50"), Decimal("0.00"), Decimal("120.50"), {"recipient_name": "Ana"})

    draft_update(order_id=draft.pk, acting_user=agent, payment_method="invoice")
    response = client.post(reverse("orders:phone_place", args=[draft.pk]), {"idempotency_key": "k1"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#screen"
    assert response["HX-Push-Url"] == reverse("orders:order_detail", args=[draft.pk])
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "It is shown only once" in html
    card = GiftCard.objects.get(order_id=draft.pk)
    code = html.split('class="giftcard-code" tabindex="0">')[1].split("<")[0]
    assert card.code_hash == code_hash(code) and card.initial_amount == Decimal("120.50")
    order = Order.objects.get(pk=draft.pk)
    assert order.status == Order.Status.DELIVERED  # nothing to ship
    assert verify_journal() == []

    # Never again: not on the order page, not on the payments panel.
    for url in (reverse("orders:order_detail", args=[order.pk]), reverse("payments:order_payments", args=[order.pk])):
        body = client.get(url).content.decode()
        assert code not in body and code.replace("-", "") not in body
    panel = client.get(reverse("payments:order_payments", args=[order.pk])).content.decode()
    assert f"••••{card.last4}" in panel and "Refund unused card" not in panel  # agents cannot refund


def test_finance_refunds_an_unused_card_from_the_payments_panel(make_user, client, net, gift_sku):
    from tests.payments.test_giftcard_sale import draft_with, place

    agent, finance = make_user("agent"), make_user("finance")
    order = place(draft_with(agent, net, [(gift_sku, 1, {"amount": "60"})]), agent)
    line = order.lines.get()
    client.force_login(agent)
    response = client.post(reverse("orders:giftcards_issue", args=[order.pk]))
    assert response.status_code == 200 and "It is shown only once" in response.content.decode()
    client.force_login(finance)
    panel = client.get(reverse("payments:order_payments", args=[order.pk])).content.decode()
    assert reverse("orders:giftcard_refund", args=[order.pk, line.pk]) in panel
    response = client.post(reverse("orders:giftcard_refund", args=[order.pk, line.pk]), {"reason": ""})
    assert response.status_code == 302
    assert GiftCard.objects.get(order=order).status == GiftCard.Status.ACTIVE  # no reason: nothing done
    client.post(reverse("orders:giftcard_refund", args=[order.pk, line.pk]), {"reason": "duplicate purchase"})
    card = GiftCard.objects.get(order=order)
    assert (card.status, card.balance) == (GiftCard.Status.DISABLED, Decimal("0.00"))
    assert verify_journal() == []

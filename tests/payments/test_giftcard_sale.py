# ruff: noqa: F811 - the fulfilment network fixtures are imported, then requested by name
"""Gift cards sold as a product on an order: pricing, issue on payment, ledger, idempotency, cancel, refund,
and a mixed order (a shirt shipped, a card issued) carried to completion."""

import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import translation

from marketing.models import TaxRate
from oms.i18n import from_json
from oms.models import AuditEntry, OutboxMessage
from orders.documents import packing_slip_pdf
from orders.errors import OrderError
from orders.fulfilment import services as ful
from orders.fulfilment.models import Shipment, ShipmentLine
from orders.giftcards import order_giftcard_refund, order_giftcards_issue
from orders.models import Order, OrderEvent, OrderLine
from orders.services import (
    PaymentRequest,
    draft_create,
    draft_line_add,
    draft_line_update,
    draft_update,
    order_cancel,
    order_place,
    order_transition,
)
from orders.tasks import giftcards_issue_handler
from payments.giftcards import code_hash
from payments.ledger import trial_balance, verify_journal
from payments.models import GiftCard, GiftCardTransaction, JournalEntry, Payment
from payments.services import giftcard_redeem, payment_confirm
from tests.fulfilment.conftest import net, place_order, stock  # noqa: F401 - fixtures
from tests.marketing.factories import PromotionFactory
from tests.pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield



def balances() -> dict[str, Decimal]:
    return {row["account"].code: row["balance"] for row in trial_balance()}


def draft_with(user, net, lines, payment="invoice"):
    """``lines``: ``[(variant, qty, details)]`` -> a complete draft."""
    order = draft_create(channel_id=net["channel"].pk, acting_user=user, customer_id=net["customer"].pk)
    for variant, qty, details in lines:
        draft_line_add(order_id=order.pk, variant_id=variant.pk, quantity=qty, personalization=details,
                       acting_user=user)
    draft_update(order_id=order.pk, acting_user=user, payment_method=payment, shipping_service=net["service"])
    return order


def place(order, user, payment="invoice"):
    return order_place(order_id=order.pk, idempotency_key=uuid.uuid4().hex, acting_user=user,
                       payment=PaymentRequest(method=payment))


def test_a_gift_card_line_is_priced_at_its_value_without_tax_or_promotions(make_user, net, gift_sku):
    TaxRate.objects.filter(region="SP").update(rate=Decimal("18"))
    PromotionFactory(kind="order_percent", percent=Decimal("10"), is_active=True)
    agent = make_user("agent")
    order = draft_with(agent, net, [(gift_sku, 2, {"amount": "150,00", "recipient_name": "Ana"}),
                                    (net["shirt"], 1, {})])
    order.refresh_from_db()
    card, shirt = order.lines.order_by("position")
    assert (card.unit_price, card.list_price, card.tax_amount, card.discount_total, card.line_total) == (
        Decimal("150.00"), Decimal("150.00"), Decimal("0.00"), Decimal("0.00"), Decimal("300.00"))
    assert card.personalization == {"recipient_name": "Ana"}
    assert from_json(card.explanation[0]) == "Gift card value: R$\xa0150.00"
    with translation.override("pt-br"):  # the reason is the system's, read in the reader's language
        assert card.override_reason_text == "Valor do cartão-presente"
    # The shirt alone gets the 10% and the 18% tax.
    assert (shirt.discount_total, shirt.tax_amount, shirt.line_total) == (
        Decimal("10.00"), Decimal("16.20"), Decimal("106.20"))
    assert order.total == Decimal("300.00") + Decimal("106.20") + order.shipping_total
    assert card.status == OrderLine.Status.OPEN and not card.allocations.exists()


@pytest.mark.parametrize("details, message", [
    ({"amount": "5"}, "between 10 and 5000"),
    ({"amount": "9000"}, "between 10 and 5000"),
    ({"amount": "abc"}, "is not a number"),
    ({"amount": "50", "recipient_email": "not-an-email"}, "not a valid e-mail"),
])
def test_a_bad_value_or_recipient_is_refused_and_changes_nothing(make_user, net, gift_sku, details, message):
    agent = make_user("agent")
    order = draft_with(agent, net, [(gift_sku, 1, {"amount": "80"})])
    line = order.lines.get()
    with pytest.raises(OrderError, match=message):
        draft_line_update(order_id=order.pk, line_id=line.pk, personalization=details, acting_user=agent)
    line.refresh_from_db()
    assert (line.override_unit_price, line.line_total, line.personalization) == (Decimal("80.00"), Decimal("80.00"),
                                                                                  {})


def test_a_paid_virtual_order_issues_the_card_once_and_posts_the_liability(make_user, net, gift_sku):
    agent = make_user("agent")
    order = place(draft_with(agent, net, [(gift_sku, 1, {"amount": "150"})]), agent)
    assert order.status == Order.Status.CONFIRMED
    assert OutboxMessage.objects.filter(topic="orders.giftcards_issue", payload={"order_id": order.pk}).count() == 1
    assert not GiftCard.objects.filter(order=order).exists()

    issued = order_giftcards_issue(order_id=order.pk, acting_user=agent)

    assert len(issued) == 1 and len(issued[0].code) == 19
    card = GiftCard.objects.get(order=order)
    assert (card.pk, card.initial_amount, card.balance, card.source, card.status) == (
        issued[0].card_id, Decimal("150.00"), Decimal("150.00"), "sale", "active")
    assert card.code_hash == code_hash(issued[0].code) and card.last4 == issued[0].code[-4:]
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert order.lines.get().status == OrderLine.Status.DELIVERED
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.captured_amount) == ("invoice", order.total)
    # Invoiced (receivable) and the card is a liability, not revenue.
    assert verify_journal() == []
    assert balances() == {"1100": Decimal("150.00"), "2000": 0, "2100": Decimal("-150.00")}
    # The code is nowhere in the database.
    code = issued[0].code
    for rows in (OrderEvent.objects.filter(order=order).values_list("reason", "data"),
                 AuditEntry.objects.values_list("changes", "reason"), OutboxMessage.objects.values_list("payload"),
                 JournalEntry.objects.values_list("memo", "reference")):
        assert code not in str(list(rows)) and code.replace("-", "") not in str(list(rows))

    # A retry (agent and background job both) issues nothing more.
    assert order_giftcards_issue(order_id=order.pk, acting_user=agent) == []
    giftcards_issue_handler(OutboxMessage.objects.get(topic="orders.giftcards_issue"))
    assert GiftCard.objects.filter(order=order).count() == 1
    assert JournalEntry.objects.filter(lines__account__code="2100").count() == 1
    assert order_transition(order_id=order.pk, to_status=Order.Status.COMPLETED, acting_user=agent).status == \
        Order.Status.COMPLETED


def test_the_background_job_emails_each_code_to_its_recipient(make_user, net, gift_sku):
    agent = make_user("agent")
    order = place(draft_with(agent, net, [(gift_sku, 2, {"amount": "50", "recipient_email": "ana@example.com",
                                                         "message": "Feliz aniversário"})]), agent)
    giftcards_issue_handler(OutboxMessage.objects.get(topic="orders.giftcards_issue"))
    cards = list(GiftCard.objects.filter(order=order).order_by("pk"))
    assert [c.initial_amount for c in cards] == [Decimal("50.00"), Decimal("50.00")]
    assert [m.to for m in mail.outbox] == [["ana@example.com"], ["ana@example.com"]]
    codes = [m.body.split("Code: ")[1].split()[0] for m in mail.outbox]
    assert sorted(code_hash(c) for c in codes) == sorted(c.code_hash for c in cards)
    assert "Feliz aniversário" in mail.outbox[0].body


def test_the_code_is_emailed_in_the_buyers_language_whatever_the_workers(make_user, net, gift_sku):
    agent = make_user("agent")
    net["customer"].language = "pt-br"
    net["customer"].save()
    order = place(draft_with(agent, net, [(gift_sku, 1, {"amount": "1250", "message": "Parabéns"})]), agent)
    giftcards_issue_handler(OutboxMessage.objects.get(topic="orders.giftcards_issue"))  # the worker: English
    [sent] = mail.outbox
    assert (sent.to, sent.subject) == ([order.email], "Seu cartão-presente")
    assert sent.body.startswith("Você recebeu um cartão-presente de R$\xa01.250,00.") and "Código: " in sent.body


def test_an_order_on_hold_or_cancelled_before_issue_issues_nothing(make_user, net, gift_sku, settings):
    settings.ORDERS_HOLD_ABOVE = 100
    agent = make_user("agent")
    order = place(draft_with(agent, net, [(gift_sku, 1, {"amount": "300"})]), agent)
    assert order.status == Order.Status.ON_HOLD
    assert order_giftcards_issue(order_id=order.pk, acting_user=agent) == []
    order_cancel(order_id=order.pk, reason="customer changed their mind", acting_user=agent)
    assert order_giftcards_issue(order_id=order.pk, acting_user=agent) == []
    assert not GiftCard.objects.exists()
    assert order.lines.get().status == OrderLine.Status.CANCELLED
    assert not JournalEntry.objects.filter(lines__account__code="2100").exists()


def test_a_pending_pix_issues_the_card_when_the_money_arrives(make_user, net, gift_sku):
    agent = make_user("agent")
    order = place(draft_with(agent, net, [(gift_sku, 1, {"amount": "70"})], payment="pix"), agent, payment="pix")
    assert order.status == Order.Status.CONFIRMED
    assert order_giftcards_issue(order_id=order.pk, acting_user=agent) == []
    assert not GiftCard.objects.exists()
    waiting = [e.reason_text for e in order.events.all()].count("Gift cards not issued yet: waiting for the payment")
    assert waiting == 1
    payment = Payment.objects.get(order=order)
    payment_confirm(payment_id=payment.pk, acting_user=agent)
    from payments import events

    message = OutboxMessage.objects.filter(topic=events.TOPIC).order_by("-pk").first()
    assert message.payload["status"] == "captured"
    events.deliver(message.payload)  # the orders app's listener issues the card, e-mailed to the buyer
    card = GiftCard.objects.get(order=order)
    assert card.initial_amount == Decimal("70.00")
    assert [m.to for m in mail.outbox] == [[order.email]]
    assert verify_journal() == []


def test_refunding_an_unused_card_voids_it_and_pays_back(make_user, net, gift_sku):
    agent = make_user("agent")
    order = place(draft_with(agent, net, [(gift_sku, 1, {"amount": "150"})]), agent)
    order_giftcards_issue(order_id=order.pk, acting_user=agent)
    assert order_giftcard_refund(order_id=order.pk, line_id=order.lines.get().pk, reason="not wanted",
                                 acting_user=agent) == Decimal("150.00")
    card = GiftCard.objects.get(order=order)
    assert (card.balance, card.status) == (Decimal("0.00"), GiftCard.Status.DISABLED)
    assert list(card.transactions.values_list("kind", "amount")) == [("issue", Decimal("150.00")),
                                                                       ("void", Decimal("-150.00"))]
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == Decimal("150.00")
    order.refresh_from_db()
    assert order.status == Order.Status.RETURNED
    assert verify_journal() == []
    assert balances().get("2100", Decimal(0)) == 0
    # A retry refunds nothing more.
    order_giftcard_refund(order_id=order.pk, line_id=order.lines.get().pk, reason="again", acting_user=agent)
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("150.00")
    with pytest.raises(Exception):
        giftcard_redeem(amount="1", reference="x", acting_user=agent, card_id=card.pk)


def test_a_card_refund_the_payments_cannot_take_whole_says_what_is_left_to_pay_back(make_user, net, gift_sku):
    """Part of the order's money was already given back (a goodwill refund): voiding the card paid back what the
    payment still held and said "Gift card voided and R$ 150.00 refunded" for money that never went back."""
    from payments.services import payment_refund

    agent = make_user("agent")
    order = place(draft_with(agent, net, [(gift_sku, 1, {"amount": "150"})]), agent)
    order_giftcards_issue(order_id=order.pk, acting_user=agent)
    payment = Payment.objects.get(order=order)
    payment_refund(payment_id=payment.pk, amount=Decimal("100.00"), reason="goodwill", acting_user=agent)
    line = order.lines.get()
    for reason in ("not wanted", "again"):  # a retry pays nothing twice and says the same
        with pytest.raises(OrderError, match=r"hold only R\$\xa050.00 to pay back: pay the other R\$\xa0100.00"):
            order_giftcard_refund(order_id=order.pk, line_id=line.pk, reason=reason, acting_user=agent)
    assert GiftCard.objects.get(order=order).status == GiftCard.Status.DISABLED
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("150.00") and verify_journal() == []


def test_a_used_card_is_not_refunded(make_user, net, gift_sku):
    agent = make_user("agent")
    order = place(draft_with(agent, net, [(gift_sku, 1, {"amount": "150"})]), agent)
    [issued] = order_giftcards_issue(order_id=order.pk, acting_user=agent)
    giftcard_redeem(amount="20", reference="other-order", acting_user=agent, code=issued.code)
    with pytest.raises(OrderError, match="has been used"):
        order_giftcard_refund(order_id=order.pk, line_id=order.lines.get().pk, reason="x", acting_user=agent)
    card = GiftCard.objects.get(order=order)
    assert (card.balance, card.status) == (Decimal("130.00"), "active")
    assert not card.transactions.filter(kind=GiftCardTransaction.Kind.VOID).exists()
    assert Payment.objects.get(order=order).refunded_amount == 0
    assert order.lines.get().status == OrderLine.Status.DELIVERED


def test_a_mixed_order_ships_the_shirt_issues_the_card_and_completes(make_user, net, gift_sku):
    agent, warehouse = make_user("agent"), make_user("warehouse")
    order = place(draft_with(agent, net, [(net["shirt"], 1, {}), (gift_sku, 1, {"amount": "200"})]), agent)
    assert order.status == Order.Status.CONFIRMED
    shirt, card_line = order.lines.order_by("position")
    assert shirt.status == OrderLine.Status.RESERVED and card_line.status == OrderLine.Status.OPEN

    [issued] = order_giftcards_issue(order_id=order.pk, acting_user=agent)
    assert issued.amount == Decimal("200.00")
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED  # the shirt is still to ship

    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=warehouse)
    assert list(ShipmentLine.objects.filter(shipment=shipment).values_list("order_line__sku", flat=True)) == [
        net["shirt"].sku]
    slip = pdf_text(packing_slip_pdf(order))  # the warehouse packs the shirt; the card was issued, not packed
    assert net["shirt"].sku in slip and gift_sku.sku not in slip
    ful.shipment_scan(shipment_id=shipment.pk, code=net["shirt"].sku, acting_user=warehouse)
    ful.shipment_ship(shipment_id=shipment.pk, carrier="Correios", tracking_number="BR1X", acting_user=warehouse)
    ful.shipment_deliver(shipment_id=shipment.pk, acting_user=warehouse)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    order_transition(order_id=order.pk, to_status=Order.Status.COMPLETED, acting_user=agent)
    assert Shipment.objects.filter(order=order).count() == 1
    payment = Payment.objects.get(order=order)
    assert payment.captured_amount == order.total
    assert verify_journal() == []
    b = balances()
    # What the customer owes is settled (2000 nets to zero); the card is a liability; only the shirt is revenue.
    assert b.get("2000", Decimal(0)) == 0
    assert b["2100"] == Decimal("-200.00")
    assert b["4000"] == -(shirt.line_total - shirt.tax_amount)


def test_an_issued_card_cannot_be_cancelled_but_the_shirt_beside_it_can(make_user, net, gift_sku):
    agent = make_user("agent")
    order = place(draft_with(agent, net, [(net["shirt"], 1, {}), (gift_sku, 1, {"amount": "200"})]), agent)
    order_giftcards_issue(order_id=order.pk, acting_user=agent)
    shirt, card_line = order.lines.order_by("position")
    with pytest.raises(OrderError, match="was already issued: it cannot be cancelled"):
        order_cancel(order_id=order.pk, reason="changed mind", acting_user=agent)
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert sorted(order.lines.values_list("status", flat=True)) == ["delivered", "reserved"]
    order_cancel(order_id=order.pk, reason="no shirt after all", acting_user=agent, line_ids=[shirt.pk])
    order.refresh_from_db()
    assert (order.total, order.status) == (Decimal("200.00"), Order.Status.DELIVERED)  # nothing left to ship
    assert GiftCard.objects.get(order=order).status == GiftCard.Status.ACTIVE

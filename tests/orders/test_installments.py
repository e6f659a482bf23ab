"""Card installments on a phone order: the channel's offer, the draft's choice, placement's check and the payment."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from oms.models import AuditEntry
from orders.errors import OrderError, PaymentFailed
from orders.models import Channel, Order
from orders.services import draft_line_update, draft_update, order_place
from payments.installments import installment_amounts, installment_counts, installments_text
from payments.models import Payment
from tests.orders.test_payments_flow import card

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("role_groups")]

D = Decimal


def key() -> str:
    """A fresh placing key: the sandbox processor remembers its answer to a key across tests."""
    return uuid.uuid4().hex


@pytest.fixture
def offering(world):
    """The phone channel offers cards in up to 6 installments of at least R$ 25."""
    Channel.objects.filter(pk=world["channel"].pk).update(card_installments_max=6,
                                                          card_installment_minimum=D("25.00"))
    return world


def test_card_placed_in_the_installments_the_draft_chose(make_user, offering, make_draft):
    agent = make_user("agent")
    draft = make_draft(agent, [(offering["variants"][0], 1)], payment_method="card", payment_installments=3)
    order = order_place(order_id=draft.pk, idempotency_key=key(), acting_user=agent, payment=card())
    payment = Payment.objects.get(order=order)
    assert (order.status, payment.status, payment.installments, payment.amount) == (
        Order.Status.CONFIRMED, "authorized", 3, order.total)
    assert Order.objects.get(pk=order.pk).payment_installments == 3


def test_a_count_the_channel_does_not_offer_for_the_total_is_refused_before_anything_is_taken(
        make_user, offering, make_draft):
    agent = make_user("agent")
    draft = make_draft(agent, [(offering["variants"][0], 1)], payment_method="card", payment_installments=6)
    total = Order.objects.get(pk=draft.pk).total
    assert 6 not in installment_counts(total, "BRL", most=6, smallest=D("25"))  # R$ 133 in 6 is under R$ 25 each
    with translation.override("en"), pytest.raises(OrderError) as refused:
        order_place(order_id=draft.pk, idempotency_key=key(), acting_user=agent, payment=card())
    assert refused.value.field == "payment_installments"
    assert refused.value.message.startswith("6 installments are not offered for R$")
    assert "Phone offers up to 6, of at least R$\u00a025.00 each" in refused.value.message
    assert not Payment.objects.exists()
    again = Order.objects.get(pk=draft.pk)
    assert (again.status, again.number, again.stock_held_until) == (Order.Status.DRAFT, "", None)
    draft_update(order_id=draft.pk, acting_user=agent, payment_installments=5)
    assert order_place(order_id=draft.pk, idempotency_key=key(), acting_user=agent,
                       payment=card()).payments.get().installments == 5


def test_another_method_is_paid_at_once(make_user, offering, make_draft):
    agent = make_user("agent")
    draft = make_draft(agent, payment_method="card", payment_installments=4)
    draft_update(order_id=draft.pk, acting_user=agent, payment_method="pix")
    assert Order.objects.get(pk=draft.pk).payment_installments == 1
    order = order_place(order_id=draft.pk, idempotency_key=key(), acting_user=agent)
    assert (order.payment_installments, order.payments.get().installments) == (1, 1)


@pytest.mark.parametrize("count", [0, 25, "3", None])
def test_draft_refuses_an_impossible_count(make_user, offering, make_draft, count):
    agent = make_user("agent")
    draft = make_draft(agent, payment_method="card")
    with pytest.raises(OrderError) as refused:
        draft_update(order_id=draft.pk, acting_user=agent, payment_installments=count)
    assert refused.value.field == "payment_installments"
    assert Order.objects.get(pk=draft.pk).payment_installments == 1


def test_a_debit_card_in_installments_tells_the_agent_what_to_do(role_client, offering, make_draft):
    client = role_client("agent")
    draft = make_draft(client.user, payment_method="card", payment_installments=2)
    token = card("4000056655665556")
    with translation.override("en"):
        response = client.post(reverse("orders:phone_place", args=[draft.pk]), {
            "idempotency_key": key(), "card_token": token.token, **{f"card_{k}": v for k, v in token.details.items()}},
            HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "cannot be billed in installments" in body and "Ask for another card" in body
    assert Order.objects.get(pk=draft.pk).status == Order.Status.DRAFT
    with pytest.raises(PaymentFailed):  # the same through the service, for the record
        order_place(order_id=draft.pk, idempotency_key=key(), acting_user=client.user, payment=token)


def test_phone_screen_lists_the_counts_for_the_total_and_keeps_the_choice(role_client, offering, make_draft):
    client = role_client("agent")
    draft = make_draft(client.user, [(offering["variants"][0], 2)], payment_method="invoice")
    url = reverse("orders:phone_order", args=[draft.pk])
    assert 'name="payment_installments"' not in client.get(url).content.decode()  # not a card
    client.post(reverse("orders:phone_update_header", args=[draft.pk]), {"payment_method": "card"},
                HTTP_HX_REQUEST="true")
    order = Order.objects.get(pk=draft.pk)
    with translation.override("en"):
        body = client.get(url).content.decode()
        for count in installment_counts(order.total, "BRL", most=6, smallest=D("25")):
            text = installments_text(order.total, count, "BRL")
            assert f'<option value="{count}"' in body and text.replace("\u00a0", "&nbsp;") in body or text in body
    assert 'id="installments"' in body and "At once:" in body
    saved = client.post(reverse("orders:phone_update_header", args=[draft.pk]), {"payment_installments": "6"},
                        HTTP_HX_REQUEST="true")
    assert saved.status_code == 200 and Order.objects.get(pk=draft.pk).payment_installments == 6
    assert '<option value="6" selected>' in saved.content.decode()

    # The total drops: 6 is no longer offered; the list keeps it, says so, and placing refuses it.
    line = order.lines.get()
    draft_line_update(order_id=draft.pk, line_id=line.pk, quantity=1, acting_user=client.user)
    with translation.override("en"):
        body = client.get(url).content.decode()
    assert '<option value="6" selected>' in body and "not offered for this total" in body

    refused = client.post(reverse("orders:phone_update_header", args=[draft.pk]), {"payment_installments": "abc"},
                          HTTP_HX_REQUEST="true")
    assert "Choose the number of installments from the list." in refused.content.decode()
    assert Order.objects.get(pk=draft.pk).payment_installments == 6


def test_channel_without_installments_shows_no_list(role_client, world, make_draft):
    client = role_client("agent")
    draft = make_draft(client.user, payment_method="card")
    assert 'name="payment_installments"' not in client.get(
        reverse("orders:phone_order", args=[draft.pk])).content.decode()


def test_order_and_payments_pages_show_the_installments(role_client, offering, make_draft):
    client = role_client("manager")
    draft = make_draft(client.user, payment_method="card", payment_installments=2)
    order = order_place(order_id=draft.pk, idempotency_key=key(), acting_user=client.user, payment=card())
    with translation.override("en"):
        expected = installments_text(order.total, 2, "BRL")
    for page in (reverse("orders:order_detail", args=[order.pk]), reverse("payments:order_payments", args=[order.pk])):
        body = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert expected in body, page


def test_admin_sets_a_channels_installments_and_is_told_what_is_wrong(role_client, world):
    client = role_client("admin")
    channel = world["channel"]
    url = reverse("orders:channel_edit", args=[channel.pk])
    form = {"name": channel.name, "kind": channel.kind, "order_prefix": channel.order_prefix, "currency": "BRL",
            "language": "", "price_list_code": "", "sourcing_strategy": "first_available", "is_active": "on"}
    saved = client.post(url, {**form, "card_installments_max": "10", "card_installment_minimum": "50,00"})
    assert saved.status_code == 302
    channel.refresh_from_db()
    assert (channel.card_installments_max, channel.card_installment_minimum) == (10, D("50.00"))
    entry = AuditEntry.objects.get(verb="channel_update", object_id=str(channel.pk))
    assert entry.changes["card_installments_max"] == [1, 10]
    with translation.override("en"):
        detail = client.get(reverse("orders:channel_detail", args=[channel.pk])).content.decode()
    assert "cards in up to 10 installments of at least R$" in detail
    for field, value, says in [("card_installments_max", "25", "less than or equal to 24"),
                               ("card_installments_max", "0", "greater than or equal to 1"),
                               ("card_installment_minimum", "0,001", "BRL has 2 decimal places"),
                               ("card_installment_minimum", "1e3", "1e3"),
                               ("card_installment_minimum", "-5", "at least 0")]:
        refused = client.post(url, {**form, "card_installments_max": "6", "card_installment_minimum": "10",
                                    field: value}, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 422, (field, value)
        assert says in " ".join(refused.context["form"].errors[field]), (field, value)
    channel.refresh_from_db()
    assert (channel.card_installments_max, channel.card_installment_minimum) == (10, D("50.00"))


def test_the_confirmation_email_says_how_the_card_is_billed(make_user, offering, make_draft):
    from oms.models import OutboxMessage
    from oms.outbox import outbox_deliver_message
    from oms.templatetags.oms_tags import money

    agent = make_user("agent")
    draft = make_draft(agent, [(offering["variants"][0], 1)], payment_method="card", payment_installments=3)
    order = order_place(order_id=draft.pk, idempotency_key=key(), acting_user=agent, payment=card())
    for message in OutboxMessage.objects.filter(topic="orders.channel_status", status="pending"):
        outbox_deliver_message(message_id=message.pk)
    [mail] = [m.payload for m in OutboxMessage.objects.filter(topic="oms.email") if m.payload["to"] == [order.email]]
    first, part, _third = installment_amounts(order.total, 3, "BRL")
    with translation.override(mail["language"]):
        expected = f"Paid by the card ending 4242 in 3 interest-free installments of {money(part, 'BRL')}"
        if first != part:
            expected += f" (the first {money(first, 'BRL')})"
    assert expected in mail["body"]

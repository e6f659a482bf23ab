"""The draft's header values are checked when they are saved on the draft, not only when it is placed."""

import pytest
from django.urls import reverse

from orders.errors import OrderError
from orders.models import Order
from orders.services import draft_create, draft_update


@pytest.mark.parametrize("changes,field,message", [
    ({"payment_method": "bitcoin"}, "payment_method", "Unknown payment method “bitcoin”"),
    ({"delivery_method": "drone"}, "delivery_method", "Unknown delivery method “drone”"),
    ({"delivery_method": ""}, "delivery_method", "Unknown delivery method “”"),
])
def test_draft_update_refuses_an_unknown_payment_or_delivery_method(make_user, make_draft, changes, field, message):
    agent = make_user("agent")
    draft = make_draft(agent, notes="before")
    with pytest.raises(OrderError) as exc:
        draft_update(order_id=draft.pk, acting_user=agent, notes="after", **changes)
    assert exc.value.field == field
    assert message in exc.value.message
    order = Order.objects.get(pk=draft.pk)  # nothing half-applied
    assert (order.payment_method, order.delivery_method, order.notes) == ("invoice", "ship", "before")


def test_draft_create_refuses_an_unknown_payment_method(make_user, world):
    agent = make_user("agent")
    with pytest.raises(OrderError) as exc:
        draft_create(channel_id=world["channel"].pk, acting_user=agent, payment_method="bitcoin")
    assert exc.value.field == "payment_method"
    assert not Order.objects.filter(status=Order.Status.DRAFT).exists()


def test_draft_update_accepts_every_payment_method_and_clearing_it(make_user, make_draft):
    from payments.models import Payment

    agent = make_user("agent")
    draft = make_draft(agent)
    for method in [*Payment.Method.values, ""]:
        draft_update(order_id=draft.pk, acting_user=agent, payment_method=method)
        assert Order.objects.get(pk=draft.pk).payment_method == method
    draft_update(order_id=draft.pk, acting_user=agent, delivery_method="pickup")
    assert Order.objects.get(pk=draft.pk).delivery_method == "pickup"


@pytest.mark.parametrize("data,message", [
    ({"payment_method": "bitcoin"}, "Unknown payment method “bitcoin”"),
    ({"delivery_method": "teleport"}, "Unknown delivery method “teleport”"),
])
def test_phone_screen_names_the_unknown_value_and_keeps_the_draft(role_client, make_draft, data, message):
    client = role_client("agent")
    draft = make_draft(client.user)
    response = client.post(reverse("orders:phone_update_header", args=[draft.pk]), data, HTTP_HX_REQUEST="true")
    assert message in response.content.decode()
    order = Order.objects.get(pk=draft.pk)
    assert (order.payment_method, order.delivery_method) == ("invoice", "ship")

"""The payment panel's "Still to pay": what the order's total still needs. A refund given back on a return or by hand
(goodwill) is owed by nobody; only a refund that followed a lower total (an edit) leaves money to collect again
when the total goes back up."""

from decimal import Decimal as D

from django.urls import reverse

from orders.models import Order
from payments.services import payment_authorize, payment_refund, settle_to_amount
from tests.payments.factories import issue_card, make_order


def _panel(client, order):
    response = client.get(reverse("payments:order_payments", args=[order.pk]))
    assert response.status_code == 200
    return response


def test_a_refund_by_hand_or_for_a_return_leaves_nothing_to_pay(role_client):
    order = make_order("100.00")
    _card, code = issue_card("100.00")
    payment = payment_authorize(order_id=order.pk, method="gift_card", amount=D("100.00"), currency="BRL",
                                details={"code": code}, idempotency_key="g", acting_user=None)
    client = role_client("finance")
    client.post(reverse("payments:payment_refund", args=[payment.pk]), {"amount": "10", "reason": "late delivery"})
    payment_refund(payment_id=payment.pk, amount=D("30.00"), reason="RMA-1", reference=f"return:1:{payment.pk}",
                   acting_user=None)
    response = _panel(client, order)
    assert response.context["due"] == 0
    assert response.context["summary"]["covered"] == D("100.00")
    assert response.context["summary"]["net_paid"] == D("60.00")


def test_a_refund_after_a_lower_total_is_collected_again_when_the_total_rises(role_client):
    order = make_order("100.00")
    _card, code = issue_card("100.00")
    payment_authorize(order_id=order.pk, method="gift_card", amount=D("100.00"), currency="BRL",
                      details={"code": code}, idempotency_key="g", acting_user=None)
    Order.objects.filter(pk=order.pk).update(total=D("80.00"))  # an edit took a line off
    settle_to_amount(order_id=order.pk, amount=D("80.00"), reason="order:1", acting_user=None)
    client = role_client("agent")
    assert _panel(client, order).context["due"] == 0
    Order.objects.filter(pk=order.pk).update(total=D("100.00"))  # and put it back
    assert _panel(client, order).context["due"] == D("20.00")


def test_a_cancelled_order_has_nothing_to_pay(role_client):
    order = make_order("100.00")
    _card, code = issue_card("100.00")
    payment_authorize(order_id=order.pk, method="gift_card", amount=D("100.00"), currency="BRL",
                      details={"code": code}, idempotency_key="g", acting_user=None)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    settle_to_amount(order_id=order.pk, amount=0, reason="order:1", acting_user=None)
    response = _panel(role_client("agent"), order)
    assert response.context["due"] == 0
    assert 'class="badge warn"' not in response.content.decode()

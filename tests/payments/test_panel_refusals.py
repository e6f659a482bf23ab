"""Every refusal of the order page's "Take a payment" form says what is wrong: the panel came back (422) with no
word at all for a refused check number, terms or card choice, and for a form without its key."""

import pytest
from django.urls import reverse

from payments.models import Payment
from tests.payments.factories import make_order


@pytest.mark.django_db
@pytest.mark.parametrize("data,message", [
    ({"method": "check", "check_number": "1" * 21}, "Ensure this value has at most 20 characters (it has 21)."),
    ({"method": "invoice", "terms_days": "400"}, "Ensure this value is less than or equal to 365."),
    ({"method": "invoice", "terms_days": "soon"}, "Enter a whole number."),
    ({"method": "card", "saved_card": "12345"}, "That card is not among the customer"),
    ({"method": "pix", "idempotency_key": ""}, "The form expired; reload the page and try again."),
])
def test_take_payment_refusals_name_the_problem(role_client, data, message):
    client = role_client("agent")
    order = make_order("150.00")
    response = client.post(reverse("payments:payment_add", args=[order.pk]),
                           {"amount": "10.00", "idempotency_key": "k1", **data}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_a_payment_takes_at_most_what_the_order_still_needs(role_client):
    """An extra zero typed (1500,00 for a R$ 150 order) was taken as it was: the customer was charged ten times
    over; and a second payment on a covered order charged it twice."""
    client = role_client("agent")
    order = make_order("150.00")
    url = reverse("payments:payment_add", args=[order.pk])
    htmx = {"HX-Request": "true"}
    too_much = client.post(url, {"method": "pix", "amount": "1500", "idempotency_key": "k1"}, headers=htmx)
    assert too_much.status_code == 422
    assert (f"Order {order} needs R$\xa0150.00 more: a payment of R$\xa01,500.00 would take more than it costs."
            in too_much.content.decode())
    assert not Payment.objects.exists()
    for method, amount, key in [("pix", "100", "k2"), ("cod", "50", "k3")]:
        taken = client.post(url, {"method": method, "amount": amount, "idempotency_key": key}, headers=htmx)
        assert taken.status_code == 200
    covered = client.post(url, {"method": "cod", "amount": "1", "idempotency_key": "k4"}, headers=htmx)
    assert covered.status_code == 422
    assert f"Nothing is left to pay on order {order}: its payments cover it." in covered.content.decode()
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [50, 100]

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

"""The top bar search (``/search/``): what a user types finds the record however it is formatted."""

import pytest
from django.urls import reverse

from orders.errors import DuplicateCustomer
from orders.selectors import customer_search
from orders.services import customer_create
from tests.orders.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TYPED = ["+55 (11) 98765-4321", "+5511987654321", "55 11 98765 4321", "(11) 98765-4321", "11987654321",
         "011 98765-4321"]


@pytest.mark.parametrize("stored", ["+5511987654321", "11987654321"])
def test_a_customer_is_found_by_the_phone_typed_with_or_without_the_country_code(role_client, stored):
    """Phones are kept as they were typed (digits, with the + kept): with +55 or without it. Typed with the
    country code, the search missed every customer kept without it; and the top bar went straight to the customer
    only when the number was typed exactly as kept ("+5511987654321"), not as people write it."""
    customer = CustomerFactory(name="Zuleica Prado", phone=stored)
    CustomerFactory(name="Other", phone="+5511987650000")
    client = role_client("agent")
    for typed in TYPED:
        assert customer_search(query=typed) == [customer], typed
        response = client.get("/search/", {"q": typed})
        assert (response.status_code, response["Location"]) == (
            302, reverse("orders:customer_detail", args=[customer.pk])), typed


def test_a_partial_phone_lists_the_customers_without_opening_one(role_client):
    """The end of a number finds every customer whose phone holds it, and is not taken for the whole number."""
    first = CustomerFactory(name="Ana", phone="+5511987654321")
    second = CustomerFactory(name="Bia", phone="21987654321")
    assert customer_search(query="98765-4321") == [first, second]
    only = CustomerFactory(name="Caio", phone="+5531912345678")
    response = role_client("agent").get("/search/", {"q": "1234-5678"})
    assert response.status_code == 200
    assert only.name in response.content.decode()


def test_a_customer_is_found_by_the_tax_id_typed_with_its_punctuation(role_client):
    customer = CustomerFactory(name="Davi", tax_id="52998224725")
    response = role_client("agent").get("/search/", {"q": "529.982.247-25"})
    assert response["Location"] == reverse("orders:customer_detail", args=[customer.pk])


def test_a_new_customer_with_a_known_phone_written_another_way_is_flagged_as_a_duplicate(role_client):
    """The duplicate check compared the phone as kept: "+55 (11) 98765-4321" did not match "11987654321"."""
    known = CustomerFactory(name="Zuleica Prado", phone="11987654321")
    with pytest.raises(DuplicateCustomer) as info:
        customer_create(data={"name": "Zuleica P.", "phone": "+55 (11) 98765-4321"}, acting_user=None)
    assert info.value.matches == [known]


def test_the_header_search_box_keeps_only_its_own_query(role_client):
    """A list's own filter (``/orders/?q=...``) is not the header search's: the box stays empty there, and shows
    what was searched on the search page."""
    client = role_client("manager")
    header_box = 'id="global-q" type="search" name="q" value="{}"'
    assert header_box.format("") in client.get("/orders/?q=ana").content.decode()
    assert header_box.format("ana") in client.get("/search/?q=ana").content.decode()

"""What an agent types for a new customer on the phone screen: refused with the reason when it cannot be right,
kept in one form when it is (an Arabic keyboard's digits are digits)."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from orders.errors import InvalidCustomer
from orders.models import Customer, Order
from orders.services import address_add, customer_create

BASE = {"new-name": "Joana Dias", "new-postal_code": "01310-100", "new-street": "Rua Augusta", "new-city": "São Paulo",
        "new-state": "SP"}


def _create(client, **data):
    client.post(reverse("orders:phone_start"))
    pk = Order.objects.get(status=Order.Status.DRAFT).pk
    return client.post(reverse("orders:phone_create_customer", args=[pk]), {**BASE, **data},
                       HTTP_HX_REQUEST="true").content.decode()


@pytest.mark.parametrize("phone", ["call me", "123", "11 98765-4321 ramal 2"])
def test_a_phone_that_is_no_phone_number_is_refused_not_dropped(role_client, world, phone):
    """"call me" was kept as no phone at all, and "11 98765-4321 ramal 2" as 119876543212."""
    page = _create(role_client("agent"), **{"new-phone": phone})
    assert f"“{phone}” is not a phone number: type its digits with the area code" in page
    assert not Customer.objects.filter(name="Joana Dias").exists()


def test_a_state_brazil_does_not_have_is_refused(role_client, world):
    """"XX" was kept, and the address then matched no tax rate nor shipping rate."""
    page = _create(role_client("agent"), **{"new-state": "xx"})
    assert "“xx” is not a Brazilian state: use its two letters, e.g. SP or RJ." in page
    assert not Customer.objects.filter(name="Joana Dias").exists()


def test_digits_typed_on_an_arabic_keyboard_are_kept_as_digits(role_client, world):
    _create(role_client("agent"), **{"new-phone": "(٢١) ٩٨٧٦٥-٤٣٢١", "new-postal_code": "٠١٣١٠-١٠٠"})
    customer = Customer.objects.get(name="Joana Dias")
    assert customer.phone == "21987654321"
    assert customer.addresses.get().postal_code == "01310-100"


def test_a_missing_address_field_is_named_in_the_readers_language(db, make_user):
    with translation.override("pt-br"), pytest.raises(InvalidCustomer) as refused:
        customer_create(data={"name": "Ana"}, address={"street": "", "city": "Recife", "state": "PE",
                                                       "postal_code": "50030-000"}, acting_user=make_user("agent"))
    assert refused.value.message == "Logradouro é obrigatório."  # was "Street é obrigatório."
    customer = customer_create(data={"name": "Ana"}, acting_user=None)
    with translation.override("pt-br"), pytest.raises(InvalidCustomer) as refused:
        address_add(customer_id=customer.pk, data={"street": "Rua A", "city": "Recife", "state": "PE"},
                    acting_user=None)
    assert refused.value.message.endswith("é obrigatório.") and "Postal code" not in refused.value.message


def test_the_credit_limit_is_typed_as_the_reader_writes_money(role_client, db):
    """A number box: "5.000,00" from a Brazilian manager was refused by the server, and the browser's number box
    drops the comma ("5000,00" became 500000); the limit decides whether invoice orders go on hold."""
    from decimal import Decimal

    from django.conf import settings

    customer = customer_create(data={"name": "Loja Azul", "kind": "company"}, acting_user=None)
    client = role_client("manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"
    url = reverse("orders:customer_edit", args=[customer.pk])
    page = client.get(url).content.decode()
    assert 'type="number" name="credit_limit"' not in page and 'name="credit_limit" value="0,00"' in page
    form = {"kind": "company", "name": "Loja Azul", "tax_country": "BR", "payment_terms_days": "30"}
    response = client.post(url, {**form, "credit_limit": "5.000,00"})
    assert response.status_code == 302, response.context["form"].errors
    customer.refresh_from_db()
    assert customer.credit_limit == Decimal("5000.00")
    refused = client.post(url, {**form, "credit_limit": "-1"})
    assert refused.context["form"].errors["credit_limit"] == ["Limite de crédito deve ser no mínimo 0."]
    assert client.post(url, {**form, "credit_limit": "0"}).status_code == 302  # no limit


# 250 + 5 characters: a valid address by the e-mail rules (up to 320) that the customer's column (254) cannot hold.
LONG_EMAIL = "a" * 250 + "@b.co"


def test_an_e_mail_longer_than_the_column_is_refused_by_name_not_a_server_error(role_client, world):
    """The customers page, the phone screen and the channels' intake ended in a server error (the database refused
    the value) for an e-mail of 255 to 320 characters."""
    client = role_client("agent")
    response = client.post(reverse("orders:customer_create"), {"kind": "person", "name": "Ana Lima",
                                                               "tax_country": "BR", "payment_terms_days": "0",
                                                               "credit_limit": "0", "email": LONG_EMAIL})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["Ensure this value has at most 254 characters (it has 255)."]
    page = _create(client, **{"new-email": LONG_EMAIL})
    assert "at most 254 characters" in page
    with translation.override("pt-br"), pytest.raises(InvalidCustomer) as refused:
        customer_create(data={"name": "Ana Lima", "email": LONG_EMAIL}, acting_user=None)
    assert refused.value.details["errors"]["email"] == "O endereço de e-mail é longo demais: no máximo 254 caracteres."
    assert not Customer.objects.filter(name="Ana Lima").exists()


def test_the_new_customer_forms_address_is_optional_but_one_typed_in_part_is_checked(role_client, db):
    """A CEP and a city typed without the street were dropped without a word (the customer was made with no
    address); and a customer refused for a duplicate e-mail came back with "This field is required." under six
    address fields nobody had to fill."""
    client = role_client("agent")
    form = {"kind": "person", "name": "Rita Alves", "email": "rita@example.com", "tax_country": "BR",
            "payment_terms_days": "0", "credit_limit": "0", "addr-kind": "both", "addr-country": "BR"}
    partial = client.post(reverse("orders:customer_create"), {**form, "addr-postal_code": "01310-100",
                                                              "addr-city": "São Paulo", "addr-state": "SP"})
    assert partial.status_code == 200
    assert partial.context["address_form"].errors == {"street": ["This field is required."]}
    assert not Customer.objects.filter(name="Rita Alves").exists()

    customer_create(data={"name": "Rita Alves", "email": "rita@example.com"}, acting_user=None)
    duplicate = client.post(reverse("orders:customer_create"), {**form, "email": "RITA@example.com"})
    assert duplicate.context["duplicates"]
    assert not duplicate.context["address_form"].is_bound
    assert "This field is required." not in duplicate.content.decode()
    assert 'name="addr-kind"' in duplicate.content.decode()


def test_the_new_customer_form_sent_twice_makes_one_customer(role_client, db):
    """A double click on Save made two customers when the form had no e-mail, phone or tax id to match; with one,
    the second copy was refused as a duplicate of the customer the first had just made."""
    client = role_client("agent")
    page = client.get(reverse("orders:customer_create")).content.decode()
    sent = re.search(r'type="hidden" name="once" value="(\w+)"', page)
    once = sent.group(1) if sent else ""
    form = {"kind": "person", "name": "Caio Prado", "tax_country": "BR", "payment_terms_days": "0",
            "credit_limit": "0", "once": once}
    first = client.post(reverse("orders:customer_create"), form)
    second = client.post(reverse("orders:customer_create"), form)
    customer = Customer.objects.get(name="Caio Prado")
    assert first.url == second.url == reverse("orders:customer_detail", args=[customer.pk])
    with_email = {**form, "name": "Lia Prado", "email": "lia@example.com", "once": "b" * 32}
    client.post(reverse("orders:customer_create"), with_email)
    assert client.post(reverse("orders:customer_create"), with_email).status_code == 302
    assert Customer.objects.filter(name="Lia Prado").count() == 1
    client.post(reverse("orders:customer_create"), {**form, "once": ""})  # another copy: another customer
    assert Customer.objects.filter(name="Caio Prado").count() == 2


def test_an_edit_giving_a_customer_another_customers_e_mail_asks_first(role_client, db):
    """Creating a customer with another's e-mail, phone or tax id asks "different customer?"; changing them on the
    edit page made the duplicate without a word."""
    other = customer_create(data={"name": "Bruno Reis", "email": "bruno@example.com", "tax_id": "529.982.247-25"},
                            acting_user=None)
    customer = customer_create(data={"name": "Bruna Reis", "email": "bruna@example.com"}, acting_user=None)
    client = role_client("agent")
    url = reverse("orders:customer_edit", args=[customer.pk])
    form = {"kind": "person", "name": "Bruna Reis", "email": "BRUNO@example.com", "tax_country": "BR",
            "payment_terms_days": "0", "credit_limit": "0"}
    refused = client.post(url, form)
    assert refused.status_code == 200 and refused.context["duplicates"] == [other]
    assert "This is a different customer: save anyway" in refused.content.decode()
    customer.refresh_from_db()
    assert customer.email == "bruna@example.com"
    assert client.post(url, {**form, "allow_duplicate": "1"}).status_code == 302
    customer.refresh_from_db()
    assert customer.email == "bruno@example.com"
    # what was a duplicate before does not stop changing something else
    assert client.post(url, {**form, "name": "Bruna R. Reis"}).status_code == 302
    assert client.post(url, {**form, "tax_id": "52998224725"}).context["duplicates"] == [other]


def test_a_one_letter_customer_search_asks_for_more_instead_of_finding_nobody(role_client, db):
    """"a" answered "No customers found." while customers named Ana were there (the search needs two characters)."""
    customer_create(data={"name": "Ana Souza"}, acting_user=None)
    client = role_client("agent")
    page = client.get(reverse("orders:customer_list"), {"q": " a "}).content.decode()
    assert "Type at least two characters." in page and "No customers found." not in page
    assert "Ana Souza" in client.get(reverse("orders:customer_list"), {"q": "an"}).content.decode()
    assert "No customers found." in client.get(reverse("orders:customer_list"), {"q": "zz"}).content.decode()

"""The customer pages as a call-centre agent uses them, with the keyboard, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("language", "street_required"),
                         [("en", "This field is required."), ("ar", "هذا الحقل مطلوب.")])
def test_a_new_customer_without_an_address_is_saved_and_a_partial_address_is_named(page, login, language,
                                                                                    street_required):
    """The optional address's boxes were marked required in the page, so the browser stopped Save until a
    street, CEP, city and state were typed: a customer without an address could not be made."""
    login("agent", language)
    page.goto("/customers/new/")
    page.locator("#id_name").focus()
    page.keyboard.type("Teresa Lima")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(name="Teresa Lima")
    assert not customer.addresses.exists()

    page.goto("/customers/new/")
    page.locator("#id_name").fill("Tiago Lima")
    page.locator("#id_addr-postal_code").fill("01310-100")
    page.locator("#id_addr-city").focus()
    page.keyboard.type("São Paulo")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/customers/new/")
    expect(page.locator("#id_addr-street_error")).to_contain_text(street_required)
    assert not Customer.objects.filter(name="Tiago Lima").exists()

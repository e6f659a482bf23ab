"""A customer search finds every match: the customer list pages through them, and the phone screen's short list
says when there are more than it shows."""

import re

from django.urls import reverse

from orders.models import Customer, Order
from tests.orders.factories import CustomerFactory


def _names(html: str) -> list[str]:
    return re.findall(r">(Silva \d+)</a>", html)


def test_the_customer_search_pages_through_every_match_and_keeps_the_search(role_client, db):
    """A search showed its first 50 matches and no way to the others (the list without a search was paged)."""
    Customer.objects.bulk_create([Customer(name=f"Silva {n:03d}", currency="BRL") for n in range(120)]
                                 + [Customer(name="Souza 1", currency="BRL")])
    client = role_client("agent")
    url = reverse("orders:customer_list")
    first = client.get(url, {"q": "silva"}).content.decode()
    assert _names(first) == [f"Silva {n:03d}" for n in range(50)]
    assert "Page 1 of 3" in first
    assert 'href="?page=2&amp;q=silva"' in first  # the next page keeps the search
    third = client.get(url, {"q": "silva", "page": "3"}).content.decode()
    assert _names(third) == [f"Silva {n:03d}" for n in range(100, 120)]
    assert 'href="?page=2&amp;q=silva"' in third and "Souza" not in third
    # sorting the matches keeps the search too, and pages the sorted list
    backwards = client.get(url, {"q": "silva", "sort": "-name", "page": "2"}).content.decode()
    assert _names(backwards) == [f"Silva {n:03d}" for n in range(69, 19, -1)]
    assert 'href="?page=3&amp;q=silva&amp;sort=-name"' in backwards
    # the table alone (the search box's htmx request) carries the page links too
    table = client.get(url, {"q": "silva"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Page 1 of 3" in table and "<h1>" not in table


def test_a_bad_page_number_gives_a_page_not_an_error(role_client, db):
    Customer.objects.bulk_create([Customer(name=f"Silva {n:03d}", currency="BRL") for n in range(60)])
    client = role_client("agent")
    url = reverse("orders:customer_list")
    for page, shown in (("abc", 0), ("0", 50), ("-1", 50), ("99", 50), ("1e3", 0), ("", 0), ("2.5", 0)):
        response = client.get(url, {"q": "silva", "page": page})
        assert response.status_code == 200, page
        assert _names(response.content.decode())[0] == f"Silva {shown:03d}", page


def test_the_exact_contact_match_still_comes_first_on_the_list(role_client, db):
    for n in range(60):
        CustomerFactory(name=f"Ana {n:02d}", email=f"{n}ana@example.com")
    exact = CustomerFactory(name="Zuleica", email="ana@example.com")
    html = role_client("agent").get(reverse("orders:customer_list"), {"q": "ana@example.com"}).content.decode()
    assert html.index(exact.name) < html.index("Ana 00") and "Page 1 of 2" in html


def test_the_phone_lookup_says_when_more_customers_match_than_it_shows(role_client, world):
    """The quick lookup showed 8 customers and nothing said a ninth matched: the agent could not tell a missing
    customer from one beyond the list."""
    client = role_client("agent")
    client.post(reverse("orders:phone_start"))
    url = reverse("orders:phone_customer_search", args=[Order.objects.get(status=Order.Status.DRAFT).pk])
    Customer.objects.bulk_create([Customer(name=f"Silva {n:03d}", currency="BRL") for n in range(8)])
    eight = client.get(url, {"q": "silva"}, HTTP_HX_REQUEST="true").content.decode()
    assert eight.count('name="customer_id"') == 8 and "More customers match" not in eight
    Customer.objects.create(name="Silva 008", currency="BRL")
    nine = client.get(url, {"q": "silva"}, HTTP_HX_REQUEST="true").content.decode()
    assert nine.count('name="customer_id"') == 8
    assert "More customers match than these: type more of the phone, e-mail, name or CPF/CNPJ" in nine

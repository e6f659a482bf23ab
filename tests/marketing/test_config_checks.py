"""What an admin types on the marketing configuration screens: each mistake gets a message naming it (never the
name of a database constraint), and a saved rule is one the pricing can apply."""

import pytest
from django.urls import reverse

from marketing.models import Campaign, PriceList, Promotion, TaxRate

pytestmark = pytest.mark.django_db


def _errors(response) -> list[str]:
    return [str(e) for errors in response.context["form"].errors.values() for e in errors]


@pytest.mark.parametrize(("key", "data", "model"), [
    ("pricelists", {"code": "late", "name": "Late", "currency": "BRL", "priority": "0",
                    "valid_from": "2026-05-01T00:00", "valid_until": "2026-04-01T00:00"}, PriceList),
    ("taxrates", {"name": "ICMS", "region": "SP", "rate": "18", "valid_from": "2026-05-01",
                  "valid_until": "2026-04-01"}, TaxRate),
    ("campaigns", {"code": "late", "name": "Late", "starts_on": "2026-05-01", "ends_on": "2026-04-01",
                   "budget": "10", "currency": "BRL"}, Campaign),
    ("promotions", {"name": "Late", "kind": "order_percent", "currency": "BRL", "percent": "10", "priority": "0",
                    "starts_at": "2026-05-01T00:00", "ends_at": "2026-04-01T00:00"}, Promotion),
])
def test_an_end_before_the_start_is_refused_in_words_not_by_constraint_name(role_client, key, data, model):
    response = role_client("manager").post(reverse(f"marketing:{key}_create"), data)
    assert response.status_code == 400
    errors = _errors(response)
    assert any("The end" in e and "the start" in e for e in errors), errors
    assert not any("onstraint" in e or "valid_range" in e for e in errors), errors
    assert not model.objects.exists()


def test_the_end_before_the_start_reads_in_portuguese(role_client):
    client = role_client("manager")
    response = client.post(reverse("marketing:campaigns_create"), {
        "code": "late", "name": "Late", "starts_on": "2026-05-01", "ends_on": "2026-04-01", "budget": "10",
        "currency": "BRL"}, HTTP_ACCEPT_LANGUAGE="pt-br")
    assert "O fim não pode ser antes do início." in _errors(response)

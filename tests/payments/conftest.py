import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_sandbox_state():
    """The sandbox processor keeps its state in Redis; start every test from a clean slate."""
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match="*sandbox-gw:*", count=1000))
    if keys:
        client.delete(*keys)
    yield


@pytest.fixture
def order(db):
    from tests.payments.factories import make_order

    return make_order()


@pytest.fixture
def card_token():
    """``card_token("4111111111111111")`` -> a sandbox token, as the hosted field would return it."""
    from payments.gateway import get_gateway

    def tokenize(number="4111111111111111", exp_month=12, exp_year=2030):
        return get_gateway("sandbox").tokenize(number=number, exp_month=exp_month, exp_year=exp_year, cvc="123").token

    return tokenize


@pytest.fixture
def gift_sku(db):
    """A gift card sold as a product (its value is chosen on the order)."""
    from decimal import Decimal

    from tests.inventory.factories import VariantFactory

    return VariantFactory(sku="GIFT-CARD", name="Gift card", base_price=Decimal("100.00"), cost=Decimal("0"),
                          is_gift_card=True)

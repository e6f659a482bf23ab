import pytest

from inventory.services import StockLine, stock_receive
from tests.inventory.factories import LocationFactory, VariantFactory


@pytest.fixture
def stock(db):
    """``stock(variant, location, 10)`` puts 10 units on hand through the ledger."""

    def put(variant, location, quantity: int):
        stock_receive(lines=[StockLine(variant.pk, location.pk, quantity)], reference="test", acting_user=None)

    return put


@pytest.fixture
def variant(db):
    return VariantFactory()


@pytest.fixture
def location(db):
    return LocationFactory()

"""A small selling network for the proof tests: three shipping locations, a phone channel, a customer in SP,
SP tax and one shipping rate. Everything goes through the real services (ledger, pricing, placing)."""

import uuid
from decimal import Decimal

import pytest

from inventory.services import StockLine, stock_receive
from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place
from tests.inventory.factories import LocationFactory, VariantFactory
from tests.marketing.factories import ShippingRateFactory, TaxRateFactory
from tests.orders.factories import AddressFactory, ChannelFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are made per test; the production PBKDF2 cost is not what these tests measure."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def network(db):
    locations = [LocationFactory(code=f"P{i}", name=f"Proof {i}", kind="dc", can_ship=True) for i in range(3)]
    TaxRateFactory(region="SP", rate=Decimal("18"))
    rate = ShippingRateFactory(price=Decimal("15.00"))
    customer = AddressFactory().customer
    return {"locations": locations, "channel": ChannelFactory(), "customer": customer, "service": rate.service.code}


def receive(variant, location, quantity: int) -> None:
    stock_receive(lines=[StockLine(variant.pk, location.pk, quantity)], reference="proof", acting_user=None)


def new_sku(**fields):
    return VariantFactory(base_price=Decimal("50.00"), **fields)


def make_draft(network, user, lines):
    """A complete draft (customer, lines, shipping, invoice payment) built through the draft services."""
    order = draft_create(channel_id=network["channel"].pk, acting_user=user, customer_id=network["customer"].pk)
    for variant, quantity in lines:
        draft_line_add(order_id=order.pk, variant_id=variant.pk, quantity=quantity, acting_user=user)
    draft_update(order_id=order.pk, acting_user=user, payment_method="invoice", shipping_service=network["service"])
    return order


def place(order_id: int, user):
    return order_place(order_id=order_id, idempotency_key=uuid.uuid4().hex, acting_user=user,
                       payment=PaymentRequest(method="invoice"))

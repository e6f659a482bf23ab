import uuid
from decimal import Decimal

import pytest

from inventory.services import StockLine, stock_receive
from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place
from tests.inventory.factories import LocationFactory, VariantFactory
from tests.marketing.factories import ShippingRateFactory, TaxRateFactory
from tests.orders.factories import AddressFactory, ChannelFactory


@pytest.fixture
def stock(db):
    """``stock(variant, location, 10)`` puts 10 units on hand through the ledger."""

    def put(variant, location, quantity: int):
        stock_receive(lines=[StockLine(variant.pk, location.pk, quantity)], reference="test", acting_user=None)

    return put


@pytest.fixture
def channel(db):
    return ChannelFactory()


@pytest.fixture
def world(db, stock):
    """A phone channel, a DC and a store, three SKUs at R$ 100/50/20 with stock, SP tax 18% and a shipping rate."""
    dc = LocationFactory(code="DC1", name="DC São Paulo", kind="dc", can_ship=True)
    store = LocationFactory(code="ST1", name="Store Centro", kind="store", can_ship=True, can_pickup=True)
    variants = [VariantFactory(base_price=Decimal(p)) for p in ("100.00", "50.00", "20.00")]
    for v in variants:
        stock(v, dc, 10)
        stock(v, store, 2)
    TaxRateFactory(region="SP", rate=Decimal("18"))
    rate = ShippingRateFactory(price=Decimal("15.00"))
    customer = AddressFactory().customer
    return {"channel": ChannelFactory(), "dc": dc, "store": store, "variants": variants, "customer": customer,
            "service": rate.service.code}


@pytest.fixture
def make_draft(world):
    """``make_draft(user, [(variant, qty), ...])`` -> a complete draft ready to place (invoice payment)."""

    def make(user, lines=None, **changes):
        order = draft_create(channel_id=world["channel"].pk, acting_user=user, customer_id=world["customer"].pk)
        for variant, qty in lines if lines is not None else [(world["variants"][0], 1)]:
            draft_line_add(order_id=order.pk, variant_id=variant.pk, quantity=qty, acting_user=user)
        draft_update(order_id=order.pk, acting_user=user,
                     **{"payment_method": "invoice", "shipping_service": world["service"], **changes})
        order.refresh_from_db()
        return order

    return make


@pytest.fixture
def place(make_draft):
    """``place(user, lines)`` -> a placed order (paid by invoice, so no gateway)."""

    def make(user, lines=None, **changes):
        draft = make_draft(user, lines, **changes)
        return order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=user,
                           payment=PaymentRequest(method="invoice"))

    return make

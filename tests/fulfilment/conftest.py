"""A small network for fulfilment flows: a DC in Cajamar and a store in Pinheiros, a customer in Pinheiros."""

import uuid
from datetime import time
from decimal import Decimal

import pytest

from inventory.services import StockLine, stock_receive
from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place
from tests.inventory.factories import LocationFactory, VariantFactory
from tests.marketing.factories import ShippingRateFactory, TaxRateFactory
from tests.orders.factories import AddressFactory, ChannelFactory


@pytest.fixture
def stock(db):
    def put(variant, location, quantity: int):
        stock_receive(lines=[StockLine(variant.pk, location.pk, quantity)], reference="test", acting_user=None)

    return put


@pytest.fixture
def net(db, stock):
    """Channel ``web`` sourcing to the nearest location; shirt R$ 100 and mug R$ 50 in both places."""
    dc = LocationFactory(code="DC-CJ", name="DC Cajamar", kind="dc", can_ship=True, latitude=Decimal("-23.3560"),
                         longitude=Decimal("-46.8770"), handling_days=1, cutoff_time=time(23, 59))
    store = LocationFactory(code="LJ-PIN", name="Store Pinheiros", kind="store", can_ship=True, can_pickup=True,
                            latitude=Decimal("-23.5663"), longitude=Decimal("-46.6936"), handling_days=0,
                            cutoff_time=time(23, 59))
    shirt = VariantFactory(base_price=Decimal("100.00"), weight_grams=300)
    mug = VariantFactory(base_price=Decimal("50.00"), weight_grams=400)
    for variant in (shirt, mug):
        stock(variant, dc, 20)
        stock(variant, store, 3)
    TaxRateFactory(region="SP", rate=Decimal("0"))
    rate = ShippingRateFactory(price=Decimal("15.00"))
    customer = AddressFactory(postal_code="05422-030", street="Rua dos Pinheiros").customer
    channel = ChannelFactory(code="web", kind="web", sourcing_strategy="nearest")
    return {"channel": channel, "dc": dc, "store": store, "shirt": shirt, "mug": mug, "customer": customer,
            "service": rate.service.code}


@pytest.fixture
def place_order(net):
    """``place_order(user, [(variant, qty)], **draft_changes)`` -> a placed order paid by invoice
    (``accept_backorder``: lines without stock wait for it)."""

    def make(user, lines, payment="invoice", accept_backorder=False, **changes):
        order = draft_create(channel_id=net["channel"].pk, acting_user=user, customer_id=net["customer"].pk)
        for variant, qty in lines:
            draft_line_add(order_id=order.pk, variant_id=variant.pk, quantity=qty, acting_user=user)
        draft_update(order_id=order.pk, acting_user=user,
                     **{"payment_method": payment, "shipping_service": net["service"], **changes})
        return order_place(order_id=order.pk, idempotency_key=uuid.uuid4().hex, acting_user=user,
                           payment=PaymentRequest(method=payment), accept_backorder=accept_backorder)

    return make


@pytest.fixture
def shipped_order(place_order):
    """``shipped_order(user, [(variant, qty)])`` -> an order placed, allocated to one parcel, scanned unit by unit
    and handed to a carrier, as the warehouse does it."""
    from orders.fulfilment import services as ful

    def make(user, lines):
        order = place_order(user, lines)
        for shipment in ful.order_allocate(order_id=order.pk, acting_user=user):
            for line in shipment.lines.select_related("order_line"):
                for _unit in range(line.quantity):
                    ful.shipment_scan(shipment_id=shipment.pk, code=line.order_line.sku, acting_user=user)
            ful.shipment_ship(shipment_id=shipment.pk, carrier="C", tracking_number="T1", acting_user=user)
        return order

    return make

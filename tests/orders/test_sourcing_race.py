"""Placing re-sources when a concurrent order empties the chosen location between sourcing and reserving."""

import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction

from inventory.models import StockLevel, StockMovement
from inventory.services import StockLine, stock_receive, stock_reserve
from orders.errors import StockUnavailable
from orders.fulfilment.models import SourcingDecision
from orders.models import Channel, Order, OrderLine
from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place
from tests.inventory.factories import LocationFactory, VariantFactory
from tests.marketing.factories import ShippingRateFactory, TaxRateFactory
from tests.orders.factories import AddressFactory, ChannelFactory


def receive(variant, location, quantity):
    stock_receive(lines=[StockLine(variant.pk, location.pk, quantity)], reference="test", acting_user=None)


@pytest.fixture
def race(db, make_user):
    """A nearest-first channel, a DC in São Paulo (where the customer lives) and one in Rio, and a draft for 1 unit."""
    near = LocationFactory(code="NEAR", kind="dc", can_ship=True)
    far = LocationFactory(code="FAR", kind="dc", can_ship=True, city="Rio de Janeiro", state="RJ",
                          latitude=Decimal("-22.906847"), longitude=Decimal("-43.172897"))
    TaxRateFactory(region="SP", rate=Decimal("18"))
    rate = ShippingRateFactory(price=Decimal("15.00"))
    channel = ChannelFactory(sourcing_strategy=Channel.Sourcing.NEAREST)
    customer = AddressFactory().customer
    sku = VariantFactory(base_price=Decimal("50.00"))
    agent = make_user("agent")
    order = draft_create(channel_id=channel.pk, acting_user=agent, customer_id=customer.pk)
    draft_line_add(order_id=order.pk, variant_id=sku.pk, quantity=1, acting_user=agent)
    draft_update(order_id=order.pk, acting_user=agent, payment_method="invoice", shipping_service=rate.service.code)
    return {"near": near, "far": far, "sku": sku, "agent": agent, "order": order}


def place_while_competitor_takes(race, take: list[tuple]):
    """Another transaction reserves ``take`` [(location, qty)] and commits a moment after our placing starts."""
    taken = threading.Event()

    def competitor():
        try:
            with transaction.atomic():
                stock_reserve(lines=[StockLine(race["sku"].pk, loc.pk, qty) for loc, qty in take],
                              reference="order:other", acting_user=None)
                taken.set()
                time.sleep(0.7)
        finally:
            connection.close()

    thread = threading.Thread(target=competitor)
    thread.start()
    assert taken.wait(10)
    try:
        return order_place(order_id=race["order"].pk, idempotency_key=uuid.uuid4().hex, acting_user=race["agent"],
                           payment=PaymentRequest(method="invoice"))
    finally:
        thread.join(10)


@pytest.mark.django_db(transaction=True)
def test_placing_resources_and_records_only_the_plan_it_reserved(race):
    near, far, sku = race["near"], race["far"], race["sku"]
    receive(sku, near, 1)
    receive(sku, far, 5)

    order = place_while_competitor_takes(race, [(near, 1)])

    assert order.status == Order.Status.CONFIRMED
    assert list(OrderLine.objects.get(order=order).allocations.values_list("location_id", "quantity")) == [(far.pk, 1)]
    assert (StockLevel.objects.get(variant=sku, location=near).reserved,
            StockLevel.objects.get(variant=sku, location=far).reserved) == (1, 1)
    # The decision that lost the race (near) was undone with its attempt: the record says where stock came from.
    plans = [[s["location_id"] for s in d.plan["shipments"]] for d in SourcingDecision.objects.filter(order=order)]
    assert plans == [[far.pk]]
    assert list(StockMovement.objects.filter(reference=f"order:{order.pk}").values_list("location_id", flat=True)) == [
        far.pk]


@pytest.mark.django_db(transaction=True)
def test_placing_gives_up_with_the_shortage_when_every_location_ran_out_meanwhile(race):
    near, far, sku = race["near"], race["far"], race["sku"]
    receive(sku, near, 1)
    receive(sku, far, 1)

    with pytest.raises(StockUnavailable) as refused:
        place_while_competitor_takes(race, [(near, 1), (far, 1)])

    assert [(s["sku"], s["requested"], s["available"]) for s in refused.value.shortages] == [(sku.sku, 1, 0)]
    order = Order.objects.get(pk=race["order"].pk)
    assert order.status == Order.Status.DRAFT
    assert list(OrderLine.objects.filter(order=order).values_list("status", "allocations")) == [("open", None)]
    assert not SourcingDecision.objects.filter(order=order).exists()
    assert not StockMovement.objects.filter(reference=f"order:{order.pk}").exists()
    assert [lvl.reserved for lvl in StockLevel.objects.filter(variant=sku).order_by("location__code")] == [1, 1]


@pytest.mark.django_db(transaction=True)
def test_a_split_line_beaten_to_one_location_is_split_again_from_what_is_left(race):
    from orders.services import draft_line_update

    near, far, sku = race["near"], race["far"], race["sku"]
    receive(sku, near, 2)
    receive(sku, far, 2)
    line = OrderLine.objects.get(order=race["order"])
    draft_line_update(order_id=race["order"].pk, line_id=line.pk, quantity=3, acting_user=race["agent"])

    # Sourcing first sees 2 near + 1 far; the competitor's unit at ``near`` makes that fail, so 1 near + 2 far.
    order = place_while_competitor_takes(race, [(near, 1)])

    assert order.status == Order.Status.CONFIRMED
    assert list(OrderLine.objects.get(order=order).allocations.values_list("location_id", "quantity")) == [
        (far.pk, 2), (near.pk, 1)]
    assert (StockLevel.objects.get(variant=sku, location=near).reserved,
            StockLevel.objects.get(variant=sku, location=far).reserved) == (2, 2)
    assert sorted(StockMovement.objects.filter(reference=f"order:{order.pk}").values_list(
        "location_id", "reserved_delta")) == sorted([(near.pk, 1), (far.pk, 2)])
    [decision] = SourcingDecision.objects.filter(order=order)
    assert sorted((s["location_id"], s["items"]) for s in decision.plan["shipments"]) == sorted(
        [(near.pk, {str(sku.pk): 1}), (far.pk, {str(sku.pk): 2})])

"""factory_boy factories for the reports tests (orders are written directly: reports only reads them)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from inventory.models import Location, StockLevel
from orders.models import Channel, Customer, Order, OrderLine
from tests.inventory.factories import BrandFactory, CategoryFactory, ProductFactory, VariantFactory  # noqa: F401


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"rch{n}")
    name = factory.LazyAttribute(lambda c: f"Channel {c.code}")
    kind = Channel.Kind.PHONE
    order_prefix = factory.Sequence(lambda n: f"R{n}")
    currency = "BRL"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"rcustomer{n}@example.com")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"RLOC{n}")
    name = factory.Sequence(lambda n: f"Location {n}")
    kind = Location.Kind.DC


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLevel

    variant = factory.SubFactory(VariantFactory)
    location = factory.SubFactory(LocationFactory)
    on_hand = 10


def make_order(*, channel, lines, placed_at=None, status="placed", customer=None, agent=None, state="SP",
               discount=Decimal("0"), tax=Decimal("0"), shipping=Decimal("0"), promised_date=None, source_code="",
               number=None) -> Order:
    """An order with ``lines`` = [(variant, quantity, unit_price), ...]; total = lines + shipping - discount."""
    placed_at = placed_at or timezone.now()
    subtotal = sum((Decimal(q) * Decimal(p) for _v, q, p in lines), Decimal("0"))
    order = Order.objects.create(
        channel=channel, customer=customer, status=status, placed_at=placed_at if status != "draft" else None,
        subtotal=subtotal, discount_total=discount, tax_total=tax, shipping_total=shipping,
        total=subtotal + shipping - discount, placed_by=agent, shipping_address={"state": state},
        promised_date=promised_date, source_code=source_code, number=number or "",
    )
    OrderLine.objects.bulk_create([
        OrderLine(order=order, position=i, variant=v, sku=v.sku, name=v.name, quantity=q, unit_price=Decimal(p),
                  line_total=Decimal(q) * Decimal(p), status="cancelled" if status == "cancelled" else "open")
        for i, (v, q, p) in enumerate(lines, start=1)
    ])
    return order


def days_ago(n: int, hour: int = 12):
    """An aware datetime ``n`` local days ago at ``hour`` o'clock."""
    local = timezone.localtime()
    return (local - timedelta(days=n)).replace(hour=hour, minute=0, second=0, microsecond=0)

"""factory_boy factories for the orders app."""

import factory

from orders.models import Address, Channel, Customer


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("code",)

    code = "phone"
    name = factory.LazyAttribute(lambda c: c.code.title())
    kind = Channel.Kind.PHONE
    order_prefix = factory.LazyAttribute(lambda c: c.code[:2].upper())
    currency = "BRL"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"+55119{n:08d}")
    currency = "BRL"


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    street = "Avenida Paulista"
    number = "1000"
    district = "Bela Vista"
    city = "São Paulo"
    state = "SP"
    postal_code = "01310-100"
    is_default = True

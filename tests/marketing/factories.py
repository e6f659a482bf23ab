"""Factories for the marketing tests; catalogue factories come from the inventory tests."""

from decimal import Decimal

import factory

from marketing.models import (
    Campaign,
    CarrierService,
    Coupon,
    PriceList,
    PriceListItem,
    Promotion,
    ShippingRate,
    ShippingZone,
    SourceCode,
    TaxRate,
)
from tests.inventory import factories as inventory_factories
from tests.inventory.factories import BrandFactory, CategoryFactory, ProductFactory  # noqa: F401


class VariantFactory(inventory_factories.VariantFactory):
    """Inventory's SKU with the round prices and weight the pricing tests reason about."""

    base_price = Decimal("100.00")
    cost = Decimal("40.00")
    tax_class = "standard"
    weight_grams = 500


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList

    code = factory.Sequence(lambda n: f"list-{n}")
    name = factory.Sequence(lambda n: f"List {n}")
    currency = "BRL"


class PriceListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceListItem

    price_list = factory.SubFactory(PriceListFactory)
    variant = factory.SubFactory(VariantFactory)
    min_quantity = 1
    unit_price = Decimal("90.00")


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxRate

    name = "ICMS"
    region = "SP"
    tax_class = "standard"
    rate = Decimal("18")
    valid_from = "2020-01-01"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    code = factory.Sequence(lambda n: f"campaign-{n}")
    name = factory.Sequence(lambda n: f"Campaign {n}")
    starts_on = "2026-01-01"


class SourceCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceCode

    code = factory.Sequence(lambda n: f"SRC{n}")
    campaign = factory.SubFactory(CampaignFactory)


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Promo {n}")
    kind = Promotion.Kind.ORDER_PERCENT
    percent = Decimal("10")
    is_active = True


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"COUPON{n}")
    promotion = factory.SubFactory(PromotionFactory, requires_coupon=True)
    usage_limit = 1


class ShippingZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingZone

    code = factory.Sequence(lambda n: f"zone-{n}")
    name = factory.Sequence(lambda n: f"Zone {n}")
    regions = factory.LazyFunction(lambda: ["SP"])


class CarrierServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CarrierService

    code = factory.Sequence(lambda n: f"svc-{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    carrier = "Correios"


class ShippingRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingRate

    service = factory.SubFactory(CarrierServiceFactory)
    zone = factory.SubFactory(ShippingZoneFactory)
    max_weight_grams = 5000
    price = Decimal("20.00")
    transit_days = 3

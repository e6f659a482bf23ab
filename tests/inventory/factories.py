"""factory_boy factories for the inventory app."""

from decimal import Decimal

import factory

from inventory.models import (
    Brand,
    Category,
    KitComponent,
    Location,
    Product,
    ReorderRule,
    Supplier,
    SupplierItem,
    Variant,
)


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    path = factory.LazyAttribute(lambda c: c.name)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"STY{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    brand = factory.SubFactory(BrandFactory)
    category = factory.SubFactory(CategoryFactory)


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    barcode = factory.Sequence(lambda n: f"789{n:010d}")
    name = factory.LazyAttribute(lambda v: f"{v.product.name} {v.sku}")
    cost = Decimal("10.00")
    base_price = Decimal("25.00")
    currency = "BRL"
    search_text = factory.LazyAttribute(
        lambda v: " ".join([v.sku, v.barcode, v.name, v.product.brand.name if v.product.brand else ""]).lower()
    )


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"L{n:03d}")
    name = factory.Sequence(lambda n: f"Location {n}")
    kind = Location.Kind.STORE
    city = "São Paulo"
    state = "SP"
    latitude = Decimal("-23.550520")
    longitude = Decimal("-46.633308")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    code = factory.Sequence(lambda n: f"SUP{n:03d}")
    name = factory.Sequence(lambda n: f"Supplier {n}")
    currency = "BRL"


class SupplierItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierItem

    supplier = factory.SubFactory(SupplierFactory)
    variant = factory.SubFactory(VariantFactory)
    supplier_sku = factory.Sequence(lambda n: f"S-{n}")
    cost = Decimal("8.00")


class KitComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KitComponent

    kit = factory.SubFactory(VariantFactory, is_kit=True)
    component = factory.SubFactory(VariantFactory)
    quantity = 1


class ReorderRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReorderRule

    variant = factory.SubFactory(VariantFactory)
    location = factory.SubFactory(LocationFactory)
    reorder_point = 5
    order_up_to = 20

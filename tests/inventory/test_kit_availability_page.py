"""A kit's product page says where the kit can be sold: whole kits per location, from its components' stock."""

import re

import pytest
from django.urls import reverse

from inventory.models import Location
from tests.inventory.factories import KitComponentFactory, LocationFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_a_kits_page_shows_the_kits_available_at_each_location(role_client, stock):
    """The page gave a kit one total ("Available 4") and a dash or nothing per location: a kit holds no stock rows,
    so nobody could see which store could sell or assemble one."""
    dc, store, shut = LocationFactory(code="DC1"), LocationFactory(code="ST1"), LocationFactory(code="ST9")
    kit = VariantFactory(sku="GIFT-BOX", is_kit=True)
    mug, tea = VariantFactory(sku="MUG-RED"), VariantFactory(sku="TEA-50")
    KitComponentFactory(kit=kit, component=mug, quantity=1)
    KitComponentFactory(kit=kit, component=tea, quantity=2)
    stock(mug, dc, 5)
    stock(tea, dc, 6)  # 3 kits
    stock(mug, store, 4)
    stock(tea, store, 3)  # 1 kit
    stock(mug, shut, 9)
    stock(tea, shut, 9)
    Location.objects.filter(pk=shut.pk).update(is_active=False)  # sells nothing

    page = role_client("agent").get(reverse("inventory:product_detail", args=[kit.product_id])).content.decode()
    section = page[page.index("Kits available per location"):]
    cells = re.findall(r'<bdi dir="ltr">(\w+)</bdi> [^<]*</td><td class="num">(\d+)</td>', section)
    assert cells == [("DC1", "3"), ("ST1", "1")]

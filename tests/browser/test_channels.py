"""The channel page in a real browser: a long SKU mapping list is searched and paged in place, and removing a
mapping asks first, naming it."""

import pytest

from orders.channels.models import SkuMapping
from tests.browser.steps import settled
from tests.inventory.factories import VariantFactory
from tests.orders.factories import ChannelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sku_mappings_are_searched_and_paged_in_place_and_removing_one_asks_first(page, login):
    channel = ChannelFactory(code="amazon", name="Amazon")
    mug = VariantFactory(sku="MUG-WHT")
    SkuMapping.objects.bulk_create([SkuMapping(channel=channel, channel_sku=f"AMZ-{i:03}", variant=mug)
                                    for i in range(60)])
    login("admin")
    page.goto(f"/channels/{channel.pk}/")
    rows = page.locator("#sku-mappings tbody tr")
    assert rows.count() == 50
    page.locator("#sku-mappings").get_by_role("link", name="Next").click()
    page.locator("#sku-mappings code", has_text="AMZ-059").wait_for()
    settled(page)
    assert rows.count() == 10 and page.get_by_role("heading", name="API keys").is_visible()
    page.click("#sku-mapping-q")
    page.keyboard.type("amz-04")
    page.locator("#sku-mappings code", has_text="AMZ-040").wait_for()
    settled(page)
    assert rows.count() == 10 and page.locator("#sku-mappings .pagination").count() == 0

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    rows.first.get_by_role("button", name="Remove").click()
    page.wait_for_timeout(300)
    assert asked == ["Remove the mapping of channel SKU AMZ-040 to our SKU MUG-WHT?"]
    assert SkuMapping.objects.filter(channel_sku="AMZ-040").exists()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        rows.first.get_by_role("button", name="Remove").click()
    assert not SkuMapping.objects.filter(channel_sku="AMZ-040").exists()
    assert SkuMapping.objects.count() == 59


def test_the_channels_order_number_prefix_stays_beside_its_label_in_arabic(page, login):
    """"Order numbers MKT-… · BRL" read, right to left, as "Order numbers BRL · MKT-…": the two Latin pieces and
    the dot between them were laid out as one left-to-right run."""
    channel = ChannelFactory(code="marketplace", name="Mercado Livre", order_prefix="MKT", currency="BRL")
    login("admin", language="ar")
    page.goto(f"/channels/{channel.pk}/")
    prefix = page.locator("main p.muted code", has_text="MKT-").bounding_box()
    currency = page.locator("main p.muted .currency").bounding_box()
    assert prefix["x"] > currency["x"] + currency["width"]  # first in reading order: the right-hand one

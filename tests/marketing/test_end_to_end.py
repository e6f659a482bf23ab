"""The issue's "done when": set up a price list, a campaign with a source code and a promotion in the browser,
then a phone order typed with that source code shows the right prices and discounts with their reasons."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from marketing.models import Campaign, PriceList, Promotion, SourceCode
from oms.i18n import from_json
from tests.marketing.factories import TaxRateFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_admin_setup_prices_the_next_phone_order(role_client, make_user):
    from orders.services.placement import draft_create, draft_line_add, draft_update
    from tests.orders.factories import ChannelFactory

    channel = ChannelFactory(code="phone")  # price lists name an existing channel
    client = role_client("manager")
    tee = VariantFactory(sku="TEE-BLUE-M", base_price=D("79.90"))
    TaxRateFactory(region="SP", tax_class="standard", rate=D("18"))
    client.post(reverse("marketing:pricelists_create"), {
        "code": "phone-2026", "name": "Phone 2026", "currency": "BRL", "channel_code": "phone", "priority": "1",
        "is_active": "on"})
    price_list = PriceList.objects.get(code="phone-2026")
    items = reverse("marketing:pricelist_items", args=[price_list.pk])
    client.post(items, {"sku": "TEE-BLUE-M", "min_quantity": "1", "unit_price": "69.90"})
    client.post(items, {"sku": "TEE-BLUE-M", "min_quantity": "3", "unit_price": "59.90"})
    client.post(reverse("marketing:campaigns_create"), {
        "code": "winter", "name": "Winter catalogue", "starts_on": "2020-01-01", "budget": "1000",
        "currency": "BRL", "is_active": "on"})
    campaign = Campaign.objects.get(code="winter")
    client.post(reverse("marketing:sourcecodes_create"), {"code": "cat26", "campaign": campaign.pk,
                                                          "kind": "catalogue", "is_active": "on"})
    assert SourceCode.objects.get().code == "CAT26"
    client.post(reverse("marketing:promotions_create"), {
        "name": "Catalogue 10%", "kind": "order_percent", "currency": "BRL", "percent": "10", "campaign": campaign.pk,
        "priority": "0", "tiers": "[]"})
    promotion = Promotion.objects.get()
    client.post(reverse("marketing:promotion_activate", args=[promotion.pk]), {"active": "1"})

    agent = make_user("agent")
    order = draft_create(channel_id=channel.pk, acting_user=agent)
    draft_update(order_id=order.pk, acting_user=agent, source_code="cat26",
                 shipping_address={"state": "SP", "city": "São Paulo"})
    line = draft_line_add(order_id=order.pk, variant_id=tee.pk, quantity=3, acting_user=agent)
    order.refresh_from_db()
    line.refresh_from_db()
    assert (line.list_price, line.unit_price) == (D("79.90"), D("59.90"))
    assert order.subtotal == D("179.70")
    assert order.discount_total == D("17.97")
    assert [(d["name"], d["amount"], from_json(d["reason"])) for d in order.order_discounts] == [
        ("Catalogue 10%", "17.97", "10% off the order")]
    assert order.source_code == "CAT26"
    assert order.campaign_id == campaign.pk
    assert order.tax_total == D("29.11")  # 18% of 161.73
    assert order.total == D("190.84")
    steps = [from_json(step) for step in line.explanation]
    assert "Price list Phone 2026: R$\xa069.90" in steps
    assert "Quantity tier from 3 units: R$\xa059.90" in steps

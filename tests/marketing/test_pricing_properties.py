"""Property tests: for any basket and any mix of promotions, the totals add up and never go negative."""

from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketing.models import ChannelTaxSetting
from marketing.pricing import PriceLineInput, price_order
from tests.marketing.conftest import WHEN
from tests.marketing.factories import (
    CarrierServiceFactory,
    CouponFactory,
    PriceListFactory,
    PriceListItemFactory,
    PromotionFactory,
    ShippingRateFactory,
    ShippingZoneFactory,
    TaxRateFactory,
    VariantFactory,
)


@pytest.fixture
def catalogue(db):
    prices = ["0.01", "0.99", "9.90", "33.33", "100.00", "1234.56", "0.00"]
    variants = [VariantFactory(base_price=D(p), weight_grams=w, tax_class=tc)
                for p, w, tc in zip(prices, [0, 100, 250, 900, 2000, 300, 50],
                                    ["standard", "reduced", "standard", "zero", "standard", "reduced", "standard"],
                                    strict=True)]
    price_list = PriceListFactory(channel_code="phone")
    PriceListItemFactory(price_list=price_list, variant=variants[3], min_quantity=1, unit_price=D("30"))
    PriceListItemFactory(price_list=price_list, variant=variants[3], min_quantity=3, unit_price=D("27.77"))
    TaxRateFactory(region="SP", tax_class="standard", rate=D("18"))
    TaxRateFactory(region="SP", tax_class="reduced", rate=D("7.5"))
    TaxRateFactory(region="", tax_class="", rate=D("12.25"), name="VAT")
    ChannelTaxSetting.objects.create(channel_code="store", prices_include_tax=True)
    zone = ShippingZoneFactory(regions=["SP", "RJ"])
    pac = CarrierServiceFactory(code="pac", free_shipping_threshold=D("150"))
    ShippingRateFactory(service=pac, zone=zone, max_weight_grams=3000, price=D("19.90"))
    ShippingRateFactory(service=pac, zone=zone, max_weight_grams=30000, price=D("49.90"))
    ShippingRateFactory(service=CarrierServiceFactory(code="sedex"), zone=zone, max_weight_grams=10000,
                        price=D("39.90"))
    promos = [
        PromotionFactory(kind="order_percent", percent=D("12.5"), is_active=False),
        PromotionFactory(kind="order_fixed", percent=None, amount=D("25"), is_active=False),
        PromotionFactory(kind="item_percent", percent=D("33"), is_active=False),
        PromotionFactory(kind="item_fixed", percent=None, amount=D("7.77"), is_active=False),
        PromotionFactory(kind="buy_x_get_y", percent=None, buy_quantity=2, get_quantity=1, is_active=False),
        PromotionFactory(kind="tiered_spend", percent=None, is_active=False,
                         tiers=[{"threshold": "50", "percent": "5"}, {"threshold": "200", "percent": "20"}]),
        PromotionFactory(kind="free_shipping", percent=None, is_active=False),
        PromotionFactory(kind="order_percent", percent=D("100"), exclusive=True, is_active=False),
        PromotionFactory(kind="item_percent", percent=D("40"), exclusive=True, priority=3, is_active=False),
    ]
    promos[2].variants.set(variants[:3])
    CouponFactory(code="HALF", promotion=PromotionFactory(kind="order_percent", percent=D("50"),
                                                          requires_coupon=True))
    return [v.pk for v in variants], [p.pk for p in promos]


baskets = st.lists(
    st.tuples(st.integers(0, 6), st.integers(1, 7),
              st.one_of(st.none(), st.decimals(min_value=0, max_value=500, places=2)),
              st.sampled_from([D("0"), D("0"), D("4.99")])),
    min_size=1, max_size=6,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(basket=baskets, switched_on=st.sets(st.integers(0, 8)), channel=st.sampled_from(["phone", "store", "web"]),
       region=st.sampled_from(["SP", "RJ", "AM", ""]), service=st.sampled_from([None, "pac", "sedex", "gone"]),
       coupons=st.sampled_from([[], ["HALF"], ["half", "nope"]]))
def test_totals_add_up_never_negative_and_repeatable(catalogue, basket, switched_on, channel, region, service,
                                                     coupons):
    variant_ids, promo_ids = catalogue
    lines = [PriceLineInput(variant_ids[i], q, override, extra) for i, q, override, extra in basket]
    args = {"lines": lines, "channel_code": channel, "customer_id": None, "customer_group": "", "source_code": "",
            "coupons": coupons, "ship_to_region": region, "shipping_service": service, "currency": "BRL",
            "when": WHEN, "promotion_overrides": {promo_ids[i]: i in switched_on for i in range(len(promo_ids))}}
    result = price_order(**args)
    tax_added = D(0) if result.prices_include_tax else result.tax_total
    assert result.total == result.subtotal - result.discount_total + result.shipping_total + tax_added
    assert result.total == sum((line.line_total for line in result.lines), D(0)) + result.shipping_total
    assert result.subtotal == sum((line.unit_price * line.quantity for line in result.lines), D(0))
    assert sum((d.amount for d in result.order_discounts), D(0)) == sum(
        (line.order_discount_share for line in result.lines), D(0))
    assert 0 <= result.discount_total <= result.subtotal
    assert result.total >= 0 and result.tax_total >= 0 and result.shipping_total >= 0
    for line in result.lines:
        assert line.net >= 0 and line.tax_amount >= 0 and line.line_total >= 0
        assert all(d.amount > 0 for d in line.discounts)
        assert line.net == line.gross - line.discount_amount
    assert all(q.price >= 0 for q in result.shipping_options)
    assert price_order(**args) == result

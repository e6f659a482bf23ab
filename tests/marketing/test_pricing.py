from datetime import timedelta
from decimal import Decimal as D

import pytest

from marketing.errors import NoPrice, PricingError
from marketing.models import ChannelTaxSetting, Segment, SegmentMember
from marketing.pricing import PriceLineInput
from tests.marketing.conftest import WHEN
from tests.marketing.factories import (
    CampaignFactory,
    CarrierServiceFactory,
    CategoryFactory,
    CouponFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    PromotionFactory,
    ShippingRateFactory,
    ShippingZoneFactory,
    SourceCodeFactory,
    TaxRateFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


def texts(messages) -> list[str]:
    """Pricing messages (stored texts) as read in the active language."""
    return [str(m) for m in messages]


def line(variant, quantity=1, **kw):
    return PriceLineInput(variant_id=variant.pk, quantity=quantity, **kw)


def test_base_price_is_used_without_price_list(price):
    v = VariantFactory(base_price=D("49.90"))
    result = price(lines=[line(v, 2)])
    priced = result.lines[0]
    assert (priced.list_price, priced.price_list_price, priced.tier_price, priced.unit_price) == (
        D("49.90"), D("49.90"), D("49.90"), D("49.90"))
    assert result.subtotal == D("99.80")
    assert result.total == D("99.80")
    assert result.discount_total == D("0")
    assert str(priced.explanation[0]) == "Base price of the SKU: R$\xa049.90"


def test_price_list_and_quantity_tiers(price):
    v = VariantFactory(base_price=D("100"))
    pl = PriceListFactory(channel_code="phone")
    PriceListItemFactory(price_list=pl, variant=v, min_quantity=1, unit_price=D("90"))
    PriceListItemFactory(price_list=pl, variant=v, min_quantity=10, unit_price=D("80"))
    PriceListItemFactory(price_list=pl, variant=v, min_quantity=50, unit_price=D("70"))
    one = price(lines=[line(v, 9)]).lines[0]
    assert (one.list_price, one.price_list_price, one.tier_price, one.unit_price) == (D("100"), D("90"), D("90"),
                                                                                      D("90"))
    ten = price(lines=[line(v, 10)]).lines[0]
    assert (ten.price_list_price, ten.tier_price, ten.unit_price) == (D("90"), D("80"), D("80"))
    assert ten.price_list_code == pl.code
    assert "Quantity tier from 10 units: R$\xa080.00" in map(str, ten.explanation)
    assert price(lines=[line(v, 60)]).lines[0].unit_price == D("70")


def test_price_list_selection_by_channel_group_dates_and_priority(price):
    v = VariantFactory(base_price=D("100"))
    other_channel = PriceListFactory(channel_code="web", priority=10)
    PriceListItemFactory(price_list=other_channel, variant=v, unit_price=D("50"))
    generic = PriceListFactory(priority=0)
    PriceListItemFactory(price_list=generic, variant=v, unit_price=D("95"))
    vip = PriceListFactory(customer_group="vip", priority=0)
    PriceListItemFactory(price_list=vip, variant=v, unit_price=D("85"))
    expired = PriceListFactory(priority=20, valid_until=WHEN - timedelta(days=1))
    PriceListItemFactory(price_list=expired, variant=v, unit_price=D("10"))
    future = PriceListFactory(priority=20, valid_from=WHEN + timedelta(days=1))
    PriceListItemFactory(price_list=future, variant=v, unit_price=D("11"))
    usd = PriceListFactory(priority=30, currency="USD")
    PriceListItemFactory(price_list=usd, variant=v, unit_price=D("12"))
    assert price(lines=[line(v)]).lines[0].unit_price == D("95")
    # Same priority: the more specific list (customer group) wins.
    assert price(lines=[line(v)], customer_group="vip").lines[0].unit_price == D("85")
    assert price(lines=[line(v)], channel_code="web").lines[0].unit_price == D("50")


def test_price_list_without_the_sku_falls_back_to_base_price(price):
    v = VariantFactory(base_price=D("100"))
    PriceListItemFactory(price_list=PriceListFactory(priority=5), unit_price=D("1"))
    assert price(lines=[line(v)]).lines[0].unit_price == D("100")


def test_other_currency_without_price_list_raises(price):
    v = VariantFactory(base_price=D("100"), currency="BRL")
    with pytest.raises(NoPrice):
        price(lines=[line(v)], currency="USD")


def test_unknown_variant_and_bad_quantity_raise(price):
    with pytest.raises(PricingError):
        price(lines=[PriceLineInput(variant_id=987654, quantity=1)])
    v = VariantFactory()
    with pytest.raises(PricingError):
        price(lines=[line(v, 0)])
    with pytest.raises(PricingError):
        price(lines=[line(v, override_unit_price=D("-1"))])


def test_override_and_personalisation(price):
    v = VariantFactory(base_price=D("100"))
    PromotionFactory(kind="item_percent", percent=D("50"))
    result = price(lines=[line(v, 2, override_unit_price=D("70"), extra_unit_price=D("5"))])
    priced = result.lines[0]
    assert priced.unit_price == D("75")
    assert priced.overridden is True
    assert priced.discounts == []  # item promotions do not touch an overridden price
    assert "Manual price override: R$\xa070.00" in map(str, priced.explanation)
    assert "Personalisation: +R$\xa05.00 per unit" in map(str, priced.explanation)
    assert result.subtotal == D("150")


def test_exclusive_tax_is_added_per_line(price):
    TaxRateFactory(region="SP", tax_class="standard", rate=D("18"))
    TaxRateFactory(region="", tax_class="standard", rate=D("10"), name="VAT")
    TaxRateFactory(region="SP", tax_class="reduced", rate=D("7"))
    a = VariantFactory(base_price=D("100"))
    b = VariantFactory(base_price=D("10"), tax_class="reduced")
    result = price(lines=[line(a), line(b, 3)])
    assert [(p.tax_rate, p.tax_amount, p.line_total) for p in result.lines] == [
        (D("18"), D("18.00"), D("118.00")), (D("7"), D("2.10"), D("32.10"))]
    assert result.tax_total == D("20.10")
    assert result.total == D("150.10")
    # Another state falls back to the generic rate of the class.
    assert price(lines=[line(a)], ship_to_region="RJ").lines[0].tax_rate == D("10")


def test_tax_rate_effective_dates(price):
    TaxRateFactory(rate=D("17"), valid_from="2020-01-01", valid_until="2026-03-31")
    TaxRateFactory(rate=D("18"), valid_from="2026-04-01")
    v = VariantFactory(base_price=D("100"))
    assert price(lines=[line(v)]).lines[0].tax_rate == D("18")
    assert price(lines=[line(v)], when=WHEN.replace(month=2)).lines[0].tax_rate == D("17")


def test_inclusive_tax_channel(price):
    ChannelTaxSetting.objects.create(channel_code="store", prices_include_tax=True)
    TaxRateFactory(rate=D("20"))
    v = VariantFactory(base_price=D("120"))
    result = price(lines=[line(v)], channel_code="store")
    assert result.prices_include_tax is True
    assert (result.lines[0].tax_amount, result.lines[0].line_total) == (D("20.00"), D("120"))
    assert (result.tax_total, result.total) == (D("20.00"), D("120"))


def test_missing_tax_rate_is_explained(price):
    v = VariantFactory()
    priced = price(lines=[line(v)], ship_to_region="AM").lines[0]
    assert priced.tax_rate == D("0")
    assert str(priced.explanation[-1]) == "No tax rate for class “standard” in region “AM”."


def test_order_percent_and_fixed_promotions_combine_in_priority_order(price):
    a = VariantFactory(base_price=D("100"))
    b = VariantFactory(base_price=D("50"))
    PromotionFactory(name="Ten off", kind="order_fixed", percent=None, amount=D("10"), priority=5)
    PromotionFactory(name="Ten percent", kind="order_percent", percent=D("10"), priority=1)
    result = price(lines=[line(a), line(b)])
    assert [(d.name, d.amount) for d in result.order_discounts] == [
        ("Ten off", D("10.00")), ("Ten percent", D("14.00"))]
    assert result.discount_total == D("24.00")
    assert sum(p.order_discount_share for p in result.lines) == D("24.00")
    assert result.total == D("126.00")


def test_order_discount_is_spread_with_cents_adding_up(price):
    lines = [VariantFactory(base_price=D("33.33")) for _i in range(3)]
    PromotionFactory(kind="order_fixed", percent=None, amount=D("10"))
    result = price(lines=[line(v) for v in lines])
    assert sorted(p.order_discount_share for p in result.lines) == [D("3.33"), D("3.33"), D("3.34")]
    assert result.total == D("89.99")


def test_item_promotion_by_category_tree_and_brand(price):
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    in_child = VariantFactory(product=ProductFactory(category=child), base_price=D("100"))
    elsewhere = VariantFactory(base_price=D("100"))
    by_category = PromotionFactory(name="Shoes 20%", kind="item_percent", percent=D("20"))
    by_category.categories.set([parent])
    by_brand = PromotionFactory(name="Brand 5 off", kind="item_fixed", percent=None, amount=D("5"))
    by_brand.brands.set([elsewhere.product.brand])
    result = price(lines=[line(in_child, 2), line(elsewhere, 3)])
    assert [(d.name, d.amount, str(d.reason)) for d in result.lines[0].discounts] == [
        ("Shoes 20%", D("40.00"), "20% off")]
    assert [(d.name, d.amount) for d in result.lines[1].discounts] == [("Brand 5 off", D("15.00"))]
    assert result.discount_total == D("55.00")


def test_buy_x_get_y_discounts_the_cheapest_units(price):
    cheap = VariantFactory(base_price=D("10"))
    dear = VariantFactory(base_price=D("30"))
    promo = PromotionFactory(name="3 for 2", kind="buy_x_get_y", percent=None, buy_quantity=2, get_quantity=1)
    promo.variants.set([cheap, dear])
    result = price(lines=[line(dear, 4), line(cheap, 2)])
    # 6 units -> 2 free, the two cheapest.
    assert [d.amount for d in result.lines[1].discounts] == [D("20.00")]
    assert result.lines[0].discounts == []
    assert str(result.lines[1].discounts[0].reason) == "Buy 2 get 1"
    assert price(lines=[line(dear, 2)]).discount_total == D("0")


def test_tiered_spend(price):
    v = VariantFactory(base_price=D("100"))
    PromotionFactory(name="Spend more", kind="tiered_spend", percent=None,
                     tiers=[{"threshold": "500", "percent": "15"}, {"threshold": "300", "percent": "10"}])
    assert price(lines=[line(v, 2)]).discount_total == D("0")
    assert price(lines=[line(v, 3)]).discount_total == D("30.00")
    result = price(lines=[line(v, 5)])
    assert result.order_discounts[0].amount == D("75.00")
    assert str(result.order_discounts[0].reason) == "Spend R$\xa0500.00, get 15% off"


def test_exclusive_promotion_applies_alone_when_better(price):
    v = VariantFactory(base_price=D("100"))
    PromotionFactory(name="A", kind="order_percent", percent=D("10"))
    PromotionFactory(name="B", kind="order_percent", percent=D("5"))
    PromotionFactory(name="Big", kind="order_percent", percent=D("20"), exclusive=True)
    result = price(lines=[line(v)])
    assert [d.name for d in result.order_discounts] == ["Big"]
    assert result.discount_total == D("20.00")
    assert "Not combined with the promotions applied: A, B" in texts(result.messages)


def test_combined_promotions_win_over_weaker_exclusive(price):
    v = VariantFactory(base_price=D("100"))
    PromotionFactory(name="A", kind="order_percent", percent=D("10"))
    PromotionFactory(name="B", kind="order_percent", percent=D("10"))
    PromotionFactory(name="Small", kind="order_percent", percent=D("15"), exclusive=True)
    result = price(lines=[line(v)])
    assert [d.name for d in result.order_discounts] == ["A", "B"]
    assert result.discount_total == D("19.00")


def test_targeting_by_channel_group_dates_weekdays_and_hours(price):
    v = VariantFactory(base_price=D("100"))
    PromotionFactory(name="web only", channel_codes=["web"])
    PromotionFactory(name="vip only", customer_groups=["vip"])
    PromotionFactory(name="ended", ends_at=WHEN - timedelta(hours=1))
    PromotionFactory(name="not started", starts_at=WHEN + timedelta(hours=1))
    PromotionFactory(name="weekend", weekdays=[6, 7])
    PromotionFactory(name="morning", daily_start="08:00", daily_end="12:00")
    PromotionFactory(name="inactive", is_active=False)
    PromotionFactory(name="afternoon wednesday", weekdays=[3], daily_start="13:00", daily_end="15:00", percent=D("1"))
    result = price(lines=[line(v)])
    assert [d.name for d in result.order_discounts] == ["afternoon wednesday"]
    assert {d.name for d in price(lines=[line(v)], channel_code="web", customer_group="vip").order_discounts} == {
        "web only", "vip only", "afternoon wednesday"}


def test_source_code_resolves_campaign_and_unlocks_its_promotions(price):
    v = VariantFactory(base_price=D("100"))
    source = SourceCodeFactory(code="RADIO7")
    PromotionFactory(name="Radio listeners", campaign=source.campaign, percent=D("15"))
    other = SourceCodeFactory(code="MAIL1")
    by_code = PromotionFactory(name="Mail only", percent=D("5"))
    by_code.source_codes.set([other])
    result = price(lines=[line(v)], source_code=" radio7 ")
    assert (result.source_code, result.campaign_id) == ("RADIO7", source.campaign_id)
    assert [d.name for d in result.order_discounts] == ["Radio listeners"]
    assert [d.name for d in price(lines=[line(v)], source_code="MAIL1").order_discounts] == ["Mail only"]
    assert price(lines=[line(v)]).order_discounts == []


def test_bad_source_codes_are_reported(price):
    v = VariantFactory()
    SourceCodeFactory(code="OLD", campaign=CampaignFactory(starts_on="2025-01-01", ends_on="2025-12-31"))
    SourceCodeFactory(code="WEB", campaign=CampaignFactory(channel_code="web"))
    assert texts(price(lines=[line(v)], source_code="NOPE").messages) == ["Source code NOPE does not exist."]
    assert texts(price(lines=[line(v)], source_code="OLD").messages) == [
        "Source code OLD is outside its campaign's dates."]
    result = price(lines=[line(v)], source_code="WEB")
    assert (result.source_code, result.campaign_id) == ("", None)
    assert texts(result.messages) == ["Source code WEB is not valid on this channel."]


def test_coupons_unlock_promotions_and_report_problems(price):
    v = VariantFactory(base_price=D("100"))
    good = CouponFactory(code="SAVE10")
    CouponFactory(code="USED", times_used=1)
    CouponFactory(code="OLD", promotion=PromotionFactory(requires_coupon=True, ends_at=WHEN - timedelta(days=1)))
    CouponFactory(code="WEBONLY", promotion=PromotionFactory(requires_coupon=True, channel_codes=["web"]))
    result = price(lines=[line(v)], coupons=["save10", "used", "OLD", "missing", "WEBONLY"])
    assert [(d.promotion_id, d.coupon_code) for d in result.order_discounts] == [(good.promotion_id, "SAVE10")]
    assert result.coupons == ["SAVE10"]
    assert texts(result.messages) == [
        "Coupon USED has already been used.", "Coupon OLD expired.", "Coupon MISSING does not exist.",
        "Coupon WEBONLY does not apply: not valid on this channel."]
    assert price(lines=[line(v)]).order_discounts == []


def test_a_coupon_whose_promotion_gave_nothing_is_not_kept_as_applied(price):
    """Accepted but beaten by the combined promotions (exclusive, smaller), or short of its minimum: the coupon took
    no use and gave no discount, so the priced order does not list it among the coupons applied (the placed order
    would have shown it as if it had counted)."""
    v = VariantFactory(base_price=D("100"))
    PromotionFactory(name="Everyone 20", percent=D("20"))
    CouponFactory(code="SMALL5", promotion=PromotionFactory(requires_coupon=True, percent=D("5"), exclusive=True))
    CouponFactory(code="BIG", promotion=PromotionFactory(requires_coupon=True, percent=D("10"),
                                                         min_subtotal=D("500")))
    CouponFactory(code="PLUS10", promotion=PromotionFactory(requires_coupon=True, percent=D("10")))
    result = price(lines=[line(v)], coupons=["small5", "big", "plus10"])
    assert [(d.name, d.coupon_code) for d in result.order_discounts][0] == ("Everyone 20", "")
    assert [d.coupon_code for d in result.order_discounts][1:] == ["PLUS10"]
    assert result.coupons == ["PLUS10"]
    assert {d.coupon_code for d in result.applied_discounts()} == {"", "PLUS10"}


def test_segment_promotion_needs_membership(price):
    v = VariantFactory(base_price=D("100"))
    segment = Segment.objects.create(code="loyal", name="Loyal")
    PromotionFactory(name="Loyal", segment=segment)
    SegmentMember.objects.create(segment=segment, customer_id=7)
    assert [d.name for d in price(lines=[line(v)], customer_id=7).order_discounts] == ["Loyal"]
    assert price(lines=[line(v)], customer_id=8).order_discounts == []
    assert price(lines=[line(v)]).order_discounts == []


def test_usage_limits_are_checked(price):
    v = VariantFactory(base_price=D("100"))
    PromotionFactory(name="Used up", usage_limit=5, times_used=5)
    assert price(lines=[line(v)]).order_discounts == []


def test_minimum_order_value(price):
    v = VariantFactory(base_price=D("100"))
    PromotionFactory(name="Over 150", min_subtotal=D("150"))
    result = price(lines=[line(v)])
    assert result.order_discounts == []
    assert "Over 150 needs an order of at least R$\xa0150.00." in texts(result.messages)
    assert price(lines=[line(v, 2)]).discount_total == D("20.00")


def test_shipping_by_zone_weight_and_free_threshold(price):
    zone = ShippingZoneFactory(regions=["SP", "RJ"])
    pac = CarrierServiceFactory(code="pac", name="PAC", free_shipping_threshold=D("299"))
    sedex = CarrierServiceFactory(code="sedex", name="SEDEX")
    ShippingRateFactory(service=pac, zone=zone, max_weight_grams=1000, price=D("15"), transit_days=6)
    ShippingRateFactory(service=pac, zone=zone, max_weight_grams=5000, price=D("25"), transit_days=6)
    ShippingRateFactory(service=sedex, zone=zone, max_weight_grams=1000, price=D("35"), transit_days=2)
    v = VariantFactory(base_price=D("100"), weight_grams=600)
    one = price(lines=[line(v)], shipping_service="sedex")
    assert [(q.service_code, q.price, q.transit_days) for q in one.shipping_options] == [
        ("pac", D("15.00"), 6), ("sedex", D("35.00"), 2)]
    assert (one.shipping_total, one.total) == (D("35.00"), D("135.00"))
    two = price(lines=[line(v, 2)], shipping_service="sedex")  # 1.2 kg: SEDEX bracket ends at 1 kg
    assert [(q.service_code, q.price) for q in two.shipping_options] == [("pac", D("25.00"))]
    assert two.shipping_total == D("0")
    assert texts(two.messages) == ["Shipping service sedex is not available for this destination and weight."]
    three = price(lines=[line(v, 3)], shipping_service="pac")
    assert three.shipping_options[0].price == D("0")
    assert str(three.shipping_options[0].reason) == "Free above R$\xa0299.00"
    assert price(lines=[line(v)], ship_to_region="AM").shipping_options == []


def test_free_shipping_promotion(price):
    zone = ShippingZoneFactory(regions=["SP"])
    ShippingRateFactory(service=CarrierServiceFactory(code="pac"), zone=zone, price=D("15"))
    ShippingRateFactory(service=CarrierServiceFactory(code="sedex"), zone=zone, price=D("30"))
    promo = PromotionFactory(name="Free PAC", kind="free_shipping", percent=None, shipping_services=["pac"])
    v = VariantFactory(base_price=D("100"))
    result = price(lines=[line(v)], shipping_service="pac")
    assert result.shipping_total == D("0")
    assert [(d.promotion_id, d.amount) for d in result.shipping_discounts] == [(promo.pk, D("15.00"))]
    assert [q.price for q in result.shipping_options] == [D("0"), D("30.00")]
    assert result.total == D("100")


def test_same_inputs_give_the_same_result(price):
    v = VariantFactory(base_price=D("33.33"))
    PromotionFactory(kind="order_percent", percent=D("7.5"))
    TaxRateFactory()
    assert price(lines=[line(v, 3)]) == price(lines=[line(v, 3)])


def test_pricing_writes_nothing_and_query_count_does_not_grow_with_lines(price, django_assert_max_num_queries):
    TaxRateFactory()
    ShippingRateFactory()
    promo = PromotionFactory(kind="item_percent", percent=D("5"))
    promo.categories.set([CategoryFactory()])
    few = [VariantFactory() for _i in range(2)]
    many = [VariantFactory() for _i in range(30)]
    with django_assert_max_num_queries(20) as small:
        price(lines=[line(v) for v in few], coupons=["X"], source_code="Y", customer_id=1)
    with django_assert_max_num_queries(20) as large:
        price(lines=[line(v) for v in many], coupons=["X"], source_code="Y", customer_id=1)
    assert len(small.captured_queries) == len(large.captured_queries)
    assert not any(q["sql"].startswith(("INSERT", "UPDATE", "DELETE")) for q in large.captured_queries)


def test_channel_default_price_list_code_makes_that_list_eligible(price):
    v = VariantFactory(base_price=D("100"))
    b2b = PriceListFactory(code="b2b-net", channel_code="b2b-portal")
    PriceListItemFactory(price_list=b2b, variant=v, unit_price=D("70"))
    assert price(lines=[line(v)], channel_code="b2b").lines[0].unit_price == D("100")
    assert price(lines=[line(v)], channel_code="b2b", price_list_code="b2b-net").lines[0].unit_price == D("70")


def test_money_conditions_need_the_order_currency(price):
    v = VariantFactory(base_price=D("100"), currency="USD")
    PromotionFactory(name="BRL minimum", percent=D("10"), min_subtotal=D("50"), currency="BRL")
    PromotionFactory(name="Any currency", percent=D("5"), currency="BRL")
    result = price(lines=[line(v)], currency="USD")
    assert [d.name for d in result.order_discounts] == ["Any currency"]


def test_coupon_of_a_promotion_left_out_for_a_what_if(price):
    v = VariantFactory(base_price=D("100"))
    coupon = CouponFactory(code="WHAT")
    result = price(lines=[line(v)], coupons=["WHAT"], promotion_overrides={coupon.promotion_id: False})
    assert result.order_discounts == []
    assert texts(result.messages) == ["Coupon WHAT is not active."]


def test_empty_basket_and_repeated_sku(price):
    empty = price(lines=[])
    assert (empty.subtotal, empty.total, empty.lines, empty.shipping_options) == (D("0"), D("0"), [], [])
    v = VariantFactory(base_price=D("10"))
    twice = price(lines=[line(v, 1), line(v, 2)])
    assert [p.line_total for p in twice.lines] == [D("10.00"), D("20.00")]

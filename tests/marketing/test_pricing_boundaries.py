"""The pricing engine at its edges: tier thresholds, 100 % discounts, empty carts, free-shipping thresholds, price
lists ending at the placing moment, mixed tax classes, cents spread over tiny lines, gift cards among promoted
goods."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from marketing.models import ChannelTaxSetting
from marketing.pricing import PriceLineInput
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

pytestmark = pytest.mark.django_db


def line(variant, quantity=1, **kw):
    return PriceLineInput(variant_id=variant.pk, quantity=quantity, **kw)


def test_tier_threshold_exactly_and_one_below(price):
    v = VariantFactory(base_price=D("100"))
    price_list = PriceListFactory()
    PriceListItemFactory(price_list=price_list, variant=v, min_quantity=1, unit_price=D("90"))
    PriceListItemFactory(price_list=price_list, variant=v, min_quantity=10, unit_price=D("80"))
    assert price(lines=[line(v, 1)]).lines[0].unit_price == D("90.00")
    assert price(lines=[line(v, 9)]).lines[0].unit_price == D("90.00")
    assert price(lines=[line(v, 10)]).lines[0].unit_price == D("80.00")
    assert price(lines=[line(v, 11)]).lines[0].unit_price == D("80.00")


def test_quantity_below_a_lists_only_tier_uses_the_base_price(price):
    v = VariantFactory(base_price=D("100"))
    PriceListItemFactory(price_list=PriceListFactory(), variant=v, min_quantity=2, unit_price=D("95"))
    one = price(lines=[line(v, 1)]).lines[0]
    two = price(lines=[line(v, 2)]).lines[0]
    assert (one.unit_price, one.price_list_code) == (D("100.00"), "")
    assert two.unit_price == D("95.00")


def test_hundred_percent_discounts_leave_nothing_to_pay_or_tax(price):
    TaxRateFactory()
    a, b = VariantFactory(base_price=D("33.33")), VariantFactory(base_price=D("0.01"))
    PromotionFactory(kind="item_percent", percent=D("100"))
    result = price(lines=[line(a, 3), line(b)])
    assert [p.net for p in result.lines] == [D("0"), D("0")]
    assert (result.discount_total, result.tax_total, result.total) == (D("100.00"), D("0"), D("0"))
    PromotionFactory(kind="order_fixed", percent=None, amount=D("500"))  # nothing left to take off
    assert price(lines=[line(a, 3), line(b)]).order_discounts == []


def test_coupon_on_an_empty_cart(price):
    CouponFactory(code="TENOFF", promotion=PromotionFactory(kind="order_fixed", percent=None, amount=D("10"),
                                                            requires_coupon=True))
    result = price(lines=[], coupons=["TENOFF"])
    assert (result.total, result.discount_total, result.order_discounts, result.lines) == (D("0"), D("0"), [], [])


def test_free_shipping_at_exactly_the_threshold_after_discounts(price):
    zone = ShippingZoneFactory(regions=["SP"])
    ShippingRateFactory(service=CarrierServiceFactory(code="pac", free_shipping_threshold=D("150")), zone=zone,
                        price=D("19.90"))
    v = VariantFactory(base_price=D("75"))
    at = price(lines=[line(v, 2)], shipping_service="pac")
    assert (at.shipping_total, at.total) == (D("0"), D("150.00"))
    cheaper = VariantFactory(base_price=D("74.99"))
    below = price(lines=[line(cheaper, 2)], shipping_service="pac")
    assert below.shipping_total == D("19.90")
    # The threshold reads the merchandise after discounts: 10 % off 150 is below it.
    PromotionFactory(kind="order_percent", percent=D("10"))
    assert price(lines=[line(v, 2)], shipping_service="pac").shipping_total == D("19.90")


def test_price_list_ending_at_the_placing_moment_no_longer_applies(price):
    v = VariantFactory(base_price=D("100"))
    ending = PriceListFactory(valid_from=WHEN - timedelta(days=1), valid_until=WHEN)
    PriceListItemFactory(price_list=ending, variant=v, unit_price=D("70"))
    starting = PriceListFactory(valid_from=WHEN, priority=-1)
    PriceListItemFactory(price_list=starting, variant=v, unit_price=D("80"))
    assert price(lines=[line(v)]).lines[0].unit_price == D("80.00")
    assert price(lines=[line(v)], when=WHEN - timedelta(seconds=1)).lines[0].unit_price == D("70.00")


def test_mixed_tax_classes_in_one_order_each_line_at_its_rate(price):
    TaxRateFactory(region="SP", tax_class="standard", rate=D("18"))
    TaxRateFactory(region="SP", tax_class="reduced", rate=D("7"))
    TaxRateFactory(region="", tax_class="", rate=D("12"), name="VAT")
    std = VariantFactory(base_price=D("100"), tax_class="standard")
    red = VariantFactory(base_price=D("100"), tax_class="reduced")
    other = VariantFactory(base_price=D("100"), tax_class="books")
    PromotionFactory(kind="order_fixed", percent=None, amount=D("30"))
    result = price(lines=[line(std), line(red), line(other)])
    assert [p.order_discount_share for p in result.lines] == [D("10.00")] * 3
    assert [(p.tax_rate, p.tax_amount) for p in result.lines] == [
        (D("18"), D("16.20")), (D("7"), D("6.30")), (D("12"), D("10.80"))]
    assert result.total == D("270.00") + D("33.30")
    ChannelTaxSetting.objects.create(channel_code="store", prices_include_tax=True)
    inclusive = price(lines=[line(std), line(red), line(other)], channel_code="store")
    assert [p.tax_amount for p in inclusive.lines] == [D("13.73"), D("5.89"), D("9.64")]
    assert inclusive.total == D("270.00")


def test_cents_of_an_order_discount_over_three_one_cent_lines(price):
    lines = [VariantFactory(base_price=D("0.01")) for _i in range(3)]
    PromotionFactory(kind="order_fixed", percent=None, amount=D("0.02"))
    result = price(lines=[line(v) for v in lines])
    assert sorted(p.order_discount_share for p in result.lines) == [D("0"), D("0.01"), D("0.01")]
    assert (result.discount_total, result.total) == (D("0.02"), D("0.01"))


def test_a_third_off_prices_of_33_33(price):
    lines = [VariantFactory(base_price=D("33.33")) for _i in range(3)]
    PromotionFactory(kind="order_percent", percent=D("33.3333"))
    result = price(lines=[line(v) for v in lines])
    assert result.order_discounts[0].amount == D("33.33")
    assert [p.order_discount_share for p in result.lines] == [D("11.11")] * 3
    assert result.total == D("66.66")


def test_a_gift_card_does_not_take_the_free_unit_of_buy_x_get_y(price):
    """A gift card sold at its SKU's price (no override) takes no promotion: it must not count as one of the
    units of a buy-2-get-1, nor be the "cheapest" unit that gets the free slot (worth nothing on a card)."""
    shirt = VariantFactory(base_price=D("30"))
    card = VariantFactory(base_price=D("50"), is_gift_card=True, weight_grams=0)
    PromotionFactory(name="3 for 2", kind="buy_x_get_y", percent=None, buy_quantity=2, get_quantity=1)
    assert price(lines=[line(shirt, 3)]).discount_total == D("30.00")
    with_card = price(lines=[line(shirt, 3), line(card)])
    assert with_card.discount_total == D("30.00")
    assert with_card.lines[1].discounts == []
    # Nor do cards make up the group of three.
    assert price(lines=[line(shirt, 2), line(card, 1)]).discount_total == D("0")


def test_two_free_shipping_promotions_record_the_shipping_saved_once(price):
    """Shipping is given free once: the discounts recorded (and redeemed) add up to the price saved, by the
    promotion the quote names, not once per free-shipping promotion."""
    zone = ShippingZoneFactory(regions=["SP"])
    ShippingRateFactory(service=CarrierServiceFactory(code="pac"), zone=zone, price=D("15"))
    first = PromotionFactory(name="Free A", kind="free_shipping", percent=None, priority=2)
    PromotionFactory(name="Free B", kind="free_shipping", percent=None, priority=1)
    result = price(lines=[line(VariantFactory(base_price=D("100")))], shipping_service="pac")
    chosen = result.shipping_options[0]
    assert (chosen.price, str(chosen.reason)) == (D("0"), "Free shipping: Free A")
    assert [(d.promotion_id, d.amount) for d in result.shipping_discounts] == [(first.pk, D("15.00"))]
    assert sum(d.amount for d in result.applied_discounts()) == chosen.regular_price - chosen.price


def test_order_discount_cent_goes_to_the_same_line_whatever_the_lines_order(price):
    """Two lines of equal value split an odd cent: which one takes it must not depend on the order the lines were
    typed in, or the tax (18 % against 7.5 %) and so the order's total change with it."""
    TaxRateFactory(region="SP", tax_class="standard", rate=D("18"))
    TaxRateFactory(region="SP", tax_class="reduced", rate=D("7.5"))
    std = VariantFactory(base_price=D("10.03"), tax_class="standard")
    red = VariantFactory(base_price=D("10.03"), tax_class="reduced")
    PromotionFactory(kind="order_fixed", percent=None, amount=D("0.01"))
    one = price(lines=[line(std), line(red)])
    other = price(lines=[line(red), line(std)])
    assert (one.tax_total, one.total) == (other.tax_total, other.total)
    assert {p.variant_id: p.order_discount_share for p in one.lines} == {
        p.variant_id: p.order_discount_share for p in other.lines}


def test_an_amount_off_each_unit_is_the_rounded_amount_the_explanation_shows(price):
    """An amount off each unit saved with more decimals than the currency has (7.775 in reais) is the amount the
    line's explanation shows per unit (R$ 7.78) times the units, not the unrounded product."""
    v = VariantFactory(base_price=D("100"))
    PromotionFactory(kind="item_fixed", percent=None, amount=D("7.775"))
    result = price(lines=[line(v, 3)])
    discount = result.lines[0].discounts[0]
    assert str(discount.reason) == "R$\xa07.78 off each unit"
    assert discount.amount == D("23.34")


def test_a_free_shipping_promotion_is_not_credited_for_shipping_free_by_the_threshold(price):
    """Above the service's free-shipping threshold the shipping is free anyway: the promotion (or its single-use
    coupon) is not recorded as having saved it, so its use is not taken and its report does not count it."""
    zone = ShippingZoneFactory(regions=["SP"])
    ShippingRateFactory(service=CarrierServiceFactory(code="pac", free_shipping_threshold=D("150")), zone=zone,
                        price=D("19.90"))
    coupon = CouponFactory(code="SHIPFREE", promotion=PromotionFactory(
        name="Free PAC", kind="free_shipping", percent=None, requires_coupon=True))
    v = VariantFactory(base_price=D("100"))
    above = price(lines=[line(v, 2)], shipping_service="pac", coupons=["SHIPFREE"])
    assert str(above.shipping_options[0].reason) == "Free above R$\xa0150.00"
    assert (above.shipping_total, above.shipping_discounts) == (D("0"), [])
    below = price(lines=[line(v)], shipping_service="pac", coupons=["SHIPFREE"])
    assert str(below.shipping_options[0].reason) == "Free shipping: Free PAC"
    assert [(d.promotion_id, d.amount, d.coupon_code) for d in below.shipping_discounts] == [
        (coupon.promotion_id, D("19.90"), "SHIPFREE")]


def test_a_class_rate_for_every_region_wins_over_a_regions_rate_for_every_class(price):
    """The most specific row wins: region and class, then the class (any region), then the region (any class),
    then the generic rate. An exempt class is not taxed at a state's rate for any class."""
    TaxRateFactory(name="ICMS SP", region="SP", tax_class="", rate=D("18"))
    TaxRateFactory(name="Isento", region="", tax_class="exempt", rate=D("0"))
    TaxRateFactory(name="ICMS SP reduzido", region="SP", tax_class="reduced", rate=D("7"))
    TaxRateFactory(name="Reduzido", region="", tax_class="reduced", rate=D("12"))
    TaxRateFactory(name="VAT", region="", tax_class="", rate=D("20"))
    exempt = VariantFactory(base_price=D("100"), tax_class="exempt")
    reduced = VariantFactory(base_price=D("100"), tax_class="reduced")
    standard = VariantFactory(base_price=D("100"), tax_class="standard")
    in_sp = price(lines=[line(exempt), line(reduced), line(standard)])
    assert [p.tax_rate for p in in_sp.lines] == [D("0"), D("7"), D("18")]
    in_rj = price(lines=[line(exempt), line(reduced), line(standard)], ship_to_region="RJ")
    assert [p.tax_rate for p in in_rj.lines] == [D("0"), D("12"), D("20")]

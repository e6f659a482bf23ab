"""What-if shares one ``SharedLookups`` between the pricings of a run: the same figures as pricing each order alone,
in a number of queries that does not grow with the orders."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketing import whatif
from marketing.errors import PricingError
from marketing.lookups import SharedLookups
from marketing.models import ChannelTaxSetting, PromotionRedemption, Segment, SegmentMember
from marketing.pricing import PriceLineInput, price_order
from marketing.whatif import HistoricOrder, shared_lookups, what_if
from tests.marketing.conftest import WHEN
from tests.marketing.factories import (
    BrandFactory,
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

ANA, BRUNO, CARLA = 9001, 9002, 9003  # customers: pricing knows them by id only


def at(days_ago: int, hour: int, minute: int = 0):
    """A moment ``days_ago`` days before WHEN (a Wednesday), at ``hour:minute`` in São Paulo."""
    return (WHEN - timedelta(days=days_ago)).replace(hour=hour, minute=minute)


@pytest.fixture
def month():
    """A month of configuration that changes under the orders (a price list and a tax rate from the 1st of June, a
    price list ending on the 6th at 9:00, a promotion ending on the 5th, another starting on the 2nd at noon, a
    campaign ending on the 3rd) and orders from different channels, customers, days, hours and destinations;
    returns the orders and the promotions and price lists to try."""
    from tests.orders.factories import ChannelFactory

    parent = CategoryFactory()
    shirt = VariantFactory(product=ProductFactory(category=CategoryFactory(parent=parent)), base_price=D("100"))
    brand = BrandFactory()
    book = VariantFactory(product=ProductFactory(brand=brand), base_price=D("40"), tax_class="reduced",
                          weight_grams=800)
    heavy = VariantFactory(base_price=D("250"), weight_grams=12000)
    gift = VariantFactory(base_price=D("50"), is_gift_card=True, weight_grams=0)
    dollars = VariantFactory(base_price=D("10"), currency="USD")  # no price in BRL: the order cannot be re-priced

    # Price lists: the phone's own, every channel's for VIPs, one from June 1st (midnight), one the web channel's
    # settings name (whatever channel it names), and two switched off to try.
    phone = PriceListFactory(channel_code="phone", priority=1)
    PriceListItemFactory(price_list=phone, variant=shirt, unit_price=D("95"))
    PriceListItemFactory(price_list=phone, variant=shirt, min_quantity=3, unit_price=D("90"))
    vip = PriceListFactory(customer_group="vip", priority=2)
    PriceListItemFactory(price_list=vip, variant=book, unit_price=D("35"))
    june = PriceListFactory(priority=5, valid_from=at(9, 0))
    PriceListItemFactory(price_list=june, variant=heavy, unit_price=D("230"))
    ending = PriceListFactory(priority=6, valid_until=at(4, 9))
    PriceListItemFactory(price_list=ending, variant=shirt, unit_price=D("80"))
    named = PriceListFactory(code="partner-list", channel_code="marketplace")
    PriceListItemFactory(price_list=named, variant=book, unit_price=D("30"))
    ChannelFactory(code="web", price_list_code="partner-list")
    draft_list = PriceListFactory(is_active=False, priority=9)
    PriceListItemFactory(price_list=draft_list, variant=shirt, unit_price=D("70"))
    PriceListItemFactory(price_list=draft_list, variant=heavy, unit_price=D("200"))
    PriceListItemFactory(price_list=PriceListFactory(currency="USD"), variant=book, unit_price=D("8"))
    vip_draft = PriceListFactory(is_active=False, customer_group="vip", channel_code="web", priority=9)
    PriceListItemFactory(price_list=vip_draft, variant=book, unit_price=D("20"))

    # Tax: SP rates, a new RJ rate from June 1st, a generic rate; prices include tax on the store channel.
    TaxRateFactory(region="SP", tax_class="standard", rate=D("18"))
    TaxRateFactory(region="SP", tax_class="reduced", rate=D("7"))
    TaxRateFactory(region="RJ", tax_class="standard", rate=D("19"), valid_until=at(10, 0).date())
    TaxRateFactory(region="RJ", tax_class="standard", rate=D("20"), valid_from=at(9, 0).date())
    TaxRateFactory(region="", tax_class="", rate=D("12"), name="VAT")
    ChannelTaxSetting.objects.create(channel_code="store", prices_include_tax=True)

    # Shipping: two zones list SP (the first by code wins), a northern zone, a service switched off.
    south_east = ShippingZoneFactory(code="a-south-east", regions=["SP", "RJ"])
    ShippingZoneFactory(code="b-sao-paulo", regions=["SP"])
    north = ShippingZoneFactory(code="c-north", regions=["AM"])
    pac = CarrierServiceFactory(code="pac", free_shipping_threshold=D("300"))
    sedex = CarrierServiceFactory(code="sedex")
    retired = CarrierServiceFactory(code="retired", is_active=False)
    for zone, light, bulky in ((south_east, "15", "45"), (north, "35", "90")):
        ShippingRateFactory(service=pac, zone=zone, max_weight_grams=5000, price=D(light))
        ShippingRateFactory(service=pac, zone=zone, max_weight_grams=30000, price=D(bulky))
        ShippingRateFactory(service=sedex, zone=zone, max_weight_grams=10000, price=D(light) * 2)
        ShippingRateFactory(service=retired, zone=zone, max_weight_grams=30000, price=D("1"))

    # Promotions, live and to try.
    campaign = CampaignFactory(starts_on=at(20, 0).date(), ends_on=at(7, 0).date())
    SourceCodeFactory(code="CAT26", campaign=campaign)
    SourceCodeFactory(code="WEBONLY", campaign=CampaignFactory(channel_code="web"))
    segment = Segment.objects.create(code="loyal", name="Loyal")
    SegmentMember.objects.create(segment=segment, customer_id=ANA)
    category_sale = PromotionFactory(kind="item_percent", percent=D("15"), ends_at=at(5, 0), priority=2)
    category_sale.categories.set([parent])
    PromotionFactory(kind="order_fixed", percent=None, amount=D("20"), min_subtotal=D("150"),
                     weekdays=[1, 2, 3, 4, 5], daily_start=at(0, 9).time(), daily_end=at(0, 18).time())
    PromotionFactory(kind="order_percent", percent=D("5"), segment=segment)
    PromotionFactory(kind="item_fixed", percent=None, amount=D("3"), starts_at=at(8, 12))
    once = PromotionFactory(kind="order_percent", percent=D("8"), usage_limit_per_customer=1, channel_codes=["phone"])
    PromotionRedemption.objects.create(promotion=once, order_reference="PH-OLD", customer_id=BRUNO, amount=D("8"),
                                       currency="BRL")
    PromotionRedemption.objects.create(promotion=once, order_reference="PH-1", customer_id=ANA, amount=D("8"),
                                       currency="BRL")
    PromotionFactory(kind="free_shipping", percent=None, campaign=campaign, shipping_services=["pac"])
    single = CouponFactory(code="WELCOME", promotion=PromotionFactory(kind="order_percent", percent=D("12"),
                                                                      requires_coupon=True))
    single.times_used = 1
    single.save()
    PromotionRedemption.objects.create(promotion=single.promotion, coupon=single, order_reference="PH-2",
                                       customer_id=BRUNO, amount=D("12"), currency="BRL")
    CouponFactory(code="VIPONLY", promotion=PromotionFactory(kind="order_fixed", percent=None, amount=D("10"),
                                                             requires_coupon=True, customer_groups=["vip"]))
    brand_deal = PromotionFactory(kind="buy_x_get_y", percent=None, buy_quantity=2, get_quantity=1,
                                  is_active=False)
    brand_deal.brands.set([brand])
    night = PromotionFactory(kind="order_percent", percent=D("30"), exclusive=True, is_active=False,
                             daily_start=at(0, 22).time(), daily_end=at(0, 6).time())
    night_coupon = CouponFactory(code="NIGHT", promotion=PromotionFactory(
        kind="item_fixed", percent=None, amount=D("5"), requires_coupon=True, is_active=False))
    limited = PromotionFactory(kind="order_percent", percent=D("10"), is_active=False, usage_limit_per_customer=1)
    PromotionRedemption.objects.create(promotion=limited, order_reference="PH-OLD2", customer_id=ANA, amount=D("1"),
                                       currency="BRL")

    def order(ref, when, lines, *, channel="phone", customer=None, group="", source="", region="SP", service="pac",
              coupons=(), currency="BRL"):
        return HistoricOrder(
            reference=ref, placed_at=when, channel_code=channel, customer_id=customer, customer_group=group,
            source_code=source, ship_to_region=region, currency=currency,
            lines=[PriceLineInput(v.pk, q, override, extra) for v, q, override, extra in lines],
            coupons=list(coupons), shipping_service=service, order_reference=ref,
        )

    orders = [
        order("PH-1", at(0, 10), [(shirt, 2, None, D("0")), (book, 3, None, D("0"))], customer=ANA, group="vip",
              source="cat26"),
        order("PH-2", at(12, 23, 30), [(shirt, 1, None, D("0"))], customer=BRUNO, coupons=["welcome"],
              source="CAT26"),
        order("PH-3", at(4, 9), [(shirt, 4, None, D("0")), (heavy, 1, None, D("0"))], customer=BRUNO,
              coupons=["WELCOME"], region="RJ", service="sedex"),
        order("PH-4", at(5, 0), [(shirt, 1, D("60"), D("4.50")), (book, 3, None, D("0"))], customer=CARLA,
              region="rj", coupons=["NIGHT", "VIPONLY", "nope"]),
        order("WB-1", at(10, 3), [(book, 6, None, D("0")), (gift, 1, D("80"), D("0"))], channel="web",
              customer=ANA, group="vip", source="WEBONLY", region="AM", coupons=["VIPONLY"]),
        order("WB-3", at(10, 20), [(shirt, 1, None, D("0")), (book, 1, None, D("0"))], channel="web",
              customer=BRUNO, region="RJ"),
        order("WB-2", at(9, 0), [(heavy, 2, None, D("0"))], channel="web", region="", service=None,
              source="GONE"),
        order("ST-1", at(3, 13), [(shirt, 1, None, D("0")), (book, 2, None, D("0"))], channel="store",
              customer=ANA, region="AM", service="retired", source="WEBONLY"),
        order("ST-2", at(6, 20), [(gift, 2, None, D("0"))], channel="store", customer=CARLA, region="SP"),
        order("ST-3", at(1, 12), [(dollars, 1, None, D("0"))], channel="store"),
        order("US-1", at(2, 12), [(book, 1, None, D("0"))], currency="USD"),
        order("PH-5", at(28, 17), [(heavy, 1, None, D("0")), (shirt, 3, None, D("0"))], customer=ANA,
              group="vip", region="MG"),
    ]
    subjects = {
        "promotion_id": [brand_deal.pk, night.pk, night_coupon.promotion_id, limited.pk, category_sale.pk,
                         single.promotion_id],
        "price_list_id": [draft_list.pk, vip_draft.pk, june.pk, phone.pk],
    }
    return orders, subjects


def _args(order: HistoricOrder) -> dict:
    return {"lines": order.lines, "channel_code": order.channel_code, "customer_id": order.customer_id,
            "customer_group": order.customer_group, "source_code": order.source_code, "coupons": order.coupons,
            "ship_to_region": order.ship_to_region, "shipping_service": order.shipping_service,
            "currency": order.currency, "when": order.placed_at, "order_reference": order.order_reference}


def _priced(order: HistoricOrder, **options):
    try:
        return price_order(**_args(order), **options)
    except PricingError as error:
        return ("refused", str(error), error.field)


def test_every_order_prices_the_same_with_the_run_s_shared_lookups_as_alone(month):
    """Each order is priced at its own moment with what was valid then (price lists, tax rates and promotions that
    start or end within the month, daily and weekday windows), for its own customer (segment, uses of a
    once-per-customer promotion, its own coupon use): the whole result, every line, step and message, is the same."""
    orders, subjects = month
    lookups = shared_lookups(orders, subjects["promotion_id"])
    checked = set()
    for order in orders:
        variants = [{}, {"price_list_code": "partner-list"}] + [
            {key.replace("_id", "_overrides"): {pk: on}} for key, pks in subjects.items() for pk in pks
            for on in (False, True)]
        for overrides in variants:
            alone = _priced(order, **overrides)
            shared = _priced(order, lookups=lookups, **overrides)
            assert shared == alone, (order.reference, overrides)
            checked.add(repr(alone))
    assert len(checked) > 3 * len(orders)  # the overrides do change prices


def test_what_if_reports_the_same_figures_as_pricing_each_order_alone(month, monkeypatch):
    orders, subjects = month
    shared = {(key, pk): what_if(orders=orders, currency="BRL", **{key: pk})
              for key, pks in subjects.items() for pk in pks}
    monkeypatch.setattr(whatif, "shared_lookups", lambda *args, **kwargs: None)  # each pricing reads for itself
    alone = {(key, pk): what_if(orders=orders, currency="BRL", **{key: pk})
             for key, pks in subjects.items() for pk in pks}
    assert shared == alone
    assert {report.orders_affected for report in alone.values()} != {0}
    assert {report.orders_skipped for report in alone.values()} == {1}  # the SKU without a price in reais


def test_what_if_queries_do_not_grow_with_the_orders(month):
    """The configuration is read once a run and the customers' and orders' own rows once for all of them."""
    orders, subjects = month

    def count(orders, **subject):
        with CaptureQueriesContext(connection) as captured:
            what_if(orders=orders, currency="BRL", **subject)
        return len(captured)

    shifted = [HistoricOrder(**{**o.__dict__, "reference": f"{o.reference}b", "order_reference": f"{o.reference}b",
                                "placed_at": o.placed_at - timedelta(days=1), "customer_id": (o.customer_id or 0) + 1,
                                "coupons": [c.lower() for c in o.coupons]}) for o in orders]
    for subject in ({"promotion_id": subjects["promotion_id"][0]}, {"price_list_id": subjects["price_list_id"][0]}):
        assert count(orders[:4], **subject) == count(orders + shifted, **subject) <= 20


def test_a_pricing_outside_the_run_s_period_reads_for_itself(month):
    """Shared lookups answer for the moments they were made for; asked about another, they read it (same result)."""
    orders, _subjects = month
    lookups = SharedLookups(since=at(1, 0), until=at(0, 0))
    for order in orders:
        assert _priced(order, lookups=lookups) == _priced(order)

"""Property tests of the pricing engine's arithmetic, over random carts and promotion mixes in currencies with 2, 3
and 0 decimals: totals add up, nothing goes negative, every amount is in the currency's minor unit, every discount
is explained, order discounts are spread to the cent, pricing repeats and does not depend on the lines' order, an
exclusive promotion is never stacked, tax matches the rate (inclusive and exclusive), tiers and validity windows
are honoured. Each test builds its configuration once; hypothesis runs derandomized with few examples."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketing.models import ChannelTaxSetting, Promotion
from marketing.pricing import PriceLineInput, _allocate, price_order
from oms.money import exponent, quantize
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

FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

CURRENCIES = {"BRL": D("1"), "KWD": D("0.1"), "JPY": D("100")}  # scale of the amounts in each currency
PRICES = ["0.01", "0.99", "9.90", "33.33", "100.00", "1234.56", "0.00", "19.995"]
CLASSES = ["standard", "reduced", "zero", "standard", "standard", "reduced", "standard", "reduced"]
# Tier rows per SKU index: (min_quantity, unit price) on the channel's price list.
TIERS = {3: [(1, "30"), (3, "27.77"), (5, "25.005")], 4: [(2, "95"), (10, "80")]}


def _money(value, scale):
    return D(value) * scale


@pytest.fixture
def shop(db):
    """SKUs, tiers, tax, shipping and (switched off) promotions in each currency; ids by currency."""
    TaxRateFactory(region="SP", tax_class="standard", rate=D("18"))
    TaxRateFactory(region="SP", tax_class="reduced", rate=D("7.5"))
    TaxRateFactory(region="SP", tax_class="zero", rate=D("0"), name="Zero")
    TaxRateFactory(region="", tax_class="", rate=D("12.25"), name="VAT")
    ChannelTaxSetting.objects.create(channel_code="store", prices_include_tax=True)
    zone = ShippingZoneFactory(regions=["SP", "RJ"])
    shop = {}
    for currency, scale in CURRENCIES.items():
        variants = [VariantFactory(base_price=_money(p, scale), currency=currency, tax_class=tc,
                                   weight_grams=100 * i) for i, (p, tc) in enumerate(zip(PRICES, CLASSES, strict=True))]
        variants.append(VariantFactory(base_price=_money("50", scale), currency=currency, is_gift_card=True,
                                       weight_grams=0))  # GIFT_CARD
        price_list = PriceListFactory(currency=currency, channel_code="")
        for index, rows in TIERS.items():
            for quantity, price in rows:
                PriceListItemFactory(price_list=price_list, variant=variants[index], min_quantity=quantity,
                                     unit_price=_money(price, scale))
        service = CarrierServiceFactory(code=f"std-{currency.lower()}", currency=currency,
                                        free_shipping_threshold=_money("150", scale))
        ShippingRateFactory(service=service, zone=zone, max_weight_grams=3000, price=_money("19.90", scale))
        ShippingRateFactory(service=service, zone=zone, max_weight_grams=100000, price=_money("49.95", scale))
        fast = CarrierServiceFactory(code=f"fast-{currency.lower()}", currency=currency)
        ShippingRateFactory(service=fast, zone=zone, max_weight_grams=100000, price=_money("39.99", scale))
        off = {"is_active": False, "currency": currency}
        promos = [
            PromotionFactory(kind="order_percent", percent=D("12.5"), **off),
            PromotionFactory(kind="order_fixed", percent=None, amount=_money("25", scale), **off),
            PromotionFactory(kind="item_percent", percent=D("33"), **off),
            PromotionFactory(kind="item_fixed", percent=None, amount=_money("7.77", scale), **off),
            PromotionFactory(kind="buy_x_get_y", percent=None, buy_quantity=2, get_quantity=1, **off),
            PromotionFactory(kind="tiered_spend", percent=None, **off,
                             tiers=[{"threshold": str(_money("50", scale)), "percent": "5"},
                                    {"threshold": str(_money("200", scale)), "percent": "20"}]),
            PromotionFactory(kind="free_shipping", percent=None, **off),
            PromotionFactory(kind="order_percent", percent=D("100"), exclusive=True, **off),
            PromotionFactory(kind="item_percent", percent=D("40"), exclusive=True, priority=3, **off),
            PromotionFactory(kind="order_fixed", percent=None, amount=_money("0.02", scale), **off),
            PromotionFactory(kind="order_percent", percent=D("33.3333"), min_subtotal=_money("60", scale), **off),
        ]
        promos[2].variants.set(variants[:4])
        coupon = CouponFactory(code=f"HALF{currency}", usage_limit=None,
                               promotion=PromotionFactory(kind="order_percent", percent=D("50"), currency=currency,
                                                          requires_coupon=True, exclusive=True))
        shop[currency] = {"variants": [v.pk for v in variants], "promos": [p.pk for p in promos],
                          "exclusive": {p.pk for p in promos if p.exclusive} | {coupon.promotion_id},
                          "coupon": coupon.code, "services": [service.code, fast.code]}
    return shop


def _in_minor_units(amount: D, currency: str) -> bool:
    return quantize(amount, currency) == amount


def _money_params(texts) -> list[D]:
    """The amounts named in stored texts (``StoredMoney`` parameters, nested ones too)."""
    found = []

    def walk(params):
        for value in params.values():
            if isinstance(value, dict) and "money" in value:
                found.append(D(value["money"]))
            elif isinstance(value, dict) and "params" in value:
                walk(value["params"])

    for text in texts:
        walk(text.params)
    return found


def _tier_price(rows, quantity):
    usable = [price for qty, price in rows if qty <= quantity]
    return usable[-1] if usable else None


GIFT_CARD = len(PRICES)  # the last SKU of each currency
baskets = st.lists(
    st.tuples(st.integers(0, GIFT_CARD), st.integers(1, 12),
              st.one_of(st.none(), st.none(), st.decimals(min_value=0, max_value=500, places=3)),
              st.sampled_from([D("0"), D("0"), D("4.99")])),
    min_size=1, max_size=5,
)


@FAST
@given(basket=baskets, currency=st.sampled_from(sorted(CURRENCIES)), switched_on=st.sets(st.integers(0, 10)),
       channel=st.sampled_from(["phone", "store"]), region=st.sampled_from(["SP", "RJ", ""]),
       service_index=st.sampled_from([None, 0, 1]), with_coupon=st.booleans(),
       shuffle=st.randoms(use_true_random=False))
def test_pricing_invariants(shop, basket, currency, switched_on, channel, region, service_index, with_coupon,
                            shuffle):
    config = shop[currency]
    scale = CURRENCIES[currency]
    lines = [PriceLineInput(config["variants"][i], q, None if o is None else o * scale, e * scale)
             for i, q, o, e in basket]
    args = {"lines": lines, "channel_code": channel, "customer_id": None, "customer_group": "", "source_code": "",
            "coupons": [config["coupon"]] if with_coupon else [], "ship_to_region": region,
            "shipping_service": None if service_index is None else config["services"][service_index],
            "currency": currency, "when": WHEN,
            "promotion_overrides": {pk: i in switched_on for i, pk in enumerate(config["promos"])}}
    result = price_order(**args)

    # The totals add up as the engine defines them.
    tax_added = D(0) if result.prices_include_tax else result.tax_total
    assert result.total == result.subtotal - result.discount_total + result.shipping_total + tax_added
    assert result.total == sum((line.line_total for line in result.lines), D(0)) + result.shipping_total
    assert result.tax_total == sum((line.tax_amount for line in result.lines), D(0))
    assert result.discount_total == sum((line.discount_amount for line in result.lines), D(0))
    # Order discounts are spread over the lines to the minor unit.
    assert sum((d.amount for d in result.order_discounts), D(0)) == sum(
        (line.order_discount_share for line in result.lines), D(0))
    # Nothing negative, and every amount is in the currency's minor unit.
    assert 0 <= result.discount_total <= result.subtotal
    amounts = [result.subtotal, result.discount_total, result.shipping_total, result.tax_total, result.total]
    amounts += [q.price for q in result.shipping_options] + [q.regular_price for q in result.shipping_options]
    amounts += [d.amount for d in result.applied_discounts()]
    for line in result.lines:
        assert line.net >= 0 and line.tax_amount >= 0 and line.line_total >= 0 and line.order_discount_share >= 0
        assert line.net == line.gross - line.discount_amount
        assert line.gross == line.unit_price * line.quantity
        amounts += [line.unit_price, line.gross, line.net, line.tax_amount, line.line_total, line.order_discount_share,
                    line.list_price, line.tier_price]
    assert all(a >= 0 for a in amounts)
    bad = [a for a in amounts if not _in_minor_units(a, currency)]
    assert not bad, f"amounts not rounded to {exponent(currency)} decimals: {bad}"

    for line, (index, quantity, override, _extra) in zip(result.lines, basket, strict=True):
        # Every discount is explained on its line (item discounts and the share of order discounts).
        named = _money_params(line.explanation)
        for discount in line.discounts:
            assert discount.amount > 0 and discount.amount in named
        if line.order_discount_share:
            assert line.order_discount_share in named
        # A gift card takes no promotion and no tax.
        if line.is_gift_card:
            assert (line.discount_amount, line.tax_amount) == (0, 0)
        # Tax is the line's rate on what the customer pays, inclusive or exclusive.
        rate = line.tax_rate
        if result.prices_include_tax:
            assert line.tax_amount == quantize(line.net * rate / (100 + rate), currency)
            assert line.line_total == line.net
        else:
            assert line.tax_amount == quantize(line.net * rate / 100, currency)
            assert line.line_total == line.net + line.tax_amount
        # The tier price is the row with the largest minimum quantity reached.
        if override is None and index in TIERS:
            rows = [(q, quantize(_money(p, scale), currency)) for q, p in TIERS[index]]
            expected = _tier_price(rows, quantity)
            assert line.tier_price == (expected if expected is not None
                                       else quantize(_money(PRICES[index], scale), currency))

    # An exclusive promotion applies alone.
    applied = {d.promotion_id for d in result.applied_discounts()}
    if applied & config["exclusive"]:
        assert len(applied) == 1, applied

    # Deterministic, and the lines' order does not change the order's amounts.
    assert price_order(**args) == result
    order = list(range(len(lines)))
    shuffle.shuffle(order)
    again = price_order(**{**args, "lines": [lines[i] for i in order]})
    for name in ("subtotal", "discount_total", "shipping_total", "tax_total", "total"):
        assert getattr(again, name) == getattr(result, name), name
    assert sorted(d.amount for d in again.applied_discounts()) == sorted(d.amount for d in result.applied_discounts())


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(currency=st.sampled_from(sorted(CURRENCIES)),
       weights=st.lists(st.sampled_from(["0", "0.001", "0.01", "0.02", "0.99", "33.33", "33.34", "100", "1"]),
                        min_size=1, max_size=6),
       fraction=st.fractions(min_value=0, max_value=1, max_denominator=997))
def test_allocation_adds_up_to_the_minor_unit(currency, weights, fraction):
    weights = [quantize(D(w) * CURRENCIES[currency], currency) for w in weights]
    total = sum(weights, D(0))
    amount = quantize(total * fraction.numerator / fraction.denominator, currency)
    parts = _allocate(amount, weights, currency)
    if total > 0:
        assert sum(parts, D(0)) == amount
    assert all(0 <= part <= weight for part, weight in zip(parts, weights, strict=True))
    assert all(_in_minor_units(part, currency) for part in parts)


@FAST
@given(start=st.sampled_from([None, -120, -1, 0, 1]), end=st.sampled_from([None, -1, 0, 1, 120]),
       limit=st.sampled_from([None, 1, 3]), used=st.integers(0, 3), channel=st.sampled_from(["phone", "store"]))
def test_promotion_applies_only_within_its_dates_and_uses(shop, start, end, limit, used, channel):
    """A live promotion (no what-if override) applies exactly when ``starts_at <= when < ends_at`` and uses remain."""
    if limit is not None:
        used = min(used, limit)
    starts_at = None if start is None else WHEN + timedelta(minutes=start)
    ends_at = None if end is None else WHEN + timedelta(minutes=end)
    if starts_at and ends_at and ends_at <= starts_at:
        ends_at = starts_at + timedelta(minutes=1)
    promo = Promotion.objects.get(pk=shop["BRL"]["promos"][0])
    Promotion.objects.filter(pk=promo.pk).update(is_active=True, starts_at=starts_at, ends_at=ends_at,
                                                 usage_limit=limit, times_used=used)
    result = price_order(lines=[PriceLineInput(shop["BRL"]["variants"][4], 1)], channel_code=channel,
                         customer_id=None, customer_group="", source_code="", coupons=[], ship_to_region="SP",
                         shipping_service=None, currency="BRL", when=WHEN)
    within = (starts_at is None or starts_at <= WHEN) and (ends_at is None or ends_at > WHEN)
    uses_left = limit is None or used < limit
    assert ({d.promotion_id for d in result.order_discounts} == {promo.pk}) == (within and uses_left)


@FAST
@given(basket=baskets, region=st.sampled_from(["SP", "RJ"]))
def test_inclusive_and_exclusive_prices_agree_with_the_rate(shop, basket, region):
    """The same goods priced tax-exclusive and then at the tax-inclusive price carry the same tax, to a cent per
    line (each side rounds once)."""
    config = shop["BRL"]
    lines = [PriceLineInput(config["variants"][i], q, None if o is None else o) for i, q, o, _e in basket]
    common = {"customer_id": None, "customer_group": "", "source_code": "", "coupons": [], "ship_to_region": region,
              "shipping_service": None, "currency": "BRL", "when": WHEN,
              "promotion_overrides": dict.fromkeys(config["promos"], False)}
    exclusive = price_order(lines=lines, channel_code="phone", **common)
    inclusive_lines = [PriceLineInput(line.variant_id, line.quantity, line.line_total / line.quantity)
                       for line in exclusive.lines]
    inclusive = price_order(lines=inclusive_lines, channel_code="store", **common)
    for ex, inc in zip(exclusive.lines, inclusive.lines, strict=True):
        assert inc.tax_rate == ex.tax_rate
        unit_rounding = D("0.01") * inc.quantity  # the inclusive unit price was rounded to the cent
        assert abs(inc.tax_amount - ex.tax_amount) <= D("0.01") + unit_rounding * inc.tax_rate / 100
        assert abs((inc.line_total - inc.tax_amount) - ex.net) <= D("0.01") + unit_rounding


@FAST
@given(price_index=st.sampled_from([0, 1, 2, 3, 5, 7]), classes=st.permutations(["standard", "reduced", "zero"]),
       cents=st.integers(1, 299), currency=st.sampled_from(sorted(CURRENCIES)))
def test_equal_lines_of_other_tax_classes_split_an_order_discount_whatever_their_order(shop, price_index, classes,
                                                                                         cents, currency):
    """Lines of the same value in three tax classes (18 %, 7.5 %, 0 %): which of them take the odd minor units of an
    order discount, and so the tax and the total, do not depend on the order the lines come in."""
    config = shop[currency]
    by_class = {}
    for index, tax_class in enumerate(CLASSES):
        if tax_class in classes and tax_class not in by_class:
            by_class[tax_class] = index
    price_of = quantize(_money(PRICES[price_index], CURRENCIES[currency]), currency)
    lines = [PriceLineInput(config["variants"][by_class[c]], 1, price_of) for c in classes]
    unit = D(1).scaleb(-exponent(currency))
    Promotion.objects.filter(pk=config["promos"][1]).update(amount=cents * unit)
    common = {"channel_code": "phone", "customer_id": None, "customer_group": "", "source_code": "", "coupons": [],
              "ship_to_region": "SP", "shipping_service": None, "currency": currency, "when": WHEN,
              "promotion_overrides": {pk: i == 1 for i, pk in enumerate(config["promos"])}}
    one = price_order(lines=lines, **common)
    other = price_order(lines=lines[::-1], **common)
    assert (one.discount_total, one.tax_total, one.total) == (other.discount_total, other.tax_total, other.total)

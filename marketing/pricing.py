"""The pricing engine: one pure, deterministic function that prices an order for every channel.

``price_order`` reads price lists, tax rates, shipping rates, source codes, promotions and coupons and
returns every step with its reason; it never writes. Usage limits are only *checked* here; they are
enforced when the order is placed by ``marketing.services.promotion_redeem``.

Order of the steps (see docs/decisions.md, "marketing: pricing"):
1. unit price = manual override, else the tier price of the best price list, else the SKU's base price;
   plus any personalisation extra;
2. item promotions (percent/amount off items, buy X get Y) in priority order, on what is left of each line;
3. order promotions (percent/amount off, tiered spend) on the merchandise left, spread over the lines
   in proportion (largest remainder, so the cents add up) because tax is computed per line;
4. shipping: rate by service, zone and weight; free above the service's threshold or by a promotion;
5. tax per line on what the customer pays for it (inclusive or exclusive per channel).
A gift card sold as a product (``Variant.is_gift_card``) is priced at the value the agent chose (the
line's override, else the SKU's base price), takes no promotion, does not count towards thresholds or
shipping weight, and is not taxed: tax is due when the card is spent on goods.
Exclusive promotions apply alone; the engine keeps whichever is better for the customer: the
combinable promotions together or the best exclusive one.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from marketing.errors import NoPrice, PricingError
from marketing.lookups import PricingLookups
from oms.i18n import StoredMoney, StoredText, stored_join, stored_text
from oms.money import ZERO, exponent, quantize

HUNDRED = Decimal(100)


def _pct(value: Decimal) -> str:
    """``Decimal("20.0000")`` -> ``"20"``, ``Decimal("7.5")`` -> ``"7.5"``."""
    return format(Decimal(value).normalize(), "f")


# ----------------------------------------------------------------------------- inputs and results


@dataclass(frozen=True)
class PriceLineInput:
    variant_id: int
    quantity: int
    override_unit_price: Decimal | None = None
    extra_unit_price: Decimal = ZERO


@dataclass(frozen=True)
class AppliedDiscount:
    promotion_id: int
    name: str
    amount: Decimal
    reason: StoredText  # str(reason): in the active language; stored with ``oms.i18n.to_json``
    coupon_code: str = ""


@dataclass
class PricedLine:
    variant_id: int
    quantity: int
    list_price: Decimal
    price_list_price: Decimal
    tier_price: Decimal
    unit_price: Decimal
    discounts: list[AppliedDiscount]
    tax_rate: Decimal  # percent
    tax_amount: Decimal
    line_total: Decimal  # what the customer pays for the line (tax included)
    explanation: list[StoredText]  # each ``str()`` in the active language; stored with ``oms.i18n.to_json``
    sku: str = ""
    price_list_code: str = ""
    extra_unit_price: Decimal = ZERO
    overridden: bool = False
    gross: Decimal = ZERO  # unit_price * quantity
    order_discount_share: Decimal = ZERO  # this line's part of the order-level discounts
    net: Decimal = ZERO  # gross - discounts - order_discount_share (tax excluded when prices exclude tax)
    tax_class: str = ""
    weight_grams: int = 0
    category_id: int | None = None
    brand_id: int | None = None
    is_gift_card: bool = False

    @property
    def discount_amount(self) -> Decimal:
        return sum((d.amount for d in self.discounts), ZERO) + self.order_discount_share


@dataclass(frozen=True)
class ShippingQuote:
    service_code: str
    name: str
    price: Decimal
    transit_days: int
    regular_price: Decimal = ZERO
    reason: StoredText | str = ""
    promotion_id: int | None = None  # the free-shipping promotion that made it free (None: not a promotion)


@dataclass
class PricedOrder:
    lines: list[PricedLine]
    order_discounts: list[AppliedDiscount]
    subtotal: Decimal
    discount_total: Decimal
    shipping_options: list[ShippingQuote]
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    currency: str
    source_code: str
    campaign_id: int | None
    messages: list[StoredText]
    shipping_discounts: list[AppliedDiscount] = field(default_factory=list)
    shipping_service: str | None = None
    prices_include_tax: bool = False
    channel_code: str = ""
    customer_id: int | None = None
    coupons: list[str] = field(default_factory=list)  # the codes whose promotion gave a discount

    def applied_discounts(self) -> list[AppliedDiscount]:
        """Every applied discount (line, order and shipping), as ``promotion_redeem`` needs them."""
        found = [d for line in self.lines for d in line.discounts]
        return found + list(self.order_discounts) + list(self.shipping_discounts)


# ----------------------------------------------------------------------------- the engine


def price_order(
    *,
    lines: list[PriceLineInput],
    channel_code: str,
    customer_id: int | None,
    customer_group: str,
    source_code: str,
    coupons: list[str],
    ship_to_region: str,
    shipping_service: str | None,
    currency: str,
    when: datetime,
    promotion_overrides: dict[int, bool] | None = None,
    price_list_code: str = "",
    price_list_overrides: dict[int, bool] | None = None,
    order_reference: str = "",
    lookups: PricingLookups | None = None,
) -> PricedOrder:
    """Prices an order; pure (no writes) and deterministic (same inputs and data, same result).

    ``promotion_overrides`` is for the what-if report only: ``{id: True}`` treats a promotion as active
    whatever its status and dates, ``{id: False}`` leaves it out. The price list the channel's settings name
    (``Channel.price_list_code``, read in the price list query) is eligible whatever channel the list names, and
    so is ``price_list_code`` when given; priority still decides between lists.
    ``price_list_overrides`` does for price lists what ``promotion_overrides`` does for promotions.
    ``order_reference`` names a placed order being re-priced (an edit, a line cancelled): the promotion and
    coupon uses it took when placed (``PromotionRedemption``) are its own, so they do not count against it.
    ``lookups`` answers the engine's reads (``marketing.lookups``): by default a fresh ``PricingLookups``, which
    queries each when asked; a run pricing many orders (what-if) shares one ``SharedLookups``, with the same result.
    """
    lookups = lookups or PricingLookups()
    messages: list[StoredText] = []
    for line in lines:
        if line.quantity < 1:
            raise PricingError(_("Quantity must be at least 1."), field="quantity")
        if line.override_unit_price is not None and Decimal(line.override_unit_price) < 0:
            raise PricingError(_("A price cannot be negative."), field="override_unit_price")
        if Decimal(line.extra_unit_price or 0) < 0:
            raise PricingError(_("A price cannot be negative."), field="extra_unit_price")
    local = timezone.localtime(when) if timezone.is_aware(when) else when
    ship_to_region = (ship_to_region or "").strip().upper()

    source, campaign = _resolve_source_code(source_code, channel_code, local, messages, lookups)
    priced = _base_prices(lines, channel_code, customer_group, currency, when, price_list_code,
                          price_list_overrides or {}, lookups)
    context = _Context(
        channel_code=channel_code, customer_id=customer_id, customer_group=customer_group, currency=currency,
        local=local, source=source, campaign=campaign, lines=priced, order_reference=order_reference,
    )
    eligible, coupon_codes = _eligible_promotions(context, coupons, messages, promotion_overrides or {}, lookups)
    shipping = _ShippingTable.load(ship_to_region, currency, sum(p.weight_grams * p.quantity for p in priced),
                                   lookups)

    candidates: list[list] = []
    combinable = [p for p in eligible if not p.exclusive]
    if combinable:
        candidates.append(combinable)
    candidates.extend([p] for p in eligible if p.exclusive)
    candidates.sort(key=lambda group: (-max(p.priority for p in group), min(p.id for p in group)))
    if not candidates:
        candidates = [[]]
    outcomes = [_apply(context, group, coupon_codes, shipping, shipping_service) for group in candidates]
    best = max(enumerate(outcomes), key=lambda item: (item[1].value, -item[0]))[1]
    if len(outcomes) > 1:
        for group, outcome in zip(candidates, outcomes, strict=True):
            if outcome is not best and outcome.value > 0:
                names = ", ".join(p.name for p in group)
                messages.append(stored_text(gettext_noop("Not combined with the promotions applied: %(names)s"),
                                            names=names))

    if shipping_service and shipping.zone is None and ship_to_region:
        messages.append(stored_text(gettext_noop("No shipping zone covers region %(region)s."), region=ship_to_region))
    chosen = next((q for q in best.shipping_options if q.service_code == shipping_service), None)
    if shipping_service and chosen is None and not all(p.is_gift_card for p in priced):
        messages.append(stored_text(
            gettext_noop("Shipping service %(service)s is not available for this destination and weight."),
            service=shipping_service))

    include_tax = lookups.prices_include_tax(channel_code)
    tax_quotes = lookups.tax_rates(region=ship_to_region, tax_classes={p.tax_class for p in priced},
                                   on=local.date()) if priced else {}
    for index, line in enumerate(priced):
        line_discounts = best.line_discounts[index]
        share = best.order_shares[index]
        discount = sum((d.amount for d in line_discounts), ZERO) + share
        net = line.gross - discount
        quote = None if line.is_gift_card else tax_quotes.get(line.tax_class)
        rate = quote.rate if quote else ZERO
        if include_tax:
            tax = quantize(net * rate / (HUNDRED + rate), currency)
            total = net
        else:
            tax = quantize(net * rate / HUNDRED, currency)
            total = net + tax
        line.discounts = list(line_discounts)
        line.order_discount_share = share
        line.net = net
        line.tax_rate = rate
        line.tax_amount = tax
        line.line_total = total
        for applied in line_discounts:
            line.explanation.append(stored_text(gettext_noop("%(name)s: −%(amount)s (%(reason)s)"),
                                                name=applied.name, amount=StoredMoney(applied.amount, currency),
                                                reason=applied.reason))
        if share:
            line.explanation.append(stored_text(gettext_noop("Share of order discounts: −%(amount)s"),
                                                amount=StoredMoney(share, currency)))
        if line.is_gift_card:
            line.explanation.append(stored_text(
                gettext_noop("Gift card: no tax when sold (it is charged on the goods it pays for).")))
        elif quote:
            line.explanation.append(stored_text(
                gettext_noop("Tax %(label)s %(rate)s%% included: %(tax)s") if include_tax else
                gettext_noop("Tax %(label)s %(rate)s%%: %(tax)s"),
                label=quote.label, rate=_pct(rate), tax=StoredMoney(tax, currency)))
        else:
            line.explanation.append(stored_text(
                gettext_noop("No tax rate for class “%(tax_class)s” in region “%(region)s”."),
                tax_class=line.tax_class, region=ship_to_region))

    subtotal = sum((p.gross for p in priced), ZERO)
    discount_total = sum((p.discount_amount for p in priced), ZERO)
    tax_total = sum((p.tax_amount for p in priced), ZERO)
    shipping_total = chosen.price if chosen else ZERO
    total = subtotal - discount_total + shipping_total + (ZERO if include_tax else tax_total)
    shipping_discounts = []
    for promotion in best.free_shipping:
        # Only the promotion the chosen quote names saved its shipping (once; not when the threshold made it free).
        if chosen is not None and chosen.promotion_id == promotion.id:
            shipping_discounts.append(AppliedDiscount(
                promotion.id, promotion.name, chosen.regular_price, stored_text(gettext_noop("Free shipping")),
                coupon_codes.get(promotion.id, "")))
    priced_order = PricedOrder(
        lines=priced,
        order_discounts=best.order_discounts,
        subtotal=subtotal,
        discount_total=discount_total,
        shipping_options=best.shipping_options,
        shipping_total=shipping_total,
        tax_total=tax_total,
        total=total,
        currency=currency,
        source_code=source.code if source else "",
        campaign_id=campaign.id if campaign else None,
        messages=messages + best.messages,
        shipping_discounts=shipping_discounts,
        shipping_service=chosen.service_code if chosen else None,
        prices_include_tax=include_tax,
        channel_code=channel_code,
        customer_id=customer_id,
    )
    # The coupons kept are those whose promotion gave a discount: one whose promotion lost to others (not combined)
    # or did not reach its minimum took no use and does not count as applied.
    applied = {d.coupon_code for d in priced_order.applied_discounts() if d.coupon_code}
    priced_order.coupons = [code for code in coupon_codes.values() if code and code in applied]
    return priced_order


# ----------------------------------------------------------------------------- step 0: who and what


@dataclass
class _Context:
    channel_code: str
    customer_id: int | None
    customer_group: str
    currency: str
    local: datetime
    source: object | None
    campaign: object | None
    lines: list[PricedLine]
    order_reference: str = ""  # a placed order re-priced: its own uses do not count against its limits
    own_uses: dict[int, int | None] = field(default_factory=dict)  # promotion id -> coupon id this order took
    category_chains: dict[int, list[int]] = field(default_factory=dict)  # line index -> category + ancestors
    brands: dict[int, int | None] = field(default_factory=dict)


def normalise_code(code: str) -> str:
    return (code or "").strip().upper()


def _resolve_source_code(code: str, channel_code: str, local: datetime, messages: list[StoredText],
                         lookups: PricingLookups):
    code = normalise_code(code)
    if not code:
        return None, None
    source = lookups.source_code(code)
    if source is None:
        messages.append(stored_text(gettext_noop("Source code %(code)s does not exist."), code=code))
        return None, None
    campaign = source.campaign
    today = local.date()
    if not source.is_active or not campaign.is_active:
        messages.append(stored_text(gettext_noop("Source code %(code)s is not active."), code=code))
        return None, None
    if campaign.starts_on > today or (campaign.ends_on and campaign.ends_on < today):
        messages.append(stored_text(gettext_noop("Source code %(code)s is outside its campaign's dates."), code=code))
        return None, None
    if campaign.channel_code and campaign.channel_code != channel_code:
        messages.append(stored_text(gettext_noop("Source code %(code)s is not valid on this channel."), code=code))
        return None, None
    return source, campaign


def _base_prices(lines, channel_code, customer_group, currency, when, price_list_code, overrides,
                 lookups: PricingLookups) -> list[PricedLine]:
    variant_ids = sorted({line.variant_id for line in lines})
    variants = lookups.variants(variant_ids)
    missing = [vid for vid in variant_ids if vid not in variants]
    if missing:
        raise PricingError(_("Unknown SKU id(s): %(ids)s") % {"ids": ", ".join(map(str, missing))}, field="lines")
    lists = lookups.price_lists(
        currency=currency, channel_code=channel_code, customer_group=customer_group, when=when,
        price_list_code=price_list_code, overrides=overrides or {},
    ) if variant_ids else []
    lists.sort(key=lambda pl: (-pl["priority"], -(bool(pl["channel_code"]) + bool(pl["customer_group"])), pl["code"]))
    items: dict[tuple[int, int], list[tuple[int, Decimal]]] = defaultdict(list)
    if lists:
        for row in lookups.price_list_items([pl["id"] for pl in lists], variant_ids):
            items[(row[0], row[1])].append((row[2], row[3]))

    priced = []
    for line in lines:
        variant = variants[line.variant_id]
        explanation: list[StoredText] = []
        base_in_currency = variant["currency"] == currency
        list_price = quantize(variant["base_price"], currency) if base_in_currency else None
        price_list_price = tier_price = list_price
        list_code = ""
        for pl in lists:
            tiers = sorted(items.get((pl["id"], line.variant_id), []))
            usable = [t for t in tiers if t[0] <= line.quantity]
            if not usable:
                continue
            list_code = pl["code"]
            first = tiers[0]
            price_list_price = quantize(first[1], currency) if first[0] == 1 else list_price
            tier_qty, tier_value = usable[-1]
            tier_price = quantize(tier_value, currency)
            if price_list_price is not None:
                explanation.append(stored_text(gettext_noop("Price list %(name)s: %(price)s"), name=pl["name"],
                                               price=StoredMoney(price_list_price, currency)))
            else:
                explanation.append(stored_text(gettext_noop("Price list %(name)s"), name=pl["name"]))
            if tier_qty > 1:
                explanation.append(stored_text(gettext_noop("Quantity tier from %(qty)s units: %(price)s"),
                                               qty=tier_qty, price=StoredMoney(tier_price, currency)))
            break
        else:
            if list_price is not None:
                explanation.append(stored_text(gettext_noop("Base price of the SKU: %(price)s"),
                                               price=StoredMoney(list_price, currency)))
        gift_card = variant["is_gift_card"]
        if gift_card and (line.override_unit_price is not None or list_price is not None):
            # The value the agent chose is the price (and the list price: it is not a discount).
            unit = list_price = quantize(line.override_unit_price if line.override_unit_price is not None
                                         else variant["base_price"], currency)
            price_list_price = tier_price = unit
            explanation = [stored_text(gettext_noop("Gift card value: %(price)s"), price=StoredMoney(unit, currency))]
        elif line.override_unit_price is not None:
            unit = quantize(line.override_unit_price, currency)
            explanation.append(stored_text(gettext_noop("Manual price override: %(price)s"),
                                           price=StoredMoney(unit, currency)))
        elif tier_price is None:
            message = _("No price for SKU %(sku)s in %(currency)s.") % {"sku": variant["sku"], "currency": currency}
            raise NoPrice(message, field="lines")
        else:
            unit = tier_price
        extra = quantize(line.extra_unit_price or ZERO, currency)
        if extra:
            unit += extra
            explanation.append(stored_text(gettext_noop("Personalisation: +%(price)s per unit"),
                                           price=StoredMoney(extra, currency)))
        if not variant["is_active"]:
            explanation.append(stored_text(gettext_noop("This SKU is no longer active.")))
        priced.append(PricedLine(
            variant_id=line.variant_id, quantity=line.quantity,
            list_price=list_price if list_price is not None else unit,
            price_list_price=price_list_price if price_list_price is not None else unit,
            tier_price=tier_price if tier_price is not None else unit,
            unit_price=unit, discounts=[], tax_rate=ZERO, tax_amount=ZERO, line_total=ZERO,
            explanation=explanation, sku=variant["sku"], price_list_code=list_code, extra_unit_price=extra,
            overridden=line.override_unit_price is not None, gross=unit * line.quantity,
            tax_class=variant["tax_class"] or "", weight_grams=0 if gift_card else variant["weight_grams"] or 0,
            category_id=variant["product__category_id"], brand_id=variant["product__brand_id"],
            is_gift_card=gift_card,
        ))
    return priced


# ----------------------------------------------------------------------------- step 1: eligible promotions


@dataclass
class _Promo:
    """A promotion as the engine needs it: plain values, no further queries."""

    id: int
    name: str
    kind: str
    currency: str
    percent: Decimal | None
    amount: Decimal | None
    buy_quantity: int | None
    get_quantity: int | None
    tiers: list
    min_subtotal: Decimal | None
    variant_ids: set[int]
    category_ids: set[int]
    brand_ids: set[int]
    shipping_services: list[str]
    priority: int
    exclusive: bool


def _time_window_ok(promotion, local: datetime) -> bool:
    if promotion.weekdays and local.isoweekday() not in promotion.weekdays:
        return False
    now = local.time()
    if promotion.daily_start and promotion.daily_end:
        if promotion.daily_start <= promotion.daily_end:
            return promotion.daily_start <= now < promotion.daily_end
        return now >= promotion.daily_start or now < promotion.daily_end  # window over midnight
    if promotion.daily_start:
        return now >= promotion.daily_start
    if promotion.daily_end:
        return now < promotion.daily_end
    return True


def _targeting_problem(promotion, context: _Context, segment_ids: set[int],
                       used_by_customer: dict[int, int]) -> StoredText | None:
    """Why the promotion does not apply to this order (None if it does)."""
    if promotion.channel_codes and context.channel_code not in promotion.channel_codes:
        return stored_text(gettext_noop("not valid on this channel"))
    if promotion.customer_groups and context.customer_group not in promotion.customer_groups:
        return stored_text(gettext_noop("not valid for this customer group"))
    if promotion.segment_id and promotion.segment_id not in segment_ids:
        return stored_text(gettext_noop("only for customers of segment %(segment)s"), segment=promotion.segment.name)
    source_ids = promotion.targets["source_codes"]
    if promotion.campaign_id or source_ids:
        by_campaign = bool(promotion.campaign_id and context.campaign and context.campaign.id == promotion.campaign_id)
        by_source = bool(context.source and context.source.id in source_ids)
        if not (by_campaign or by_source):
            return stored_text(gettext_noop("needs a source code of its campaign"))
    if not _time_window_ok(promotion, context.local):
        return stored_text(gettext_noop("not valid at this time"))
    counts_money = promotion.kind in ("order_fixed", "item_fixed", "tiered_spend") or promotion.min_subtotal is not None
    if counts_money and promotion.currency != context.currency:
        return stored_text(gettext_noop("not valid in this currency"))
    if promotion.usage_limit is not None and promotion.times_used - (
            promotion.id in context.own_uses) >= promotion.usage_limit:
        return stored_text(gettext_noop("usage limit reached"))
    if promotion.usage_limit_per_customer is not None:
        if context.customer_id is None:
            return stored_text(gettext_noop("needs a known customer"))
        if used_by_customer.get(promotion.id, 0) >= promotion.usage_limit_per_customer:
            return stored_text(gettext_noop("already used by this customer"))
    return None


def _eligible_promotions(context: _Context, coupons: list[str], messages: list[StoredText],
                         overrides: dict[int, bool], lookups: PricingLookups):
    when = context.local
    promotions = lookups.promotions(when=when, overrides=overrides)
    codes = list(dict.fromkeys(normalise_code(c) for c in coupons if normalise_code(c)))
    coupon_rows = lookups.coupons(codes) if codes else {}
    segment_ids: set[int] = set()
    used_by_customer: dict[int, int] = {}
    if context.order_reference:
        context.own_uses = lookups.own_uses(context.order_reference)
    if context.customer_id is not None:
        if any(p.segment_id for p in promotions):
            segment_ids = lookups.segment_ids(context.customer_id)
        limited = [p.id for p in promotions if p.usage_limit_per_customer is not None]
        limited += [c.promotion_id for c in coupon_rows.values() if c.promotion.usage_limit_per_customer is not None]
        if limited:
            used_by_customer = lookups.uses_by_customer(context.customer_id, limited, context.order_reference)
    by_id = {p.id: p for p in promotions}
    coupon_for: dict[int, str] = {}
    for code in codes:
        coupon = coupon_rows.get(code)
        if coupon is None:
            messages.append(stored_text(gettext_noop("Coupon %(code)s does not exist."), code=code))
            continue
        promotion = coupon.promotion
        if not coupon.is_active or not promotion.is_active:
            messages.append(stored_text(gettext_noop("Coupon %(code)s is not active."), code=code))
        elif coupon.usage_limit is not None and coupon.times_used - (
                context.own_uses.get(promotion.id) == coupon.id) >= coupon.usage_limit:
            messages.append(stored_text(gettext_noop("Coupon %(code)s has already been used."), code=code))
        elif promotion.ends_at and promotion.ends_at <= when:
            messages.append(stored_text(gettext_noop("Coupon %(code)s expired."), code=code))
        elif promotion.starts_at and promotion.starts_at > when:
            messages.append(stored_text(gettext_noop("Coupon %(code)s is not valid yet."), code=code))
        elif promotion.id not in by_id:  # switched off for a what-if re-pricing
            messages.append(stored_text(gettext_noop("Coupon %(code)s is not active."), code=code))
        elif promotion.id in coupon_for:
            messages.append(stored_text(gettext_noop("Coupon %(code)s: only one coupon per promotion."), code=code))
        elif problem := _targeting_problem(by_id[promotion.id], context, segment_ids, used_by_customer):
            messages.append(stored_text(gettext_noop("Coupon %(code)s does not apply: %(reason)s."), code=code,
                                        reason=problem))
        else:
            coupon_for[promotion.id] = code

    needs_categories = any(p.targets["categories"] for p in promotions)
    if needs_categories:
        _load_category_chains(context, lookups)
    eligible = []
    for promotion in promotions:
        if promotion.requires_coupon and promotion.id not in coupon_for:
            continue
        if not promotion.requires_coupon and _targeting_problem(promotion, context, segment_ids, used_by_customer):
            continue
        eligible.append(_Promo(
            id=promotion.id, name=promotion.name, kind=promotion.kind, currency=promotion.currency,
            percent=promotion.percent, amount=promotion.amount, buy_quantity=promotion.buy_quantity,
            get_quantity=promotion.get_quantity, tiers=promotion.tiers or [], min_subtotal=promotion.min_subtotal,
            variant_ids=promotion.targets["variants"],
            category_ids=promotion.targets["categories"],
            brand_ids=promotion.targets["brands"],
            shipping_services=list(promotion.shipping_services or []),
            priority=promotion.priority, exclusive=promotion.exclusive,
        ))
    for index, line in enumerate(context.lines):
        context.brands[index] = line.brand_id
    return eligible, coupon_for


def _load_category_chains(context: _Context, lookups: PricingLookups) -> None:
    parents = lookups.category_parents()
    for index, line in enumerate(context.lines):
        chain, current, seen = [], line.category_id, set()
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            current = parents.get(current)
        context.category_chains[index] = chain


def _matches(promo: _Promo, context: _Context, index: int) -> bool:
    if not (promo.variant_ids or promo.category_ids or promo.brand_ids):
        return True
    line = context.lines[index]
    return (
        line.variant_id in promo.variant_ids
        or bool(promo.category_ids.intersection(context.category_chains.get(index, [])))
        or (context.brands.get(index) in promo.brand_ids)
    )


# ----------------------------------------------------------------------------- step 2-4: apply a set


@dataclass
class _Outcome:
    line_discounts: list[list[AppliedDiscount]]
    order_shares: list[Decimal]
    order_discounts: list[AppliedDiscount]
    free_shipping: list[_Promo]
    shipping_options: list[ShippingQuote]
    value: Decimal
    messages: list[StoredText]


def _allocate(amount: Decimal, weights: list[Decimal], currency: str, keys: list | None = None) -> list[Decimal]:
    """Splits ``amount`` over ``weights`` in proportion, in whole minor units that add up exactly.

    Equal remainders take the units left in the order of ``keys`` (the lines' SKUs), so the split does not depend
    on the order the lines come in (lines of another tax class would be taxed on another amount)."""
    unit = Decimal(1).scaleb(-exponent(currency))
    units = int(amount / unit)
    total = sum(weights, ZERO)
    if total <= 0 or units <= 0:
        return [ZERO for _w in weights]
    exact = [Decimal(units) * w / total for w in weights]
    floors = [int(e) for e in exact]
    left = units - sum(floors)
    keys = keys if keys is not None else list(range(len(weights)))
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), keys[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(f) * unit for f in floors]


def _apply(context: _Context, group: list[_Promo], coupon_codes: dict[int, str], shipping, shipping_service):
    currency = context.currency
    lines = context.lines
    # A gift card starts at nothing to discount: no promotion reaches it and it is not merchandise for
    # minimums, spend tiers or free-shipping thresholds (the one place promotions see the lines).
    net = [ZERO if line.is_gift_card else line.gross for line in lines]
    line_discounts: list[list[AppliedDiscount]] = [[] for _line in lines]
    shares = [ZERO for _line in lines]
    order_discounts: list[AppliedDiscount] = []
    messages: list[StoredText] = []
    free_shipping: list[_Promo] = []

    def discount_line(i: int, promo: _Promo, amount: Decimal, reason: StoredText) -> None:
        amount = min(quantize(amount, currency), net[i])
        if amount > 0:
            line_discounts[i].append(AppliedDiscount(promo.id, promo.name, amount, reason,
                                                     coupon_codes.get(promo.id, "")))
            net[i] -= amount

    def below_minimum(promo: _Promo) -> bool:
        if promo.min_subtotal is not None and sum(net, ZERO) < promo.min_subtotal:
            messages.append(stored_text(gettext_noop("%(name)s needs an order of at least %(amount)s."),
                                        name=promo.name, amount=StoredMoney(promo.min_subtotal, currency)))
            return True
        return False

    item_promos = [p for p in group if p.kind in ("item_percent", "item_fixed", "buy_x_get_y")]
    order_promos = [p for p in group if p.kind in ("order_percent", "order_fixed", "tiered_spend")]
    for promo in item_promos:
        if below_minimum(promo):
            continue
        matching = [i for i in range(len(lines))
                    if not lines[i].overridden and not lines[i].is_gift_card and _matches(promo, context, i)]
        if promo.kind == "item_percent" and promo.percent:
            for i in matching:
                discount_line(i, promo, net[i] * promo.percent / HUNDRED,
                              stored_text(gettext_noop("%(percent)s%% off"), percent=_pct(promo.percent)))
        elif promo.kind == "item_fixed" and promo.amount:
            per_unit = quantize(promo.amount, currency)  # the amount the explanation shows, as unit prices are
            for i in matching:
                discount_line(i, promo, per_unit * lines[i].quantity,
                              stored_text(gettext_noop("%(amount)s off each unit"),
                                          amount=StoredMoney(per_unit, currency)))
        elif promo.kind == "buy_x_get_y" and promo.buy_quantity and promo.get_quantity:
            size = promo.buy_quantity + promo.get_quantity
            units = sorted(
                (net[i] / lines[i].quantity, lines[i].variant_id, i)
                for i in matching for _u in range(lines[i].quantity)
            )
            free = (len(units) // size) * promo.get_quantity
            counts: dict[int, int] = defaultdict(int)
            for _price, _vid, i in units[:free]:
                counts[i] += 1
            percent = promo.percent if promo.percent is not None else HUNDRED
            reason = stored_text(gettext_noop("Buy %(x)s get %(y)s"), x=promo.buy_quantity, y=promo.get_quantity)
            if percent != HUNDRED:
                reason = stored_join(" ", [reason, stored_text(gettext_noop("(%(percent)s%% off)"),
                                                               percent=_pct(percent))])
            for i in sorted(counts):
                discount_line(i, promo, net[i] / lines[i].quantity * counts[i] * percent / HUNDRED, reason)

    for promo in order_promos:
        if below_minimum(promo):
            continue
        merchandise = sum(net, ZERO)
        amount, reason = ZERO, stored_text("")
        if promo.kind == "order_percent" and promo.percent:
            amount = quantize(merchandise * promo.percent / HUNDRED, currency)
            reason = stored_text(gettext_noop("%(percent)s%% off the order"), percent=_pct(promo.percent))
        elif promo.kind == "order_fixed" and promo.amount:
            amount = min(quantize(promo.amount, currency), merchandise)
            reason = stored_text(gettext_noop("%(amount)s off the order"), amount=StoredMoney(promo.amount, currency))
        elif promo.kind == "tiered_spend":
            reached = [t for t in parse_tiers(promo.tiers) if t[0] <= merchandise]
            if reached:
                threshold, percent = reached[-1]
                amount = quantize(merchandise * percent / HUNDRED, currency)
                reason = stored_text(gettext_noop("Spend %(threshold)s, get %(percent)s%% off"),
                                     threshold=StoredMoney(threshold, currency), percent=_pct(percent))
        amount = min(amount, merchandise)
        if amount <= 0:
            continue
        parts = _allocate(amount, net, currency, [line.variant_id for line in lines])
        for i, part in enumerate(parts):
            shares[i] += part
            net[i] -= part
        order_discounts.append(AppliedDiscount(promo.id, promo.name, amount, reason, coupon_codes.get(promo.id, "")))

    for promo in group:
        if promo.kind == "free_shipping" and not below_minimum(promo):
            free_shipping.append(promo)

    merchandise = sum(net, ZERO)
    # Gift cards alone: nothing to ship.
    options = shipping.quotes(merchandise, free_shipping) if not all(x.is_gift_card for x in lines) else []
    value = sum(((line.gross - n) for line, n in zip(lines, net, strict=True) if not line.is_gift_card), ZERO)
    chosen = next((q for q in options if q.service_code == shipping_service), None)
    if chosen is not None:
        value += chosen.regular_price - chosen.price
    return _Outcome(line_discounts, shares, order_discounts, free_shipping, options, value, messages)


def parse_tiers(tiers) -> list[tuple[Decimal, Decimal]]:
    parsed = []
    for tier in tiers or []:
        try:
            threshold, percent = Decimal(str(tier["threshold"])), Decimal(str(tier["percent"]))
        except (KeyError, TypeError, ArithmeticError, ValueError):
            continue
        # A tier saved before tiers were checked (NaN, 1e30 percent) is skipped rather than failing the order.
        if threshold.is_finite() and percent.is_finite() and 0 < percent <= 100:
            parsed.append((threshold, percent))
    return sorted(parsed)


# ----------------------------------------------------------------------------- shipping


@dataclass
class _Rate:
    service_code: str
    name: str
    price: Decimal
    transit_days: int
    free_threshold: Decimal | None
    sort_order: int


@dataclass
class _ShippingTable:
    zone: object | None
    rates: list[_Rate]
    currency: str

    @classmethod
    def load(cls, region: str, currency: str, weight_grams: int, lookups: PricingLookups) -> "_ShippingTable":
        if not region:
            return cls(None, [], currency)
        zone = lookups.shipping_zone(region)
        if zone is None:
            return cls(None, [], currency)
        rates: dict[str, _Rate] = {}
        for row in lookups.shipping_rates(zone, currency, weight_grams):
            service = row.service
            if service.code not in rates:
                rates[service.code] = _Rate(service.code, service.name, quantize(row.price, currency),
                                            row.transit_days, service.free_shipping_threshold, service.sort_order)
        return cls(zone, list(rates.values()), currency)

    def quotes(self, merchandise: Decimal, free_promos: list[_Promo]) -> list[ShippingQuote]:
        quotes = []
        for rate in self.rates:
            price, reason, promotion_id = rate.price, "", None
            promo = next(
                (p for p in free_promos if not p.shipping_services or rate.service_code in p.shipping_services), None)
            # Free above the threshold first: a promotion is not credited (nor its use taken) for what was free anyway.
            if rate.free_threshold is not None and merchandise >= rate.free_threshold:
                price, reason = ZERO, stored_text(gettext_noop("Free above %(amount)s"),
                                                  amount=StoredMoney(rate.free_threshold, self.currency))
            elif promo is not None and rate.price > 0:
                price, reason = ZERO, stored_text(gettext_noop("Free shipping: %(name)s"), name=promo.name)
                promotion_id = promo.id
            quotes.append(ShippingQuote(rate.service_code, rate.name, price, rate.transit_days, rate.price, reason,
                                        promotion_id))
        return sorted(quotes, key=lambda q: (q.price, q.transit_days, q.service_code))

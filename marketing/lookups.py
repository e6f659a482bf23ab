"""What the pricing engine reads: configuration (SKUs, price lists, promotions, coupons, source codes, shipping,
tax) and the customer's and order's own history (segments, redemptions).

``PricingLookups`` reads each when ``price_order`` asks, one query each: what an order placed now needs, and
``price_order``'s default (a fresh one per call). ``SharedLookups`` serves many pricings of one run (what-if
re-prices a month of orders): each table is read once for the whole run (the dated rows valid at some moment of
the run's period) and each pricing picks in Python what was valid at its own moment, by the same rules; what is
per customer or per order (segment memberships, redemptions) is read for every customer and order of the run in
one query and still answered per customer and order. A key the run was not told about is read when asked.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime

from django.db.models import CharField, Count, Q, Value
from django.utils import timezone

from marketing.tax import get_tax_provider

VARIANT_FIELDS = ("id", "sku", "base_price", "currency", "tax_class", "weight_grams", "is_active",
                  "product__category_id", "product__brand_id", "is_gift_card")
PRICE_LIST_FIELDS = ("id", "code", "name", "priority", "channel_code", "customer_group")
TARGETS = {"variants": "variant_id", "categories": "category_id", "brands": "brand_id", "source_codes": "sourcecode_id"}


def _split(overrides: dict[int, bool]) -> tuple[list[int], list[int]]:
    """(ids switched on, ids left out) of a what-if's overrides."""
    return [pk for pk, on in overrides.items() if on], [pk for pk, on in overrides.items() if not on]


def load_targets(promotions: list) -> None:
    """Sets ``promotion.targets``: ``{relation: {ids}}`` for the SKUs, categories, brands and source codes a
    promotion is limited to, read from the four link tables in one query (ids only, no model rows)."""
    from marketing.models import Promotion

    for promotion in promotions:
        promotion.targets = {name: set() for name in TARGETS}
    if not promotions:
        return
    ids = [p.id for p in promotions]
    parts = [
        getattr(Promotion, name).through.objects.filter(promotion_id__in=ids)
        .values_list("promotion_id", column, Value(name, output_field=CharField()))
        for name, column in TARGETS.items()
    ]
    by_id = {p.id: p for p in promotions}
    for promotion_id, target_id, name in parts[0].union(*parts[1:], all=True):
        by_id[promotion_id].targets[name].add(target_id)


class PricingLookups:
    """One pricing's reads, each a query when asked (see the module's docstring)."""

    def variants(self, ids: Iterable[int]) -> dict[int, dict]:
        from inventory.models import Variant

        return {v["id"]: v for v in Variant.objects.filter(pk__in=list(ids)).values(*VARIANT_FIELDS)}

    def source_code(self, code: str):
        """The source code (with its campaign) or None."""
        from marketing.models import SourceCode

        return SourceCode.objects.select_related("campaign").filter(code=code).first()

    def price_lists(self, *, currency: str, channel_code: str, customer_group: str, when: datetime,
                    price_list_code: str, overrides: dict[int, bool]) -> list[dict]:
        """The price lists eligible for the order (``PRICE_LIST_FIELDS``, in no particular order): the channel's own
        lists, lists for any channel, ``price_list_code`` and the list the channel's settings name; for the
        customer's group or any group; active and valid at ``when``, or switched on by ``overrides``."""
        from marketing.channels import channel_price_list
        from marketing.models import PriceList

        channel_match = Q(channel_code=channel_code) | Q(channel_code="")
        if price_list_code:
            channel_match |= Q(code=price_list_code)
        if (chosen := channel_price_list(channel_code)) is not None:
            channel_match |= Q(code=chosen)  # the list the channel's settings name, whatever channel the list names
        current = (Q(is_active=True) & (Q(valid_from__isnull=True) | Q(valid_from__lte=when))
                   & (Q(valid_until__isnull=True) | Q(valid_until__gt=when)))
        forced, left_out = _split(overrides)
        return list(
            PriceList.objects.filter(currency=currency)
            .filter(channel_match)
            .filter(Q(customer_group=customer_group) | Q(customer_group=""))
            .filter(current | Q(pk__in=forced))
            .exclude(pk__in=left_out)
            .values(*PRICE_LIST_FIELDS)
        )

    def price_list_items(self, list_ids: list[int], variant_ids: list[int]) -> list[tuple]:
        """``(price_list_id, variant_id, min_quantity, unit_price)`` of those lists for those SKUs."""
        from marketing.models import PriceListItem

        return list(PriceListItem.objects.filter(price_list__in=list_ids, variant_id__in=variant_ids).values_list(
            "price_list_id", "variant_id", "min_quantity", "unit_price"))

    def prices_include_tax(self, channel_code: str) -> bool:
        from marketing.models import ChannelTaxSetting

        return bool(ChannelTaxSetting.objects.filter(channel_code=channel_code, prices_include_tax=True).exists())

    def promotions(self, *, when: datetime, overrides: dict[int, bool]) -> list:
        """Promotions active at ``when`` or switched on by ``overrides`` (not those it leaves out), highest priority
        first, with ``segment`` and ``targets`` (``load_targets``)."""
        from marketing.models import Promotion

        current = (Q(is_active=True) & (Q(starts_at__isnull=True) | Q(starts_at__lte=when))
                   & (Q(ends_at__isnull=True) | Q(ends_at__gt=when)))
        forced, left_out = _split(overrides)
        promotions = list(
            Promotion.objects.filter(current | Q(pk__in=forced)).exclude(pk__in=left_out)
            .select_related("segment")
            .order_by("-priority", "id")
        )
        load_targets(promotions)
        return promotions

    def coupons(self, codes: list[str]) -> dict:
        """The coupons of these codes (with their promotion) by code; a code no coupon has is not in it."""
        from marketing.models import Coupon

        if not codes:
            return {}
        return {c.code: c for c in Coupon.objects.filter(code__in=codes).select_related("promotion")}

    def own_uses(self, order_reference: str) -> dict[int, int | None]:
        """Promotion id -> coupon id (or None) of the uses the order of this reference took when placed."""
        from marketing.models import PromotionRedemption

        return dict(PromotionRedemption.objects.filter(order_reference=order_reference)
                    .values_list("promotion_id", "coupon_id"))

    def segment_ids(self, customer_id: int) -> set[int]:
        from marketing.models import SegmentMember

        return set(SegmentMember.objects.filter(customer_id=customer_id).values_list("segment_id", flat=True))

    def uses_by_customer(self, customer_id: int, promotion_ids: list[int], order_reference: str) -> dict[int, int]:
        """Promotion id -> uses by the customer of these promotions, not counting those of ``order_reference``."""
        from marketing.models import PromotionRedemption

        return dict(
            PromotionRedemption.objects.filter(customer_id=customer_id, promotion_id__in=promotion_ids)
            .exclude(order_reference=order_reference)
            .values("promotion_id").annotate(n=Count("id")).values_list("promotion_id", "n")
        )

    def category_parents(self) -> dict[int, int | None]:
        from inventory.models import Category

        return dict(Category.objects.values_list("id", "parent_id"))

    def shipping_zone(self, region: str):
        """The first zone (by code) listing ``region``, or None."""
        from marketing.models import ShippingZone

        return ShippingZone.objects.filter(regions__contains=[region]).order_by("code").first()

    def shipping_rates(self, zone, currency: str, weight_grams: int) -> list:
        """The zone's rates (with ``service``) of active services in ``currency`` for parcels up to at least
        ``weight_grams``, by service code and weight."""
        from marketing.models import ShippingRate

        return list(ShippingRate.objects.filter(zone=zone, service__is_active=True, service__currency=currency,
                                                max_weight_grams__gte=weight_grams)
                    .select_related("service").order_by("service__code", "max_weight_grams"))

    def tax_rates(self, *, region: str, tax_classes: set[str], on: date) -> dict:
        return get_tax_provider().rates(region=region, tax_classes=tax_classes, on=on)


def _aware(moment: datetime) -> datetime:
    """A naive moment as the database reads it (in the default time zone)."""
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class SharedLookups(PricingLookups):
    """The reads of many pricings dated within ``[since, until]`` (see the module's docstring).

    ``variant_ids``, ``source_codes``, ``coupon_codes``, ``customer_ids``, ``order_references`` and
    ``promotion_ids`` (promotions a what-if switches on) name what the run's orders will ask for, so that each is
    read in one query. A pricing dated outside the period is answered by ``PricingLookups``.
    """

    def __init__(self, *, since: datetime, until: datetime, variant_ids: Iterable[int] = (),
                 source_codes: Iterable[str] = (), coupon_codes: Iterable[str] = (),
                 customer_ids: Iterable[int | None] = (), order_references: Iterable[str] = (),
                 promotion_ids: Iterable[int] = ()):
        self.since, self.until = _aware(since), _aware(until)
        self.first_day, self.last_day = timezone.localdate(self.since), timezone.localdate(self.until)
        self._wanted = {
            "variants": set(variant_ids), "items": set(variant_ids), "source_codes": set(source_codes),
            "coupons": set(coupon_codes), "own_uses": {r for r in order_references if r},
            "segments": {c for c in customer_ids if c is not None},
            "redemptions": {c for c in customer_ids if c is not None},
        }
        self._memo: dict[str, dict] = defaultdict(dict)
        self._promotion_ids = set(promotion_ids)
        self._promotions: dict[int, object] | None = None
        self._once: dict[str, object] = {}
        self._tax_provider = None
        self._tax: dict[tuple, dict] = {}

    # -- helpers

    def _covers(self, when: datetime) -> bool:
        return self.since <= _aware(when) <= self.until

    def _keyed(self, name: str, keys: Iterable, load: Callable[[set], dict], missing: Callable[[], object]) -> dict:
        """``{key: value}`` from the memo ``name``; keys not read yet are read in one query together with every
        key the run named for ``name`` and has not read; a key ``load`` does not find gets ``missing()``."""
        memo = self._memo[name]
        keys = list(keys)
        unread = {k for k in keys if k not in memo}
        if unread:
            unread |= self._wanted[name] - memo.keys()
            found = load(unread)
            for key in unread:
                memo[key] = found[key] if key in found else missing()
        return {k: memo[k] for k in keys}

    def _one(self, name: str, load: Callable[[], object]):
        """A whole table's answer, read the first time it is asked."""
        if name not in self._once:
            self._once[name] = load()
        return self._once[name]

    # -- configuration

    def variants(self, ids: Iterable[int]) -> dict[int, dict]:
        found = self._keyed("variants", ids, super().variants, lambda: None)
        return {vid: row for vid, row in found.items() if row is not None}

    def source_code(self, code: str):
        from marketing.models import SourceCode

        def load(codes):
            return {s.code: s for s in SourceCode.objects.select_related("campaign").filter(code__in=codes)}

        return self._keyed("source_codes", [code], load, lambda: None)[code]

    def price_lists(self, *, currency: str, channel_code: str, customer_group: str, when: datetime,
                    price_list_code: str, overrides: dict[int, bool]) -> list[dict]:
        from marketing.channels import channel_price_lists
        from marketing.models import PriceList

        if not self._covers(when):
            return super().price_lists(currency=currency, channel_code=channel_code, customer_group=customer_group,
                                       when=when, price_list_code=price_list_code, overrides=overrides)
        when = _aware(when)
        rows = self._one("price_lists", lambda: list(PriceList.objects.values(
            *PRICE_LIST_FIELDS, "currency", "is_active", "valid_from", "valid_until")))
        chosen = self._one("channel_price_lists", channel_price_lists).get(channel_code)
        forced, left_out = _split(overrides)
        eligible = []
        for row in rows:
            channel_ok = (row["channel_code"] in (channel_code, "")
                          or (price_list_code and row["code"] == price_list_code)
                          or (chosen is not None and row["code"] == chosen))
            current = (row["is_active"] and (row["valid_from"] is None or row["valid_from"] <= when)
                       and (row["valid_until"] is None or row["valid_until"] > when))
            if (row["currency"] == currency and channel_ok and row["customer_group"] in (customer_group, "")
                    and (current or row["id"] in forced) and row["id"] not in left_out):
                eligible.append({name: row[name] for name in PRICE_LIST_FIELDS})
        return eligible

    def price_list_items(self, list_ids: list[int], variant_ids: list[int]) -> list[tuple]:
        from marketing.models import PriceListItem

        def load(vids):
            by_variant = defaultdict(list)
            for row in PriceListItem.objects.filter(variant_id__in=vids).values_list(
                    "price_list_id", "variant_id", "min_quantity", "unit_price"):
                by_variant[row[1]].append(row)
            return by_variant

        lists = set(list_ids)
        found = self._keyed("items", variant_ids, load, list)
        return [row for rows in found.values() for row in rows if row[0] in lists]

    def prices_include_tax(self, channel_code: str) -> bool:
        from marketing.models import ChannelTaxSetting

        return channel_code in self._one("prices_include_tax", lambda: set(
            ChannelTaxSetting.objects.filter(prices_include_tax=True).values_list("channel_code", flat=True)))

    def promotions(self, *, when: datetime, overrides: dict[int, bool]) -> list:
        from marketing.models import Promotion

        if not self._covers(when):
            return super().promotions(when=when, overrides=overrides)
        when = _aware(when)
        forced, left_out = _split(overrides)
        if self._promotions is None:  # valid at some moment of the period, or to be switched on
            during = (Q(is_active=True) & (Q(starts_at__isnull=True) | Q(starts_at__lte=self.until))
                      & (Q(ends_at__isnull=True) | Q(ends_at__gt=self.since)))
            self._promotions = {}
            self._add_promotions(Promotion.objects.filter(during | Q(pk__in=self._promotion_ids | set(forced))))
        elif unread := set(forced) - self._promotions.keys():
            self._add_promotions(Promotion.objects.filter(pk__in=unread))
        chosen = [
            p for p in self._promotions.values()
            if p.id not in left_out and (p.id in forced or (
                p.is_active and (p.starts_at is None or p.starts_at <= when)
                and (p.ends_at is None or p.ends_at > when)))
        ]
        return sorted(chosen, key=lambda p: (-p.priority, p.id))

    def _add_promotions(self, queryset) -> None:
        promotions = list(queryset.select_related("segment"))
        load_targets(promotions)
        self._promotions.update((p.id, p) for p in promotions)

    def coupons(self, codes: list[str]) -> dict:
        found = self._keyed("coupons", codes, super().coupons, lambda: None)
        return {code: coupon for code, coupon in found.items() if coupon is not None}

    def category_parents(self) -> dict[int, int | None]:
        return self._one("category_parents", super().category_parents)

    def shipping_zone(self, region: str):
        from marketing.models import ShippingZone

        zones = self._one("zones", lambda: list(ShippingZone.objects.order_by("code")))
        return next((zone for zone in zones if region in zone.regions), None)

    def shipping_rates(self, zone, currency: str, weight_grams: int) -> list:
        from marketing.models import ShippingRate

        def load():
            by_zone = defaultdict(list)
            for rate in (ShippingRate.objects.filter(service__is_active=True).select_related("service")
                         .order_by("service__code", "max_weight_grams")):
                by_zone[rate.zone_id].append(rate)
            return by_zone

        rates = self._one("rates", load).get(zone.pk, [])
        return [r for r in rates if r.service.currency == currency and r.max_weight_grams >= weight_grams]

    def tax_rates(self, *, region: str, tax_classes: set[str], on: date) -> dict:
        if self._tax_provider is None:
            provider = get_tax_provider()
            for_period = getattr(provider, "for_period", None)
            self._tax_provider = for_period(self.first_day, self.last_day) if for_period else provider
        if not self.first_day <= on <= self.last_day:
            return super().tax_rates(region=region, tax_classes=tax_classes, on=on)
        key = (region, frozenset(tax_classes), on)
        if key not in self._tax:
            self._tax[key] = self._tax_provider.rates(region=region, tax_classes=tax_classes, on=on)
        return self._tax[key]

    # -- the customer's and the order's own

    def own_uses(self, order_reference: str) -> dict[int, int | None]:
        from marketing.models import PromotionRedemption

        def load(references):
            uses = defaultdict(dict)
            for reference, promotion_id, coupon_id in PromotionRedemption.objects.filter(
                    order_reference__in=references).values_list("order_reference", "promotion_id", "coupon_id"):
                uses[reference][promotion_id] = coupon_id
            return uses

        return dict(self._keyed("own_uses", [order_reference], load, dict)[order_reference])

    def segment_ids(self, customer_id: int) -> set[int]:
        from marketing.models import SegmentMember

        def load(customers):
            members = defaultdict(set)
            for customer, segment in SegmentMember.objects.filter(customer_id__in=customers).values_list(
                    "customer_id", "segment_id"):
                members[customer].add(segment)
            return members

        return set(self._keyed("segments", [customer_id], load, set)[customer_id])

    def uses_by_customer(self, customer_id: int, promotion_ids: list[int], order_reference: str) -> dict[int, int]:
        from marketing.models import PromotionRedemption

        def load(customers):  # the uses of promotions limited per customer: the only ones asked about
            uses = defaultdict(list)
            for customer, promotion_id, reference in PromotionRedemption.objects.filter(
                    customer_id__in=customers, promotion__usage_limit_per_customer__isnull=False).values_list(
                    "customer_id", "promotion_id", "order_reference"):
                uses[customer].append((promotion_id, reference))
            return uses

        wanted = set(promotion_ids)
        counts: dict[int, int] = defaultdict(int)
        for promotion_id, reference in self._keyed("redemptions", [customer_id], load, list)[customer_id]:
            if promotion_id in wanted and reference != order_reference:
                counts[promotion_id] += 1
        return dict(counts)

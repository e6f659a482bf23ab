"""The only code that changes marketing data. Keyword-only, ``acting_user`` always passed, audited."""

import itertools
import logging
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from marketing.channels import (
    channel_codes,
    channels_mapping_service,
    channels_using_price_list,
    customer_group_codes,
)
from marketing.errors import (
    ChangedMeanwhile,
    ImportRejected,
    InvalidConfiguration,
    MarketingError,
    PromotionUnavailable,
)
from marketing.models import (
    Campaign,
    CarrierService,
    ChannelTaxSetting,
    Coupon,
    CouponBatch,
    PriceList,
    PriceListItem,
    Promotion,
    PromotionRedemption,
    Segment,
    SegmentExport,
    SegmentMember,
    ShippingRate,
    SourceCode,
    TaxRate,
)
from marketing.pricing import PricedOrder, normalise_code
from oms.audit import audit_record, diff, fingerprint, snapshot
from oms.models import AuditEntry
from oms.money import quantize
from oms.numbers import NumberError, parse_amount
from oms.once import created_by_request
from oms.templatetags.oms_tags import money

logger = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- redemption (an order's promotion uses)


@dataclass
class Reconciled:
    """What ``promotion_reconcile`` did to an order's redemptions."""

    created: list[PromotionRedemption]
    changed: list[PromotionRedemption]  # the amount (or the coupon) is now what the pricing applies
    released: list[PromotionRedemption]  # deleted: their uses were given back


def _applied(priced: PricedOrder | None) -> dict[int, tuple[Decimal, str]]:
    """``{promotion id: (amount, coupon code)}`` of every discount the priced order applies."""
    applied: dict[int, tuple[Decimal, str]] = {}
    for discount in priced.applied_discounts() if priced is not None else []:
        amount, code = applied.get(discount.promotion_id, (Decimal(0), ""))
        applied[discount.promotion_id] = (amount + discount.amount, code or discount.coupon_code)
    return applied


def promotion_reconcile(*, priced: PricedOrder | None, order_reference: str, customer_id: int | None, acting_user,
                        when: datetime | None = None, audited: bool = True) -> Reconciled:
    """Makes the order's redemptions what its pricing applies: the one place an order's promotion and coupon uses
    are taken, changed or given back. Placing (``promotion_redeem``), an edit or a line cancelled (the order
    re-priced) and cancelling the whole order (``priced`` None: nothing applies) all come here.

    A promotion newly applied takes a use, one no longer applied gives its use back (and its coupon's), and one
    still applied keeps its use with the amount the pricing now gives. Each counter moves with a conditional
    ``UPDATE ... WHERE times_used < usage_limit`` whose row count is checked, so 50 orders racing for a single-use
    coupon give exactly one success; the others raise ``PromotionUnavailable`` and the caller's transaction rolls
    back. The row lock that UPDATE takes also serialises the per-customer check that follows it. Counters are
    taken in promotion id order. ``when``: the time the order was priced at (its ``placed_at`` when re-priced),
    which a promotion's end must be after, as pricing checked it; now by default. Calling it again with the same
    pricing changes nothing.
    """
    applied = _applied(priced)
    with transaction.atomic(savepoint=False):
        rows = {row.promotion_id: row for row in PromotionRedemption.objects.select_for_update(of=("self",))
                .select_related("coupon").filter(order_reference=order_reference).order_by("pk")}
        done = Reconciled([], [], [])
        for promotion_id in sorted(set(rows) | set(applied)):
            row = rows.get(promotion_id)
            if promotion_id not in applied:
                _give_back(row, promotion=True)
                if audited:
                    audit_record(actor=acting_user, action=AuditEntry.Action.DELETE, obj=row,
                                 verb="redemption_release", changes={"amount": _money(row)})
                row.delete()
                done.released.append(row)
                continue
            amount, coupon_code = applied[promotion_id]
            if row is None:
                promotion = _use_promotion(promotion_id, customer_id, when)
                coupon = _use_coupon(coupon_code, promotion) if coupon_code else None
                row = PromotionRedemption.objects.create(
                    promotion=promotion, coupon=coupon, order_reference=order_reference, customer_id=customer_id,
                    amount=amount, currency=priced.currency, source_code=priced.source_code,
                    campaign_id=priced.campaign_id,
                )
                if audited:
                    audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=row, verb="redemption_add",
                                 changes={"amount": _money(row), "coupon": coupon_code})
                done.created.append(row)
                continue
            before = {"amount": _money(row), "coupon": row.coupon.code if row.coupon else ""}
            if before["coupon"] != coupon_code:  # the order's coupon for this promotion changed
                _give_back(row, promotion=False)
                row.coupon = _use_coupon(coupon_code, row.promotion) if coupon_code else None
            if row.amount != amount or before["coupon"] != coupon_code:
                row.amount = amount
                row.save(update_fields=["amount", "coupon"])
                if audited:
                    audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=row,
                                 verb="redemption_change", changes=diff(before, {"amount": _money(row),
                                                                                 "coupon": coupon_code}))
                done.changed.append(row)
        return done


def promotion_redeem(*, priced: PricedOrder, order_reference: str, customer_id: int | None, acting_user) -> list[
        PromotionRedemption]:
    """Counts the uses of every promotion and coupon the priced order applied, inside the placing transaction
    (``promotion_reconcile`` of an order that has none yet); returns the redemptions it created."""
    if not priced.applied_discounts():
        return []  # nothing to count, and no query: placing is the path every order takes
    return promotion_reconcile(priced=priced, order_reference=order_reference, customer_id=customer_id,
                               acting_user=acting_user, audited=False).created


def promotion_release(*, order_reference: str, acting_user) -> int:
    """Gives back the uses an order took (order cancelled before shipping); returns how many were released."""
    released = promotion_reconcile(priced=None, order_reference=order_reference, customer_id=None,
                                   acting_user=acting_user).released
    return len(released)


def _use_promotion(promotion_id: int, customer_id: int | None, when: datetime | None = None) -> Promotion:
    when = when or timezone.now()
    used = Promotion.objects.filter(
        Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")),
        Q(ends_at__isnull=True) | Q(ends_at__gt=when),
        pk=promotion_id, is_active=True,
    ).update(times_used=F("times_used") + 1)
    promotion = Promotion.objects.filter(pk=promotion_id).first()
    if not used:
        name = promotion.name if promotion else str(promotion_id)
        raise PromotionUnavailable(_("Promotion %(name)s is no longer available.") % {"name": name})
    if promotion.usage_limit_per_customer is not None:
        if customer_id is None:
            raise PromotionUnavailable(_("Promotion %(name)s needs a known customer.") % {"name": promotion.name})
        count = PromotionRedemption.objects.filter(promotion_id=promotion_id, customer_id=customer_id).count()
        if count >= promotion.usage_limit_per_customer:
            raise PromotionUnavailable(
                _("Promotion %(name)s was already used by this customer.") % {"name": promotion.name})
    return promotion


def _use_coupon(code: str, promotion: Promotion) -> Coupon:
    used = Coupon.objects.filter(
        Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")),
        code=code, promotion=promotion, is_active=True,
    ).update(times_used=F("times_used") + 1)
    if not used:
        raise PromotionUnavailable(_("Coupon %(code)s has already been used.") % {"code": code}, field="coupons")
    return Coupon.objects.get(code=code)


def _money(row: PromotionRedemption) -> str:
    return str(quantize(row.amount, row.currency))


def _give_back(row: PromotionRedemption, *, promotion: bool) -> None:
    """Gives back the coupon use a redemption holds, and its promotion use when ``promotion``."""
    if promotion:
        Promotion.objects.filter(pk=row.promotion_id, times_used__gt=0).update(times_used=F("times_used") - 1)
    if row.coupon_id:
        Coupon.objects.filter(pk=row.coupon_id, times_used__gt=0).update(times_used=F("times_used") - 1)


# ----------------------------------------------------------------------------- configuration (admin screens)

AUDITED_FIELDS_EXCLUDE = {"id", "created_at", "times_used", "member_count", "refreshed_at"}


def _fields(obj) -> list[str]:
    return [f.name for f in obj._meta.concrete_fields if f.name not in AUDITED_FIELDS_EXCLUDE]


def _known_codes(values: list[str], known: set[str], unknown: str, listed: str) -> list[str]:
    """``values`` as the codes in ``known`` (one typed in another case, PHONE, becomes the code, phone); a
    ``ValueError`` naming the first code not in ``known`` otherwise."""
    by_case: dict[str, list[str]] = {}
    for code in known:
        by_case.setdefault(code.casefold(), []).append(code)
    codes = []
    for value in (v.strip() for v in values):
        if value and value not in known:
            matches = by_case.get(value.casefold(), [])
            if len(matches) != 1:
                message = unknown % {"code": value}
                raise ValueError(f"{message} {listed % {'codes': ', '.join(sorted(known))}}" if known else message)
            value = matches[0]
        if value and value not in codes:
            codes.append(value)
    return codes


def _spelled_as(values: list[str], known: set[str]) -> list[str]:
    """``values`` spelled as the one code of ``known`` each differs from only in case ("VIP" where customers have
    "vip"); a value matching none is kept as typed (it may be new)."""
    by_case: dict[str, list[str]] = {}
    for code in known:
        by_case.setdefault(code.casefold(), []).append(code)
    spelled = []
    for value in (v.strip() for v in values):
        matches = by_case.get(value.casefold(), [])
        if value not in matches and len(matches) == 1:
            value = matches[0]
        if value and value not in spelled:
            spelled.append(value)
    return spelled


def segment_rules_resolved(rules: list, *, channels: set[str], groups: set[str]) -> list:
    """A segment's rules with their channel and customer group codes as pricing compares them (the evaluator
    compares them as written, as pricing does): a channel in another case becomes the channel's code and one no
    channel has is refused (``ValueError`` naming the rule and the codes there are); a group is spelled as the
    customers' ("VIP" where customers have "vip"), and one no customer has yet is kept."""
    resolved = []
    for number, rule in enumerate(rules, start=1):
        field, value = (rule.get("field"), rule.get("value")) if isinstance(rule, dict) else (None, None)
        if field in ("channel", "group") and isinstance(value, list) and all(isinstance(v, str) for v in value):
            if field == "group":
                value = _spelled_as(value, groups)
            else:
                try:
                    value = _known_codes(value, channels, _("No sales channel has the code “%(code)s”."),
                                         _("The channels are: %(codes)s."))
                except ValueError as error:
                    raise ValueError(_("Rule %(n)s (%(field)s %(op)s): %(problem)s") % {
                        "n": number, "field": field, "op": rule.get("op"), "problem": error}) from None
            rule = {**rule, "value": value}
        resolved.append(rule)
    return resolved


def _resolve_codes(obj) -> None:
    """The channel, customer group, tax class and carrier service codes of a price list, campaign, channel tax
    setting, tax rate, promotion or segment's rules are compared as they are with an order's when pricing it: a
    channel (service) code no channel (service) has would never match, so it is refused, naming the codes there
    are; a group (tax class) is spelled as the customers' (SKUs') is."""
    errors = {}
    channels = channel_codes() if isinstance(obj, PriceList | Campaign | ChannelTaxSetting | Promotion) else None
    if channels is not None:
        field = "channel_codes" if isinstance(obj, Promotion) else "channel_code"
        value = getattr(obj, field)
        try:
            codes = _known_codes(value if isinstance(value, list) else [value], channels,
                                 _("No sales channel has the code “%(code)s”."), _("The channels are: %(codes)s."))
        except ValueError as error:
            errors[field] = str(error)
        else:
            setattr(obj, field, codes if isinstance(value, list) else "".join(codes))
    # Customer groups and tax classes are codes customers and SKUs are given, with no list of their own: one no
    # customer (SKU) has yet may be new, but "VIP" where customers have "vip" is theirs (compared as written, it
    # would match none of them).
    groups_field = {PriceList: "customer_group", Promotion: "customer_groups"}.get(type(obj))
    if groups_field and (value := getattr(obj, groups_field)):
        groups = _spelled_as(value if isinstance(value, list) else [value], customer_group_codes())
        setattr(obj, groups_field, groups if isinstance(value, list) else "".join(groups))
    if isinstance(obj, TaxRate) and obj.tax_class:
        from inventory.models import Variant

        obj.tax_class = "".join(_spelled_as(
            [obj.tax_class], set(Variant.objects.exclude(tax_class="").values_list("tax_class", flat=True).distinct())))
    if isinstance(obj, Segment) and isinstance(obj.rules, list):
        try:
            obj.rules = segment_rules_resolved(obj.rules, channels=channel_codes(), groups=customer_group_codes())
        except ValueError as error:
            errors["rules"] = str(error)
    if isinstance(obj, Promotion) and obj.shipping_services:
        try:
            obj.shipping_services = _known_codes(
                obj.shipping_services, set(CarrierService.objects.values_list("code", flat=True)),
                _("No carrier service has the code “%(code)s”."), _("The services are: %(codes)s."))
        except ValueError as error:
            errors["shipping_services"] = str(error)
    if errors:
        raise ValidationError(errors)


# Days a carrier takes to deliver: more is a typing slip (1000 for 10), which would promise orders years ahead, and
# a few million would push the promised date past the calendar (pricing every order to that zone failing).
MAX_TRANSIT_DAYS = 90


# The years a configured date (a price list's or promotion's window, a campaign's or tax rate's dates) may fall in.
# Outside them it is a slip (0001, 9999 for "forever": leaving the end empty says that), and a time late on
# 9999-12-31 here is in year 10000 in UTC: the database keeps it but cannot give it back, and every page listing
# the row, and pricing, failed.
CONFIGURED_YEARS = (2000, 2999)


def _dates_in_years(obj) -> None:
    errors = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname) if isinstance(field, models.DateField) and field.editable else None
        if value is not None and not CONFIGURED_YEARS[0] <= value.year <= CONFIGURED_YEARS[1]:
            errors[field.name] = _("Give a date in the years %(first)s to %(last)s.") % {
                "first": CONFIGURED_YEARS[0], "last": CONFIGURED_YEARS[1]}
    if errors:
        raise ValidationError(errors)


def _validate_business_rules(obj) -> None:
    """Rules a single row cannot express: overlapping validity, tiers and kinds."""
    _dates_in_years(obj)
    if isinstance(obj, ShippingRate) and obj.transit_days is not None and obj.transit_days > MAX_TRANSIT_DAYS:
        raise ValidationError({"transit_days": _("A carrier delivers within at most %(max)s days.")
                                               % {"max": MAX_TRANSIT_DAYS}})
    if isinstance(obj, TaxRate):
        overlapping = TaxRate.objects.filter(region=obj.region, tax_class=obj.tax_class).exclude(pk=obj.pk)
        overlapping = overlapping.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=obj.valid_from))
        if obj.valid_until:
            overlapping = overlapping.filter(valid_from__lte=obj.valid_until)
        if other := overlapping.first():
            start = date_format(other.valid_from, "SHORT_DATE_FORMAT")  # as the reader writes a date
            raise ValidationError({"valid_from": _("Overlaps the rate “%(name)s” from %(start)s for the same region "
                                                  "and class.") % {"name": other.name, "start": start}})
    if isinstance(obj, CarrierService) and obj.pk:
        was = CarrierService.objects.filter(pk=obj.pk).values_list("code", flat=True).first()
        if was and was != obj.code and (use := _carrier_service_use(was)):
            hint = _("Keep its code, or change them first.")
            raise ValidationError({"code": f"{use} {hint}"})
    if isinstance(obj, PriceList):
        was = PriceList.objects.filter(pk=obj.pk).values_list("code", flat=True).first() if obj.pk else None
        if was and was != obj.code and (channels := channels_using_price_list(was)):
            # Channels name their price list by its code: renamed, they would lose it, saying nothing.
            raise ValidationError({"code": _("The channel(s) %(names)s use this price list by its code %(code)s; "
                                             "choose another list for them first.") % {
                "code": was, "names": ", ".join(channels)}})
        if obj.valid_from and obj.valid_until and obj.valid_until <= obj.valid_from:
            raise ValidationError({"valid_until": _("The end must be after the start.")})
        same = PriceList.objects.filter(currency=obj.currency, channel_code=obj.channel_code, is_active=True,
                                        customer_group=obj.customer_group, priority=obj.priority).exclude(pk=obj.pk)
        if obj.valid_until:
            same = same.filter(Q(valid_from__isnull=True) | Q(valid_from__lt=obj.valid_until))
        if obj.valid_from:
            same = same.filter(Q(valid_until__isnull=True) | Q(valid_until__gt=obj.valid_from))
        if obj.is_active and (other := same.first()):
            raise ValidationError({"priority": _("The active list %(code)s has the same channel, group, currency "
                                                 "and priority for overlapping dates; give one a different "
                                                 "priority.") % {"code": other.code}})
    if isinstance(obj, Promotion):
        validate_promotion(obj)
    if isinstance(obj, PriceListItem):
        validate_tiers(obj.price_list_id, [(obj.variant_id, obj.min_quantity, obj.unit_price)], exclude_pk=obj.pk)


def validate_promotion(promotion: Promotion) -> None:
    kind = promotion.kind
    errors = {}
    if kind in ("order_percent", "item_percent") and not promotion.percent:
        errors["percent"] = _("Give the percent off.")
    if kind in ("order_fixed", "item_fixed") and not promotion.amount:
        errors["amount"] = _("Give the amount off.")
    if kind == "buy_x_get_y" and not (promotion.buy_quantity and promotion.get_quantity):
        errors["buy_quantity"] = _("Give how many to buy and how many are free.")
    if kind == "tiered_spend" or promotion.tiers:
        try:
            tiers = spend_tiers(promotion.tiers)
        except ValueError as error:
            errors["tiers"] = str(error)
        else:
            if any(b[1] < a[1] for a, b in zip(tiers, tiers[1:], strict=False)):
                errors["tiers"] = _("Each tier must have a higher threshold and at least the percent of the one "
                                    "before it.")
            else:
                promotion.tiers = [{"threshold": str(t), "percent": str(p)} for t, p in tiers]
    if promotion.starts_at and promotion.ends_at and promotion.ends_at <= promotion.starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    if any(not isinstance(d, int) or d < 1 or d > 7 for d in promotion.weekdays or []):
        errors["weekdays"] = _("Weekdays go from 1 (Monday) to 7 (Sunday).")
    if promotion.daily_start is not None and promotion.daily_start == promotion.daily_end:
        # The window runs from the start up to (not including) the end: equal times would never apply.
        errors["daily_end"] = _("The daily window ends when it starts, so it would never apply; leave both "
                                "empty for the whole day.")
    if errors:
        raise ValidationError(errors)


MAX_SPEND_TIERS = 20


def spend_tiers(raw) -> list[tuple[Decimal, Decimal]]:
    """The tiers of a tiered-spend promotion as (threshold, percent), sorted; ``ValueError`` naming the first
    problem (the tier, what is wrong and the allowed range) otherwise."""
    example = _('Give the tiers as [{"threshold": "300", "percent": "10"}, ...].')
    if not isinstance(raw, list) or not raw:
        raise ValueError(example)
    if len(raw) > MAX_SPEND_TIERS:
        raise ValueError(_("Give at most %(max)s tiers.") % {"max": MAX_SPEND_TIERS})
    tiers = []
    for number, tier in enumerate(raw, start=1):
        if not isinstance(tier, dict) or set(tier) != {"threshold", "percent"}:
            raise ValueError(_("Tier %(n)s: give exactly threshold and percent.") % {"n": number} + " " + example)
        values = []
        for key, name, low, high in (
                ("threshold", _("Tier %(n)s: the threshold") % {"n": number}, None, None),
                ("percent", _("Tier %(n)s: the percent") % {"n": number}, Decimal(0), Decimal(100))):
            value = tier[key]
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError(_("%(name)s must be a number such as \"10\" or \"12.5\".") % {"name": name})
            try:
                amount = parse_amount(str(value), minimum=None, name=name)
            except NumberError as error:
                raise ValueError(error.message) from None
            if high is None and amount <= 0:
                raise ValueError(_("%(name)s must be more than 0, not %(value)s.") % {"name": name, "value": amount})
            if high is not None and not low < amount <= high:
                raise ValueError(_("%(name)s must be more than %(low)s and at most %(high)s, not %(value)s.") % {
                    "name": name, "low": low, "high": high, "value": amount})
            values.append(amount)
        tiers.append((values[0], values[1]))
    tiers.sort()
    for (t1, _p1), (t2, _p2) in zip(tiers, tiers[1:], strict=False):
        if t1 == t2:
            raise ValueError(_("Two tiers have the threshold %(value)s; give each tier its own.") % {"value": t1})
    return tiers


def validate_tiers(price_list_id: int, rows: Iterable[tuple[int, int, Decimal]], exclude_pk=None) -> None:
    """A higher quantity tier may not cost more per unit than a lower one (merged with existing rows)."""
    rows = list(rows)
    variant_ids = {r[0] for r in rows}
    existing = PriceListItem.objects.filter(price_list_id=price_list_id, variant_id__in=variant_ids)
    if exclude_pk:
        existing = existing.exclude(pk=exclude_pk)
    merged: dict[tuple[int, int], Decimal] = {(v, q): p for v, q, p in existing.values_list(
        "variant_id", "min_quantity", "unit_price")}
    for variant_id, quantity, price in rows:
        merged[(variant_id, quantity)] = Decimal(price)
    if conflicts := tier_conflicts(merged):
        _variant_id, q1, p1, q2, p2 = conflicts[0]
        currency = PriceList.objects.filter(pk=price_list_id).values_list("currency", flat=True).first()
        raise ValidationError({"unit_price": ngettext(
            "The price from %(q2)s units (%(p2)s) is above the price from %(q1)s unit (%(p1)s).",
            "The price from %(q2)s units (%(p2)s) is above the price from %(q1)s units (%(p1)s).", q1) % {
            "q1": q1, "p1": money(p1, currency), "q2": q2, "p2": money(p2, currency)}})


def tier_conflicts(prices: dict[tuple[int, int], Decimal]) -> list[tuple[int, int, Decimal, int, Decimal]]:
    """Every (variant, lower quantity, its price, next quantity, its higher price) where a larger quantity tier
    costs more per unit than the tier below it; ``prices`` maps (variant id, from quantity) to the unit price."""
    by_variant: dict[int, list[tuple[int, Decimal]]] = {}
    for (variant_id, quantity), price in prices.items():
        by_variant.setdefault(variant_id, []).append((quantity, price))
    found = []
    for variant_id in sorted(by_variant):
        tiers = sorted(by_variant[variant_id])
        found += [(variant_id, q1, p1, q2, p2) for (q1, p1), (q2, p2) in zip(tiers, tiers[1:], strict=False)
                  if p2 > p1]
    return found


def marketing_object_version(obj, fields: Iterable[str]) -> str:
    """A fingerprint of the stored row's ``fields`` (those its form edits) and its many-to-many sets: the form
    carries it, and ``marketing_object_save`` refuses a save from a form opened before someone else saved the row."""
    names = set(fields)
    state = snapshot(obj, [f.name for f in obj._meta.concrete_fields if f.name in names])
    for field in obj._meta.many_to_many:
        state[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return fingerprint(state)


def marketing_object_save(*, obj, acting_user, m2m: dict | None = None, reason: str = "", seen: str = "",
                          seen_fields: Iterable[str] = ()):
    """Validates and saves one configuration row (price list, tax rate, campaign...), with an audit entry.
    ``seen``: the row's ``marketing_object_version`` over ``seen_fields`` when its form was opened; the save is
    refused if the row has changed since (two administrators editing it: the second would silently put back what
    the first changed), or has been deleted (the save would have made it again)."""
    with transaction.atomic(durable=True):
        before = {}
        if obj.pk:
            current = type(obj).objects.select_for_update().filter(pk=obj.pk).first()
            if current is None:
                raise ChangedMeanwhile(_("Someone deleted this record after you opened it; nothing was saved."))
            if seen and marketing_object_version(current, seen_fields) != seen:
                raise ChangedMeanwhile(_("Someone changed this record after you opened it; nothing was saved. It "
                                         "is shown as it is now: make your change again."))
            before = snapshot(current, _fields(current))
        _resolve_codes(obj)
        obj.full_clean()
        _validate_business_rules(obj)
        creating = obj.pk is None
        try:
            obj.save()
        except IntegrityError as exc:
            raise InvalidConfiguration(_("This conflicts with an existing record: %(detail)s") % {"detail": exc})
        for name, values in (m2m or {}).items():
            getattr(obj, name).set(values)
        audit_record(
            actor=acting_user, action=AuditEntry.Action.CREATE if creating else AuditEntry.Action.UPDATE, obj=obj,
            changes=diff(before, snapshot(obj, _fields(obj))), reason=reason,
        )
        return obj


def _carrier_service_use(code: str) -> str:
    """What names the carrier service ``code`` (promotions, channels' shipping mappings), as a sentence; empty if
    nothing does. Deleted or given another code, a channel's orders would be mapped to a service with no rates, and
    a free-shipping promotion would name one that no longer exists."""
    promotions = list(Promotion.objects.filter(shipping_services__contains=[code]).order_by("name")
                      .values_list("name", flat=True)[:5])
    if promotions:
        return _("The carrier service %(code)s is named by the promotion(s) %(names)s.") % {
            "code": code, "names": ", ".join(promotions)}
    if channels := channels_mapping_service(code):
        return _("The shipping methods of the channel(s) %(names)s are mapped to the carrier service %(code)s.") % {
            "code": code, "names": ", ".join(channels)}
    return ""


def marketing_object_delete(*, obj, acting_user) -> None:
    with transaction.atomic(durable=True):
        # A promotion's source codes are a condition it sets; deleted, the last one would leave a promotion with no
        # condition on the order's source, which then applies to every order.
        if isinstance(obj, SourceCode) and (names := list(
                obj.promotions.order_by("name").values_list("name", flat=True)[:5])):
            raise InvalidConfiguration(_("The source code %(code)s is a condition of the promotion(s) %(names)s; "
                                         "take it off them first.") % {"code": obj.code,
                                                                       "names": ", ".join(names)})
        if isinstance(obj, CarrierService) and (use := _carrier_service_use(obj.code)):
            hint = _("Untick “active” to stop offering it instead.")
            raise InvalidConfiguration(f"{use} {hint}")
        if isinstance(obj, PriceList) and (channels := channels_using_price_list(obj.code)):
            # Deleted, the channel would price its orders from other lists or base prices, saying nothing.
            raise InvalidConfiguration(_("The price list %(code)s is the price list of the channel(s) %(names)s; "
                                         "choose another one for them first.") % {
                "code": obj.code, "names": ", ".join(channels)})
        audit_record(actor=acting_user, action=AuditEntry.Action.DELETE, obj=obj,
                     changes=snapshot(obj, _fields(obj)))
        try:
            obj.delete()
        except Exception as exc:  # ProtectedError/IntegrityError: still in use
            raise InvalidConfiguration(_("%(obj)s is still in use and cannot be deleted.") % {"obj": obj}) from exc


def promotion_set_active(*, promotion_id: int, active: bool, acting_user) -> Promotion:
    with transaction.atomic(durable=True):
        promotion = Promotion.objects.select_for_update().get(pk=promotion_id)
        if promotion.is_active != active:
            validate_promotion(promotion)
            Promotion.objects.filter(pk=promotion_id).update(is_active=active)
            audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=promotion,
                         verb="activate" if active else "deactivate",
                         changes={"is_active": [promotion.is_active, active]})
            promotion.is_active = active
        return promotion


# ----------------------------------------------------------------------------- coupons

COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def coupon_create(*, promotion_id: int, code: str, usage_limit: int | None, acting_user) -> Coupon:
    code = normalise_code(code)
    if not code or len(code) > 40 or not all(ch.isalnum() or ch in "-_" for ch in code):
        raise InvalidConfiguration(_("A coupon code has 1 to 40 letters, digits, - or _."), field="code")
    with transaction.atomic(durable=True):
        promotion = Promotion.objects.get(pk=promotion_id)
        try:
            with transaction.atomic():
                coupon = Coupon.objects.create(code=code, promotion=promotion, usage_limit=usage_limit)
        except IntegrityError:
            raise InvalidConfiguration(_("Coupon %(code)s already exists.") % {"code": code}, field="code")
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=coupon)
        return coupon


def coupon_set_active(*, promotion_id: int, code: str, active: bool, acting_user) -> Coupon:
    """Stops one coupon of the promotion (a code passed around where it should not be) or lets it work again; the
    promotion and its other coupons go on."""
    code = normalise_code(code)
    with transaction.atomic(durable=True):
        coupon = Coupon.objects.select_for_update().filter(promotion_id=promotion_id, code=code).first()
        if coupon is None:
            raise InvalidConfiguration(_("This promotion has no coupon %(code)s.") % {"code": code or "—"},
                                       field="code")
        if coupon.is_active != active:
            Coupon.objects.filter(pk=coupon.pk).update(is_active=active)
            audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=coupon,
                         verb="coupon_activate" if active else "coupon_deactivate",
                         changes={"is_active": [coupon.is_active, active]})
            coupon.is_active = active
        return coupon


def coupon_batch_generate(*, promotion_id: int, quantity: int, prefix: str, acting_user, length: int = 8,
                          request_key: str | None = None) -> CouponBatch:
    """Creates ``quantity`` unique single-use codes ``PREFIX-XXXXXXXX`` (random, unguessable). ``request_key``
    names the form copy: the same copy sent twice (a double click) returns the batch the first one made."""
    prefix = normalise_code(prefix)
    if not 1 <= quantity <= 50000:
        raise InvalidConfiguration(_("Generate between 1 and 50,000 coupons at a time."), field="quantity")
    if prefix and (len(prefix) > 12 or not prefix.isalnum()):
        raise InvalidConfiguration(_("The prefix has up to 12 letters and digits."), field="prefix")
    with transaction.atomic(durable=True):
        if (sent_before := created_by_request(CouponBatch, request_key)) is not None:
            return sent_before
        promotion = Promotion.objects.get(pk=promotion_id)
        batch = CouponBatch.objects.create(promotion=promotion, prefix=prefix, quantity=quantity,
                                           created_by=acting_user if getattr(acting_user, "pk", None) else None,
                                           request_key=request_key or None)
        made = 0
        while made < quantity:
            wanted = quantity - made
            codes = {_random_code(prefix, length) for _i in range(wanted)}
            existing = set(Coupon.objects.filter(code__in=codes).values_list("code", flat=True))
            fresh = sorted(codes - existing)
            Coupon.objects.bulk_create(
                [Coupon(code=c, promotion=promotion, batch=batch, usage_limit=1) for c in fresh],
                ignore_conflicts=True,
            )
            made = Coupon.objects.filter(batch=batch).count()
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=batch, verb="generate coupons",
                     changes={"quantity": quantity, "prefix": prefix})
        return batch


def _random_code(prefix: str, length: int) -> str:
    body = "".join(secrets.choice(COUPON_ALPHABET) for _i in range(length))
    return f"{prefix}-{body}" if prefix else body


# ----------------------------------------------------------------------------- promote overstock


def promotion_create_for_skus(*, variant_ids: list[int], percent: Decimal, name: str, starts_at: datetime | None,
                              ends_at: datetime | None, activate: bool, acting_user) -> Promotion:
    """"Promote overstock": a percent-off promotion on the selected SKUs."""
    from inventory.models import Variant

    variant_ids = sorted(set(variant_ids))
    if not variant_ids:
        raise InvalidConfiguration(_("Select at least one SKU."), field="variant_ids")
    found = set(Variant.objects.filter(pk__in=variant_ids).values_list("pk", flat=True))
    if missing := [v for v in variant_ids if v not in found]:
        raise InvalidConfiguration(_("Unknown SKU id(s): %(ids)s") % {"ids": ", ".join(map(str, missing))})
    promotion = Promotion(name=name, kind=Promotion.Kind.ITEM_PERCENT, percent=percent, starts_at=starts_at,
                          ends_at=ends_at, is_active=activate,
                          description=_("Overstock promotion for %(n)s SKU(s)") % {"n": len(variant_ids)})
    return marketing_object_save(obj=promotion, acting_user=acting_user, m2m={"variants": variant_ids},
                                 reason="promote overstock")


# ----------------------------------------------------------------------------- price list import


@dataclass
class ImportReport:
    new: int
    updated: int
    unchanged: int
    deleted: int
    problems: list[tuple[int, str]]  # (row number, message)
    rows: list[dict]  # preview of the rows after import: sku, min_quantity, unit_price, action

    @property
    def ok(self) -> bool:
        return not self.problems


REQUIRED_COLUMNS = {"sku", "unit_price"}


def _run_import(price_list: PriceList, dataset, replace: bool) -> ImportReport:
    from marketing.resources import PriceListItemResource, file_line

    headers = {str(h).strip().lower() for h in (dataset.headers or [])}
    if missing := sorted(REQUIRED_COLUMNS - headers):
        return ImportReport(0, 0, 0, 0, [(0, _("Missing column(s): %(cols)s") % {"cols": ", ".join(missing)})], [])
    dataset.headers = [str(h).strip().lower() for h in dataset.headers]
    deleted = 0
    if replace:
        deleted, _detail = PriceListItem.objects.filter(price_list=price_list).delete()
    resource = PriceListItemResource(price_list)
    result = resource.import_data(dataset, dry_run=False, raise_errors=False, use_transactions=False)
    problems: list[tuple[int, str]] = []
    for number, errors in result.row_errors():
        problems.extend((file_line(number), str(e.error)) for e in errors)
    for invalid in result.invalid_rows:
        for name, texts in invalid.field_specific_errors.items():
            problems.extend((file_line(invalid.number), f"{name}: {text}") for text in texts)
        problems.extend((file_line(invalid.number), str(text)) for text in invalid.non_field_specific_errors)
    if not problems:  # the tiers as the list would hold them, each conflict named by SKU and by its file row
        rows = PriceListItem.objects.filter(price_list=price_list).values_list("variant_id", "variant__sku",
                                                                              "min_quantity", "unit_price")
        skus = {variant_id: sku for variant_id, sku, _q, _p in rows}
        for variant_id, q1, p1, q2, p2 in tier_conflicts({(v, q): p for v, _sku, q, p in rows}):
            sku = skus[variant_id]
            number = resource.row_numbers.get((sku, q2)) or resource.row_numbers.get((sku, q1)) or 0
            problems.append((number, ngettext(
                "SKU %(sku)s: the price from %(q2)s units (%(p2)s) is above the price from %(q1)s unit (%(p1)s).",
                "SKU %(sku)s: the price from %(q2)s units (%(p2)s) is above the price from %(q1)s units (%(p1)s).",
                q1) % {
                "sku": sku, "q1": q1, "p1": money(p1, price_list.currency), "q2": q2,
                "p2": money(p2, price_list.currency)}))
    actions = []
    for number, row in enumerate(result.rows, start=1):
        if row.import_type in ("new", "update", "skip"):
            values = dataset[number - 1]
            actions.append({"number": file_line(number), "action": row.import_type,
                            **dict(zip(dataset.headers, values, strict=False))})
    totals = result.totals
    return ImportReport(totals.get("new", 0), totals.get("update", 0), totals.get("skip", 0), deleted,
                        sorted(problems, key=lambda p: p[0]), actions[:500])


def pricelist_import_preview(*, price_list_id: int, dataset, replace: bool) -> ImportReport:
    """What importing would do, row by row, without keeping anything."""
    with transaction.atomic():
        price_list = PriceList.objects.get(pk=price_list_id)
        report = _run_import(price_list, dataset, replace)
        transaction.set_rollback(True)
    return report


def pricelist_import(*, price_list_id: int, dataset, replace: bool, acting_user) -> ImportReport:
    """Imports price list items, all or nothing: any bad row and nothing is changed."""
    with transaction.atomic(durable=True):
        price_list = PriceList.objects.select_for_update().get(pk=price_list_id)
        report = _run_import(price_list, dataset, replace)
        if not report.ok:
            transaction.set_rollback(True)
            raise ImportRejected(_("The file has %(n)s problem(s); nothing was imported.") % {
                "n": len(report.problems)}, report=report)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=price_list, verb="import items",
                     changes={"new": report.new, "updated": report.updated, "deleted": report.deleted,
                              "replace": replace})
        return report


# ----------------------------------------------------------------------------- segments

NO_EVALUATOR = gettext_noop("Segments can be evaluated once the orders app provides customer history.")
EVALUATION_FAILED = gettext_noop("Segment %(name)s could not be evaluated with its rules; check them and save them "
                                 "again.")
# What a rule the database cannot take raises from the evaluator: too large a number or date, a value of the
# wrong type. Rules saved now are checked first; these are for older rows and are never shown raw.
EVALUATION_ERRORS = (DatabaseError, ArithmeticError, OverflowError, ValueError, TypeError, KeyError, RecursionError)


def _evaluator():
    from marketing.segments import segment_evaluator

    evaluator = segment_evaluator()
    if evaluator is None:
        raise InvalidConfiguration(_(NO_EVALUATOR))
    return evaluator


def segment_count(*, segment: Segment) -> int:
    """How many customers the segment's rules select now; ``InvalidConfiguration`` with a message otherwise."""
    from marketing.segments import evaluable_rules

    evaluator = _evaluator()
    rules = evaluable_rules(segment)
    try:
        with transaction.atomic():  # a failed query must not spoil an enclosing transaction
            return evaluator.count(rules=rules)
    except EVALUATION_ERRORS as exc:
        logger.warning("Segment %s could not be counted: %r", segment.pk, exc)
        raise InvalidConfiguration(_(EVALUATION_FAILED) % {"name": segment.name}) from exc


def segment_customers(*, segment: Segment) -> Iterator:
    """The segment's customers, the first ones already read: a rule the database refuses fails here, before a
    caller starts writing a file, rather than leaving a file with only its header."""
    from marketing.segments import evaluable_rules

    evaluator = _evaluator()
    rules = evaluable_rules(segment)
    customers = iter(evaluator.customers(rules=rules))
    try:
        first = next(customers, None)
    except EVALUATION_ERRORS as exc:
        logger.warning("Segment %s could not be evaluated: %r", segment.pk, exc)
        raise InvalidConfiguration(_(EVALUATION_FAILED) % {"name": segment.name}) from exc
    return customers if first is None else itertools.chain([first], customers)


def segment_refresh_request(*, segment_id: int, acting_user) -> None:
    """Queues the background refresh of a segment's members (the evaluation reads order history)."""
    from marketing.segments import evaluable_rules
    from oms.outbox import outbox_enqueue

    _evaluator()
    with transaction.atomic(durable=True):
        segment = Segment.objects.get(pk=segment_id)
        evaluable_rules(segment)  # rules that cannot be evaluated are refused now, not retried in the background
        outbox_enqueue(topic="marketing.segment_refresh", payload={"segment_id": segment.pk})
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=segment, verb="refresh requested")


def segment_refresh(*, segment_id: int) -> int:
    """Replaces the materialised members of a segment with what the evaluator finds; returns the count.

    ``InvalidConfiguration`` when the segment's rules cannot be evaluated (the members are left as they were)."""
    segment = Segment.objects.get(pk=segment_id)
    ids = sorted({c.customer_id for c in _segment_customers_all(segment)})
    with transaction.atomic():
        Segment.objects.select_for_update().filter(pk=segment_id).first()
        SegmentMember.objects.filter(segment_id=segment_id).exclude(customer_id__in=ids).delete()
        SegmentMember.objects.bulk_create([SegmentMember(segment_id=segment_id, customer_id=i) for i in ids],
                                          ignore_conflicts=True, batch_size=5000)
        Segment.objects.filter(pk=segment_id).update(member_count=len(ids), refreshed_at=timezone.now())
    return len(ids)


def _segment_customers_all(segment: Segment) -> list:
    """Every customer of the segment, read in full (a failure half-way is an error, never a shorter list)."""
    try:
        return list(segment_customers(segment=segment))
    except EVALUATION_ERRORS as exc:
        logger.warning("Segment %s could not be evaluated: %r", segment.pk, exc)
        raise InvalidConfiguration(_(EVALUATION_FAILED) % {"name": segment.name}) from exc


# ----------------------------------------------------------------------------- segment exports (background)


def segment_export_request(*, segment_id: int, acting_user) -> SegmentExport:
    """Queues a CSV extract of the segment's customers; the file is written by a background job."""
    from marketing.segments import evaluable_rules
    from oms.outbox import outbox_enqueue

    _evaluator()
    with transaction.atomic(durable=True):
        segment = Segment.objects.get(pk=segment_id)
        evaluable_rules(segment)
        export = SegmentExport.objects.create(segment=segment, created_by=acting_user if getattr(
            acting_user, "pk", None) else None)
        outbox_enqueue(topic="marketing.segment_export", payload={"export_id": export.pk})
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=export, verb="export requested")
        return export


def segment_export_transition(export_id: int, *, to: str, only_from: tuple[str, ...], **fields) -> bool:
    """The one place a segment export changes status; returns whether it did."""
    return SegmentExport.objects.filter(pk=export_id, status__in=only_from).update(status=to, **fields) == 1


def segment_export_run(*, export_id: int) -> str:
    """Writes the CSV (idempotent: a finished export is left alone); returns the final status.

    A failure is recorded on the row as a message for the person who asked, never as the database's own text."""
    import csv
    import io

    from django.core.files.base import ContentFile

    from marketing.segments import export_rows

    S = SegmentExport.Status
    if not segment_export_transition(export_id, to=S.RUNNING, only_from=(S.PENDING, S.RUNNING, S.FAILED)):
        return SegmentExport.objects.get(pk=export_id).status
    export = SegmentExport.objects.select_related("segment").get(pk=export_id)
    with export.in_language():  # its messages as the person who asked reads them
        try:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            count = -1
            for row in export_rows(_segment_customers_all(export.segment)):
                writer.writerow(row)
                count += 1
            name = f"segment-{export.segment.code}-{export.pk}.csv"
            export.file.save(name, ContentFile(buffer.getvalue().encode("utf-8")), save=False)
        except Exception as exc:  # noqa: BLE001 - recorded on the row for the user to see
            if isinstance(exc, MarketingError):
                error = exc.message
            else:
                logger.exception("Segment extract %s failed", export_id)
                error = _("The extract could not be written; try again later or ask an administrator.")
            segment_export_transition(export_id, to=S.FAILED, only_from=(S.RUNNING,), error=error[:2000],
                                      finished_at=timezone.now())
            return S.FAILED
    segment_export_transition(export_id, to=S.DONE, only_from=(S.RUNNING,), file=export.file.name, row_count=count,
                              error="", finished_at=timezone.now())
    return S.DONE

from decimal import Decimal as D

import pytest
from django.db import transaction

from marketing.errors import PromotionUnavailable
from marketing.models import Coupon, Promotion, PromotionRedemption
from marketing.pricing import PriceLineInput
from marketing.services import promotion_reconcile, promotion_redeem, promotion_release
from oms.models import AuditEntry
from tests.marketing.conftest import WHEN
from tests.marketing.factories import CouponFactory, PromotionFactory, SourceCodeFactory, VariantFactory
from tests.threads import run_together


def _verdicts(outcomes: list) -> list[str]:
    """Sorted: "ok" for a redemption, "refused" for PromotionUnavailable, the repr of any other error."""
    return sorted("refused" if isinstance(o, PromotionUnavailable) else repr(o) if isinstance(o, Exception) else "ok"
                  for o in outcomes)


def place(priced, reference, customer_id=None):
    with transaction.atomic(durable=True):
        return promotion_redeem(priced=priced, order_reference=reference, customer_id=customer_id, acting_user=None)


@pytest.mark.django_db
def test_redeem_counts_promotion_and_coupon_once_per_order(price):
    v = VariantFactory(base_price=D("100"))
    source = SourceCodeFactory(code="TV1")
    coupon = CouponFactory(code="ONCE", promotion=PromotionFactory(requires_coupon=True, percent=D("10")))
    priced = price(lines=[PriceLineInput(v.pk, 1)], coupons=["ONCE"], source_code="TV1", customer_id=5)
    rows = place(priced, "order:1", customer_id=5)
    assert [(r.promotion_id, r.coupon_id, r.amount, r.customer_id, r.source_code, r.campaign_id) for r in rows] == [
        (coupon.promotion_id, coupon.pk, D("10.00"), 5, "TV1", source.campaign_id)]
    assert place(priced, "order:1", customer_id=5) == []  # a retry of the same order changes nothing
    coupon.refresh_from_db()
    assert coupon.times_used == 1
    assert Promotion.objects.get(pk=coupon.promotion_id).times_used == 1
    with pytest.raises(PromotionUnavailable) as error:
        place(priced, "order:2", customer_id=5)
    assert error.value.message == "Coupon ONCE has already been used."
    assert PromotionRedemption.objects.count() == 1
    assert Promotion.objects.get(pk=coupon.promotion_id).times_used == 1


@pytest.mark.django_db
def test_redeem_enforces_per_customer_limit_and_release_gives_uses_back(price):
    v = VariantFactory(base_price=D("100"))
    promo = PromotionFactory(usage_limit_per_customer=1, usage_limit=10)
    priced = price(lines=[PriceLineInput(v.pk, 1)], customer_id=9)
    place(priced, "order:1", customer_id=9)
    with pytest.raises(PromotionUnavailable):
        place(priced, "order:2", customer_id=9)
    promo.refresh_from_db()
    assert promo.times_used == 1
    assert price(lines=[PriceLineInput(v.pk, 1)], customer_id=9).order_discounts == []
    with transaction.atomic():
        assert promotion_release(order_reference="order:1", acting_user=None) == 1
    promo.refresh_from_db()
    assert promo.times_used == 0
    assert PromotionRedemption.objects.count() == 0
    place(priced, "order:3", customer_id=9)
    assert PromotionRedemption.objects.get().order_reference == "order:3"


@pytest.mark.django_db
def test_redeem_refuses_a_promotion_deactivated_after_pricing(price):
    v = VariantFactory(base_price=D("100"))
    promo = PromotionFactory()
    priced = price(lines=[PriceLineInput(v.pk, 1)])
    Promotion.objects.filter(pk=promo.pk).update(is_active=False)
    with pytest.raises(PromotionUnavailable):
        place(priced, "order:1")
    assert PromotionRedemption.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_uses_of_a_single_use_coupon_give_exactly_one_success(price):
    v = VariantFactory(base_price=D("100"))
    coupon = CouponFactory(code="RACE", usage_limit=1)
    priced = price(lines=[PriceLineInput(v.pk, 1)], coupons=["RACE"])
    assert priced.discount_total == D("10.00")
    outcomes = _verdicts(run_together([lambda n=n: place(priced, f"order:{n}") for n in range(50)]))
    assert outcomes == ["ok"] + ["refused"] * 49
    assert Coupon.objects.get(pk=coupon.pk).times_used == 1
    assert PromotionRedemption.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_orders_of_one_customer_respect_the_per_customer_limit(price):
    v = VariantFactory(base_price=D("100"))
    promo = PromotionFactory(usage_limit_per_customer=1)
    priced = price(lines=[PriceLineInput(v.pk, 1)], customer_id=42)
    assert priced.discount_total == D("10.00")
    outcomes = _verdicts(run_together([lambda n=n: place(priced, f"order:{n}", customer_id=42) for n in range(10)]))
    assert outcomes == ["ok"] + ["refused"] * 9
    assert Promotion.objects.get(pk=promo.pk).times_used == 1
    assert PromotionRedemption.objects.filter(customer_id=42).count() == 1


def reconcile(priced, reference, customer_id=None):
    with transaction.atomic(durable=True):
        return promotion_reconcile(priced=priced, order_reference=reference, customer_id=customer_id,
                                   acting_user=None, when=WHEN)


def uses(*objects) -> list[int]:
    return [type(o).objects.get(pk=o.pk).times_used for o in objects]


@pytest.mark.django_db
def test_reconcile_makes_an_orders_redemptions_what_its_pricing_now_applies(price):
    """A placed order re-priced: a promotion newly applied takes one use, one still applied keeps its use with the
    amount it now gives, one no longer applied gives its use (and its coupon's) back."""
    v = VariantFactory(base_price=D("100"))
    big = PromotionFactory(name="Spend 300", percent=D("5"), min_subtotal=D("300"), usage_limit=3)
    coupon = CouponFactory(code="TEN", promotion=PromotionFactory(name="Coupon 10", requires_coupon=True,
                                                                  min_subtotal=D("150")))
    place(price(lines=[PriceLineInput(v.pk, 2)], coupons=["TEN"], customer_id=7), "order:1", customer_id=7)
    assert uses(big, coupon, coupon.promotion) == [0, 1, 1]
    grown = price(lines=[PriceLineInput(v.pk, 4)], coupons=["TEN"], customer_id=7, order_reference="order:1")
    done = reconcile(grown, "order:1", customer_id=7)
    assert ([r.promotion_id for r in done.created], [(r.promotion_id, r.amount) for r in done.changed],
            done.released) == ([big.pk], [(coupon.promotion_id, D("38.00"))], [])
    assert dict(PromotionRedemption.objects.values_list("promotion_id", "amount")) == {
        big.pk: D("20.00"), coupon.promotion_id: D("38.00")}  # 10 % of what is left after the 5 % (first by id)
    assert uses(big, coupon, coupon.promotion) == [1, 1, 1]
    assert reconcile(grown, "order:1", customer_id=7) == type(done)([], [], [])  # a retry changes nothing
    assert uses(big, coupon, coupon.promotion) == [1, 1, 1]
    shrunk = price(lines=[PriceLineInput(v.pk, 1)], coupons=["TEN"], customer_id=7, order_reference="order:1")
    done = reconcile(shrunk, "order:1", customer_id=7)
    assert sorted(r.promotion_id for r in done.released) == sorted([big.pk, coupon.promotion_id])
    assert not PromotionRedemption.objects.exists()
    assert uses(big, coupon, coupon.promotion) == [0, 0, 0]
    assert list(AuditEntry.objects.order_by("pk").values_list("verb", flat=True)) == [
        "redemption_add", "redemption_change", "redemption_release", "redemption_release"]


@pytest.mark.django_db
def test_reconcile_refuses_a_promotion_used_up_since_the_order_was_priced_and_changes_nothing(price):
    v = VariantFactory(base_price=D("100"))
    kept = PromotionFactory(name="Always 5", percent=D("5"))
    scarce = PromotionFactory(name="Last one", percent=D("10"), min_subtotal=D("200"), usage_limit=1)
    place(price(lines=[PriceLineInput(v.pk, 1)]), "order:1")
    assert dict(PromotionRedemption.objects.values_list("promotion_id", "amount")) == {kept.pk: D("5.00")}
    grown = price(lines=[PriceLineInput(v.pk, 3)])
    assert {d.promotion_id for d in grown.applied_discounts()} == {kept.pk, scarce.pk}
    place(price(lines=[PriceLineInput(v.pk, 3)]), "order:2")  # another order takes the last use meanwhile
    with pytest.raises(PromotionUnavailable) as refused:
        reconcile(grown, "order:1")
    assert refused.value.message == "Promotion Last one is no longer available."
    assert dict(PromotionRedemption.objects.filter(order_reference="order:1").values_list(
        "promotion_id", "amount")) == {kept.pk: D("5.00")}  # the amount change before it was rolled back too
    assert uses(kept, scarce) == [2, 1]
    # Priced again, the used-up promotion no longer applies to this order and nothing is over-redeemed.
    again = price(lines=[PriceLineInput(v.pk, 3)], order_reference="order:1")
    assert {d.promotion_id for d in again.applied_discounts()} == {kept.pk}
    reconcile(again, "order:1")
    assert uses(kept, scarce) == [2, 1]
    assert PromotionRedemption.objects.get(order_reference="order:1").amount == D("15.00")

"""A placed order's promotion and coupon uses follow its changes: an edit or a line cancelled re-prices the order,
and its redemptions (usage counters, per-customer uses, coupon uses, amounts) are made what the new pricing applies."""

import uuid
from decimal import Decimal

import pytest

from marketing.models import Promotion, PromotionRedemption
from oms.models import AuditEntry
from orders.errors import OrderError
from orders.models import Order
from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_cancel, order_edit
from orders.services import order_place as place_draft
from tests.marketing.factories import CouponFactory, PromotionFactory
from tests.threads import run_together


def redemptions(order) -> dict[int, Decimal]:
    return dict(PromotionRedemption.objects.filter(order_reference=f"order:{order.pk}")
                .values_list("promotion_id", "amount"))


def uses(*objects) -> list[int]:
    return [type(o).objects.get(pk=o.pk).times_used for o in objects]


def line(order, variant):
    return order.lines.get(variant=variant, status__in=["open", "reserved", "backordered", "allocated"])


def test_an_edit_that_makes_a_promotion_apply_redeems_it_once_and_follows_its_amount(make_user, world, place):
    """An order below a promotion's minimum, edited above it, got the discount but took no use of the promotion:
    its usage counter and limit did not see the order. Now the edit takes one use, and later edits only change the
    amount recorded."""
    agent = make_user("agent")
    v1, v2, v3 = world["variants"]
    promotion = PromotionFactory(name="Spend 200, 10% off", min_subtotal=Decimal("200"), usage_limit=5)
    order = place(agent, [(v1, 1)])
    assert (order.discount_total, redemptions(order), uses(promotion)) == (Decimal("0"), {}, [0])
    order_edit(order_id=order.pk, acting_user=agent, add=[(v2.pk, 2)], reason="two mugs more")
    order.refresh_from_db()
    assert (order.subtotal, order.discount_total) == (Decimal("200.00"), Decimal("20.00"))
    assert (redemptions(order), uses(promotion)) == ({promotion.pk: Decimal("20.00")}, [1])
    order_edit(order_id=order.pk, acting_user=agent, add=[(v3.pk, 1)], reason="and a cap")
    order.refresh_from_db()
    assert order.discount_total == Decimal("22.00")
    assert (redemptions(order), uses(promotion)) == ({promotion.pk: Decimal("22.00")}, [1])  # still one use
    assert list(AuditEntry.objects.filter(verb__startswith="redemption_").order_by("pk")
                .values_list("verb", "changes")) == [
        ("redemption_add", {"amount": "20.00", "coupon": ""}),
        ("redemption_change", {"amount": ["20.00", "22.00"]}),
    ]


def test_a_line_cancelled_reduces_the_amount_the_promotion_recorded(make_user, world, place):
    """After a partial cancel the order paid a smaller discount, but its redemption still said the first one: the
    campaign's reports counted money the customer was never given."""
    agent = make_user("agent")
    v1, v2, _v3 = world["variants"]
    promotion = PromotionFactory(name="Ten off", usage_limit=10)
    order = place(agent, [(v1, 1), (v2, 1)])
    assert (redemptions(order), uses(promotion)) == ({promotion.pk: Decimal("15.00")}, [1])
    order_cancel(order_id=order.pk, reason="no mug", acting_user=agent, line_ids=[line(order, v2).pk])
    order.refresh_from_db()
    assert order.discount_total == Decimal("10.00")
    assert (redemptions(order), uses(promotion)) == ({promotion.pk: Decimal("10.00")}, [1])
    order_cancel(order_id=order.pk, reason="not wanted", acting_user=agent)
    assert (redemptions(order), uses(promotion)) == ({}, [0])


def test_a_change_that_makes_a_promotion_stop_applying_gives_its_uses_back(make_user, world, place):
    """A coupon promotion with a minimum: the order edited below it lost the discount but kept the single-use coupon
    and the customer's one use, so neither the customer nor anybody else could use them again."""
    agent = make_user("agent")
    _v1, v2, _v3 = world["variants"]
    welcome = PromotionFactory(name="Welcome", requires_coupon=True, min_subtotal=Decimal("120"),
                               usage_limit_per_customer=1)
    coupon = CouponFactory(code="WELCOME1", promotion=welcome, usage_limit=1)
    order = place(agent, [(v2, 3)], coupons=["WELCOME1"])
    assert (order.discount_total, redemptions(order), uses(welcome, coupon)) == (
        Decimal("15.00"), {welcome.pk: Decimal("15.00")}, [1, 1])
    order_edit(order_id=order.pk, acting_user=agent, quantities={line(order, v2).pk: 2}, reason="one less")
    order.refresh_from_db()
    assert (order.discount_total, redemptions(order), uses(welcome, coupon)) == (Decimal("0"), {}, [0, 0])
    assert AuditEntry.objects.filter(verb="redemption_release").count() == 1
    # Back above the minimum (nobody took the code meanwhile): the order takes the coupon again, once.
    order_edit(order_id=order.pk, acting_user=agent, quantities={line(order, v2).pk: 3}, reason="three after all")
    order.refresh_from_db()
    assert (order.discount_total, redemptions(order), uses(welcome, coupon)) == (
        Decimal("15.00"), {welcome.pk: Decimal("15.00")}, [1, 1])
    assert PromotionRedemption.objects.get().coupon_id == coupon.pk


def test_a_used_up_promotion_is_not_redeemed_again_by_an_edit(make_user, world, place):
    """The promotion's one use went to another order: an edit bringing this order above its minimum is priced
    without it (placed orders count only their own uses as theirs) and the counter stays within its limit."""
    agent = make_user("agent")
    v1, _v2, _v3 = world["variants"]
    promotion = PromotionFactory(name="First 200", min_subtotal=Decimal("200"), usage_limit=1)
    first = place(agent, [(v1, 2)])
    assert (redemptions(first), uses(promotion)) == ({promotion.pk: Decimal("20.00")}, [1])
    second = place(agent, [(v1, 1)])
    order_edit(order_id=second.pk, acting_user=agent, quantities={line(second, v1).pk: 2}, reason="two")
    second.refresh_from_db()
    assert (second.subtotal, second.discount_total, redemptions(second)) == (Decimal("200.00"), Decimal("0"), {})
    assert uses(promotion) == [1]


@pytest.mark.django_db(transaction=True)
def test_an_edit_that_loses_the_race_for_the_last_use_is_refused_and_changes_nothing(
        make_user, world, place, monkeypatch):
    """Pricing read the promotion as available; another order took its last use (and committed) before the edit
    counted it. The edit is refused by name with nothing changed; saved again, it is priced without the promotion."""
    from orders.services import lifecycle

    agent = make_user("agent")
    v1, _v2, _v3 = world["variants"]
    promotion = PromotionFactory(name="Last 200", min_subtotal=Decimal("200"), usage_limit=1)
    order = place(agent, [(v1, 1)])
    kept = line(order, v1)
    price_lines = lifecycle.price_lines

    def another_order_takes_it_meanwhile(*args, **kwargs):
        priced = price_lines(*args, **kwargs)
        run_together([lambda: Promotion.objects.filter(pk=promotion.pk).update(times_used=1)])  # committed
        return priced

    monkeypatch.setattr(lifecycle, "price_lines", another_order_takes_it_meanwhile)
    with pytest.raises(OrderError) as refused:
        order_edit(order_id=order.pk, acting_user=agent, quantities={kept.pk: 2}, reason="two")
    assert refused.value.message == (f"Promotion Last 200 is no longer available. Order {order.number} was not "
                                     "changed; save the change again to price it without that discount.")
    monkeypatch.setattr(lifecycle, "price_lines", price_lines)
    assert (Order.objects.get(pk=order.pk).total, order.lines.get().quantity) == (order.total, 1)
    assert (redemptions(order), uses(promotion)) == ({}, [1])
    order_edit(order_id=order.pk, acting_user=agent, quantities={kept.pk: 2}, reason="two")
    order.refresh_from_db()
    assert (order.subtotal, order.discount_total, redemptions(order), uses(promotion)) == (
        Decimal("200.00"), Decimal("0"), {}, [1])


@pytest.mark.django_db(transaction=True)
def test_simultaneous_edits_share_a_promotions_last_use_without_over_redeeming(make_user, world):
    """Two placed orders edited at the same moment both come to qualify for a promotion with one use left: the
    counter's conditional update gives it to one of them; the other edit is refused or priced without it, and
    every order's discount is the one its redemptions record."""
    agent = make_user("agent")
    v1 = world["variants"][0]
    promotion = PromotionFactory(name="One left", min_subtotal=Decimal("200"), usage_limit=1)
    orders = []
    for _n in range(2):
        draft = draft_create(channel_id=world["channel"].pk, acting_user=agent, customer_id=world["customer"].pk)
        draft_line_add(order_id=draft.pk, variant_id=v1.pk, quantity=1, acting_user=agent)
        draft_update(order_id=draft.pk, acting_user=agent, payment_method="invoice", shipping_service=world["service"])
        orders.append(place_draft(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=agent,
                                  payment=PaymentRequest(method="invoice")))
    outcomes = run_together([
        lambda o=o: order_edit(order_id=o.pk, acting_user=agent, quantities={o.lines.get().pk: 2}, reason="two")
        for o in orders])
    assert all(isinstance(o, Order | OrderError) for o in outcomes), outcomes
    assert uses(promotion) == [1]
    assert PromotionRedemption.objects.count() == 1
    for order in orders:
        order.refresh_from_db()
        assert order.discount_total == sum(redemptions(order).values(), Decimal("0"))
    assert sorted(order.discount_total for order in orders) == [Decimal("0"), Decimal("20.00")]

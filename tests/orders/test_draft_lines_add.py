from decimal import Decimal

import pytest

from orders.errors import OrderError
from orders.models import Order
from orders.services import draft_create, draft_line_add, draft_line_update, draft_update
from orders.services.placement import DraftLine, draft_lines_add

LINE_FIELDS = ("position", "variant_id", "sku", "quantity", "list_price", "unit_price", "override_unit_price",
               "override_reason", "extra_unit_price", "discount_total", "tax_rate", "tax_amount", "line_total",
               "personalization", "status")
ORDER_FIELDS = ("subtotal", "discount_total", "shipping_total", "tax_total", "total")


def _draft(world, user):
    order = draft_create(channel_id=world["channel"].pk, acting_user=user, customer_id=world["customer"].pk)
    draft_update(order_id=order.pk, acting_user=user, payment_method="invoice", shipping_service=world["service"])
    return order


def _state(order_id):
    order = Order.objects.get(pk=order_id)
    lines = [tuple(getattr(ln, f) for f in LINE_FIELDS) for ln in order.lines.order_by("position")]
    return tuple(getattr(order, f) for f in ORDER_FIELDS), lines


def test_same_end_state_as_adding_and_overriding_one_line_at_a_time(make_user, world):
    agent = make_user("agent")
    v1, v2, v3 = world["variants"]
    wanted = [(v1, 2, Decimal("90.00")), (v2, 1, None), (v3, 3, Decimal("15.50"))]
    one_by_one = _draft(world, agent)
    for variant, qty, price in wanted:
        line = draft_line_add(order_id=one_by_one.pk, variant_id=variant.pk, quantity=qty, acting_user=agent)
        if price is not None:
            draft_line_update(order_id=one_by_one.pk, line_id=line.pk, acting_user=agent, override_unit_price=price,
                              override_reason="Price paid on the channel")
    batch = _draft(world, agent)
    added = draft_lines_add(order_id=batch.pk, acting_user=agent, lines=[
        DraftLine(variant_id=v.pk, quantity=q, override_unit_price=p, override_reason="Price paid on the channel")
        for v, q, p in wanted])
    assert [line.position for line in added] == [1, 2, 3]
    expected = _state(one_by_one.pk)
    assert expected[0][-1] > 0
    assert _state(batch.pk) == expected


@pytest.mark.parametrize(("bad", "field"), [
    (DraftLine(variant_id=0, quantity=0), "quantity"),
    (DraftLine(variant_id=0, quantity=1, override_unit_price=Decimal("-1"), override_reason="x"),
     "override_unit_price"),
    (DraftLine(variant_id=0, quantity=1, override_unit_price=Decimal("5"), override_reason="  "), "override_reason"),
])
def test_one_refused_line_adds_nothing(make_user, world, bad, field):
    agent = make_user("agent")
    v1, v2, _v3 = world["variants"]
    draft = _draft(world, agent)
    draft_line_add(order_id=draft.pk, variant_id=v1.pk, quantity=1, acting_user=agent)
    before = _state(draft.pk)
    bad = DraftLine(**{**bad.__dict__, "variant_id": v2.pk})
    with pytest.raises(OrderError) as exc:
        draft_lines_add(order_id=draft.pk, acting_user=agent, lines=[DraftLine(variant_id=v1.pk, quantity=4), bad])
    assert exc.value.field == field
    assert _state(draft.pk) == before


def test_inactive_sku_is_refused_and_nothing_added(make_user, world):
    agent = make_user("agent")
    v1, v2, _v3 = world["variants"]
    v2.is_active = False
    v2.save(update_fields=["is_active"])
    draft = _draft(world, agent)
    with pytest.raises(OrderError) as exc:
        draft_lines_add(order_id=draft.pk, acting_user=agent,
                        lines=[DraftLine(variant_id=v1.pk), DraftLine(variant_id=v2.pk)])
    assert exc.value.field == "variant"
    assert draft.lines.count() == 0


def test_a_draft_created_whole_equals_one_built_step_by_step(make_user, world, django_assert_max_num_queries):
    """Channel intake creates the draft with its header and lines in one call: one transaction, one repricing."""
    agent = make_user("agent")
    v1, v2, v3 = world["variants"]
    specs = [DraftLine(variant_id=v1.pk, quantity=2, override_unit_price=Decimal("90.00"), override_reason="Channel"),
             DraftLine(variant_id=v2.pk), DraftLine(variant_id=v3.pk, quantity=3)]
    step_by_step = _draft(world, agent)
    draft_lines_add(order_id=step_by_step.pk, acting_user=agent, lines=specs)
    with django_assert_max_num_queries(22) as captured:  # prices: one UPDATE a line (save_line_fields)
        whole = draft_create(channel_id=world["channel"].pk, acting_user=agent, customer_id=world["customer"].pk,
                             lines=specs, payment_method="invoice", shipping_service=world["service"])
    sql = [q["sql"] for q in captured.captured_queries]
    assert sum(s.startswith("SAVEPOINT") or s == "BEGIN" for s in sql) <= 1  # one transaction
    assert sum("inventory_personalizationfield" in s for s in sql) == 1  # the lines' fields read once
    assert _state(whole.pk) == _state(step_by_step.pk)
    assert _state(whole.pk)[0][-1] > 0
    assert whole.shipping_service == world["service"] and whole.payment_method == "invoice"


def test_a_draft_created_whole_with_a_refused_line_is_not_created(make_user, world):
    agent = make_user("agent")
    v1, _v2, _v3 = world["variants"]
    before = Order.objects.count()
    with pytest.raises(OrderError) as exc:
        draft_create(channel_id=world["channel"].pk, acting_user=agent, customer_id=world["customer"].pk,
                     lines=[DraftLine(variant_id=v1.pk), DraftLine(variant_id=v1.pk, quantity=0)])
    assert exc.value.field == "quantity"
    assert Order.objects.count() == before
    with pytest.raises(ValueError, match="Unknown draft fields"):
        draft_create(channel_id=world["channel"].pk, acting_user=agent, status="placed")
    assert Order.objects.count() == before

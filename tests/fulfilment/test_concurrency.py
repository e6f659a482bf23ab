"""Two warehouse workers press Ship on the same shipment at once: stock is consumed and money captured once."""

import threading
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import StockLevel, StockMovement
from orders.fulfilment import services as ful
from orders.fulfilment.errors import FulfilmentError
from orders.fulfilment.models import Shipment
from orders.models import Order
from payments.models import Payment
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def _pickup_transfer_on_the_road(user, net, place_order, lines):
    """A pick-up order at the store whose shirts come from the DC on a transfer that has been shipped."""
    from django.db import transaction

    from inventory.models import Transfer
    from inventory.services import transfer_ship

    order = place_order(user, lines, delivery_method="pickup", pickup_location_id=net["store"].pk)
    ful.order_allocate(order_id=order.pk, acting_user=user)
    transfer = Transfer.objects.get()
    with transaction.atomic(durable=True):
        transfer_ship(transfer_id=transfer.pk, acting_user=user)
    return order, transfer


def test_double_ship_consumes_and_captures_once(make_user, net, place_order):
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 2)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    for _unit in range(2):
        ful.shipment_scan(shipment_id=shipment.pk, code=net["mug"].sku, acting_user=user)

    def ship(n: int) -> str:
        ful.shipment_ship(shipment_id=shipment.pk, carrier="C", tracking_number=f"T{n}", acting_user=user)
        return "shipped"

    outcomes = run_together([lambda: ship(1), lambda: ship(2)])
    assert sorted(o.code if isinstance(o, FulfilmentError) else o for o in outcomes) == [
        "invalid_shipment_transition", "shipped"]
    level = StockLevel.objects.get(variant=net["mug"], location=net["store"])
    assert (level.on_hand, level.reserved) == (1, 0)
    assert StockMovement.objects.filter(reference=f"shipment:{shipment.pk}").count() == 1
    payment = Payment.objects.get(order=order)
    assert payment.captured_amount == order.total == Decimal("115.00")
    assert Shipment.objects.get(pk=shipment.pk).captured_amount == order.total


def test_card_is_captured_per_shipment_at_the_processor(make_user, net, place_order, stock):
    """A split order paid by card: each shipment captures its share; together exactly the order total."""
    from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place
    from payments.gateway import get_gateway
    from tests.inventory.factories import VariantFactory

    user = make_user("admin")
    cap = VariantFactory(base_price=Decimal("30.00"))
    stock(cap, net["store"], 2)  # only the store has caps; only the DC has 5 shirts
    draft = draft_create(channel_id=net["channel"].pk, acting_user=user, customer_id=net["customer"].pk)
    draft_line_add(order_id=draft.pk, variant_id=net["shirt"].pk, quantity=5, acting_user=user)
    draft_line_add(order_id=draft.pk, variant_id=cap.pk, quantity=1, acting_user=user)
    draft_update(order_id=draft.pk, acting_user=user, payment_method="card", shipping_service=net["service"])
    token = get_gateway("sandbox").tokenize(number="4242424242424242", exp_month=12, exp_year=2030, cvc="123")
    order = order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=user, payment=PaymentRequest(
        method="card", token=token.token, details={"brand": token.brand, "last4": token.last4,
                                                    "exp_month": token.exp_month, "exp_year": token.exp_year}))
    shipments = ful.order_allocate(order_id=order.pk, acting_user=user)
    assert len(shipments) == 2
    captured = []
    for shipment in shipments:
        for sl in shipment.lines.select_related("order_line"):
            for _unit in range(sl.quantity):
                ful.shipment_scan(shipment_id=shipment.pk, code=sl.order_line.sku, acting_user=user)
        done = ful.shipment_ship(shipment_id=shipment.pk, carrier="C", tracking_number=f"T{shipment.pk}",
                                 acting_user=user)
        captured.append(done.captured_amount)
    payment = Payment.objects.get(order=order)
    assert order.total == Decimal("545.00")  # 5 x 100 + 30 + 15 shipping
    assert sum(captured) == payment.captured_amount == order.total
    assert payment.status == Payment.Status.CAPTURED
    assert sorted(captured) == [Decimal("30.85"), Decimal("514.15")]  # 545 x 30/530, then the remainder


def test_transfer_received_while_the_order_is_cancelled_leaves_exact_stock(make_user, net, place_order):
    """The store receives the pick-up transfer while the agent cancels the order: neither deadlocks, and the
    shirts end on sale at the store whichever commits first."""
    from django.core.management import call_command
    from django.db import transaction

    from inventory.services import transfer_receive
    from orders.models import Order
    from orders.services import order_cancel

    user = make_user("admin")
    order, transfer = _pickup_transfer_on_the_road(user, net, place_order, [(net["shirt"], 5), (net["mug"], 1)])

    def receive() -> None:
        with transaction.atomic(durable=True):
            transfer_receive(transfer_id=transfer.pk, acting_user=user)

    def cancel() -> None:
        order_cancel(order_id=order.pk, reason="changed mind", acting_user=user)

    assert run_together([receive, cancel]) == [None, None]  # neither failed (a deadlock would raise here)
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    shirts = StockLevel.objects.get(variant=net["shirt"], location=net["store"])
    mugs = StockLevel.objects.get(variant=net["mug"], location=net["store"])
    assert ((shirts.on_hand, shirts.reserved), (mugs.on_hand, mugs.reserved)) == ((8, 0), (3, 0))
    call_command("verify_ledgers")


def _wait_until_blocked(pid: int, timeout: float = 10.0) -> None:
    """Waits until the backend ``pid`` waits for a row lock (asked from this thread's own connection)."""
    import time

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for a lock")


def test_a_receipt_locks_the_order_before_the_stores_stock(make_user, net, place_order):
    """Lock order of a transfer receipt: the waiting order and its lines before the destination's stock rows, as a
    cancellation takes them (order, lines, then the stock it releases: shirts the order also holds at the store).

    The cancelling side holds the order and its lines; once the receipt waits for them, it locks the store's shirt
    row. Had the receipt locked that row first (as it did), the two would wait for each other: a deadlock."""
    from django.db import transaction

    from inventory.models import Transfer
    from inventory.services import transfer_receive
    from orders.services.core import lock_lines, lock_order

    user = make_user("admin")
    order, transfer = _pickup_transfer_on_the_road(user, net, place_order, [(net["shirt"], 5)])
    receiver_pid: list[int] = []
    holding = threading.Event()

    def receive() -> None:
        holding.wait(10)
        with transaction.atomic(durable=True):
            receiver_pid.append(connection.connection.info.backend_pid)
            transfer_receive(transfer_id=transfer.pk, acting_user=user)

    def cancel_side() -> None:
        with transaction.atomic(durable=True):
            locked = lock_order(order.pk)
            lock_lines(locked)
            holding.set()
            while not receiver_pid:
                threading.Event().wait(0.01)
            _wait_until_blocked(receiver_pid[0])
            StockLevel.objects.select_for_update().get(variant=net["shirt"], location=net["store"])

    assert run_together([receive, cancel_side]) == [None, None]
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.RECEIVED
    shirts = StockLevel.objects.get(variant=net["shirt"], location=net["store"])
    assert (shirts.on_hand, shirts.reserved) == (8, 5)  # 3 on the shelf + 5 arrived, all 5 reserved for the order


def _while_a_holiday_is_saved(user, day, location_id, step) -> list[object]:
    """Runs ``step`` (in a thread of its own) while a holiday on ``day`` is being saved and has planned things
    again: the change commits once ``step`` waits for a lock. Returns [the change's outcome, ``step``'s]."""
    from django.db import transaction

    from oms.i18n import stored_text
    from orders.fulfilment.models import Holiday

    step_pid: list[int] = []
    replanned = threading.Event()

    def save_holiday():
        with transaction.atomic(durable=True):
            ful.calendar_change_lock()
            before = ful._calendar_before([(day, location_id)])
            Holiday.objects.create(date=day, name="Fechada", location_id=location_id)
            change = ful._plans_replan(before, holiday=None, actor=user, why=stored_text("Closed"))
            replanned.set()
            while not step_pid:
                threading.Event().wait(0.01)
            _wait_until_blocked(step_pid[0])
        return change

    def run_step():
        replanned.wait(10)
        connection.ensure_connection()
        step_pid.append(connection.connection.info.backend_pid)
        return step()

    return run_together([save_holiday, run_step])


def test_a_release_waits_for_a_holiday_being_saved_and_copies_the_plan_it_moved(make_user, net, place_order):
    """The release copies the sourcing plan onto the shipments while a holiday on its hand-over day is being saved
    (the plan moved, not yet committed): it waits for the calendar change and leaves with the new dates, instead of
    copying the old ones the change no longer sees (neither as a plan nor as a shipment)."""
    from datetime import timedelta

    from django.utils import timezone

    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    decision = order.sourcing_decisions.first()
    [planned] = decision.plan["shipments"]
    hands_over = date.fromisoformat(planned["ships_on"])
    assert hands_over >= timezone.localdate()  # sourced a moment ago: handed over today or on the next working day

    change, shipments = _while_a_holiday_is_saved(
        user, hands_over, net["store"].pk, lambda: ful.order_allocate(order_id=order.pk, acting_user=user))

    assert change.unreleased == 1, change
    [shipment] = shipments
    assert shipment.ships_on > hands_over and shipment.ships_on - hands_over <= timedelta(days=3)
    decision.refresh_from_db()
    assert shipment.ships_on.isoformat() == decision.plan["shipments"][0]["ships_on"]


def test_a_warehouse_step_on_a_shipment_the_holiday_moves_waits_without_a_deadlock(make_user, net, place_order):
    """Picking starts (order locked, then the shipment) on a shipment a holiday being saved has planned again: the
    change had locked the shipment but not its order, whose key the history row checks at commit, so the two waited
    for each other and one of them failed. The change locks the orders first: picking waits, then starts."""
    user = make_user("admin")
    order = place_order(user, [(net["mug"], 1)])
    [shipment] = ful.order_allocate(order_id=order.pk, acting_user=user)
    hands_over = shipment.ships_on

    change, picking = _while_a_holiday_is_saved(
        user, hands_over, net["store"].pk,
        lambda: ful.shipment_start_picking(shipment_id=shipment.pk, acting_user=user))

    assert change.shipments == 1, change
    assert isinstance(picking, Shipment), picking
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PICKING and shipment.ships_on > hands_over


def test_an_order_sourced_while_a_holiday_is_saved_is_planned_again_by_the_change(make_user, net, place_order,
                                                                                   monkeypatch):
    """Placement reads the shipping calendar, then a holiday on the day it plans is saved before it commits: the
    change waits for the placement (it would not see the decision being made, and the order would reach the
    warehouse on the old calendar), then plans the decision again."""
    import time

    from orders.services import PaymentRequest, draft_create, draft_line_add, draft_update, order_place

    user = make_user("admin")
    earlier = place_order(user, [(net["mug"], 1)])  # the same rule plans the next order's hand-over on this day
    hands_over = date.fromisoformat(earlier.sourcing_decisions.first().plan["shipments"][0]["ships_on"])
    draft = draft_create(channel_id=net["channel"].pk, acting_user=user, customer_id=net["customer"].pk)
    draft_line_add(order_id=draft.pk, variant_id=net["mug"].pk, quantity=1, acting_user=user)
    draft_update(order_id=draft.pk, acting_user=user, payment_method="invoice", shipping_service=net["service"])

    placing, calendar_read, go = [], threading.Event(), threading.Event()
    change_pid, change_done = [], threading.Event()
    read_calendar = ful.closed_days

    def closed_days_then_wait(*args, **kwargs):
        closed = read_calendar(*args, **kwargs)
        if threading.get_ident() in placing and not calendar_read.is_set():
            calendar_read.set()
            go.wait(10)
        return closed

    monkeypatch.setattr(ful, "closed_days", closed_days_then_wait)

    def place():
        placing.append(threading.get_ident())
        return order_place(order_id=draft.pk, idempotency_key=uuid.uuid4().hex, acting_user=user,
                           payment=PaymentRequest(method="invoice"))

    def save_holiday():
        calendar_read.wait(10)
        connection.ensure_connection()
        change_pid.append(connection.connection.info.backend_pid)
        try:
            return ful.holiday_save(day=hands_over, name="Fechada", location_id=net["store"].pk, acting_user=user)
        finally:
            change_done.set()

    def release_the_placement_once_the_change_waits_or_ends():
        calendar_read.wait(10)
        deadline = time.monotonic() + 10
        with connection.cursor() as cursor:
            while not change_done.is_set() and time.monotonic() < deadline:
                if change_pid:
                    cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", change_pid)
                    if (cursor.fetchone() or [None])[0] == "Lock":
                        break
                time.sleep(0.02)
        go.set()

    placed, change, _ = run_together([place, save_holiday, release_the_placement_once_the_change_waits_or_ends])

    assert getattr(placed, "status", None) == "confirmed", placed
    assert getattr(change, "unreleased", None) == 2, change  # the earlier order's plan and the one being made
    [planned] = placed.sourcing_decisions.first().plan["shipments"]
    assert date.fromisoformat(planned["ships_on"]) > hands_over


def test_an_exchange_sent_twice_at_once_leaves_one_new_order(make_user, net, shipped_order):
    """Two clicks on "Exchange (new order)" at the same moment each opened a draft with the returned items; one
    closed the return, the other was refused and its draft stayed open among the drafts. The refused one's draft is
    discarded (cancelled, kept for the history) and it says the return is already closed."""
    from django.utils import translation

    from orders.fulfilment.errors import InvalidReturn

    user = make_user("admin")
    order = shipped_order(user, [(net["mug"], 1)])
    rma = ful.return_request(order_id=order.pk, lines=[(order.lines.get().pk, 1, "size")], acting_user=user)
    ful.return_approve(return_id=rma.pk, acting_user=user)
    ful.return_receive(return_id=rma.pk, location_id=net["store"].pk, acting_user=user)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "resell"}, acting_user=user)

    def exchange():
        with translation.override("en"):
            return ful.return_exchange(return_id=rma.pk, acting_user=user)

    outcomes = run_together([exchange, exchange])
    made = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, InvalidReturn)]
    assert len(made) == 1, outcomes
    rma.refresh_from_db()
    assert rma.exchange_order_id == made[0].pk
    open_drafts = Order.objects.filter(status=Order.Status.DRAFT).exclude(pk=order.pk)
    assert list(open_drafts.values_list("pk", flat=True)) == [made[0].pk]
    for exc in refused:  # the second click, when it came after the first was done, was refused before any draft
        assert exc.message == f"{rma} is already closed (Exchanged): nothing more to do."


def test_two_agents_refunding_one_return_two_ways_give_it_back_once(make_user, net, shipped_order, monkeypatch):
    """One agent refunds a return to the original payment; while the refund is on its way, another refunds it as
    store credit. The second read nothing given back yet and issued the store credit too: the customer was paid
    twice. Now the second is refused while the first is under way."""
    from orders.fulfilment.errors import InvalidReturn
    from payments import services as payments_services
    from payments.models import GiftCard

    user = make_user("admin")
    order = shipped_order(user, [(net["mug"], 1)])
    line = order.lines.get()
    rma = ful.return_request(order_id=order.pk, lines=[(line.pk, 1, "size")], acting_user=user)
    ful.return_approve(return_id=rma.pk, acting_user=user)
    ful.return_receive(return_id=rma.pk, location_id=net["store"].pk, acting_user=user)
    ful.return_inspect(return_id=rma.pk, conditions={rma.lines.get().pk: "resell"}, acting_user=user)

    refunding, go = threading.Event(), threading.Event()
    real_refund = payments_services.payment_refund

    def slow_refund(**kwargs):  # the processor takes its time answering
        refunding.set()
        go.wait(5)
        return real_refund(**kwargs)

    monkeypatch.setattr(payments_services, "payment_refund", slow_refund)

    def to_the_card():
        return ful.return_refund(return_id=rma.pk, method="original", acting_user=user)

    def as_store_credit():
        try:
            refunding.wait(5)
            return ful.return_refund(return_id=rma.pk, method="store_credit", acting_user=user)
        finally:
            go.set()

    first, second = run_together([to_the_card, as_store_credit])
    assert not isinstance(first, Exception), first
    assert isinstance(second, InvalidReturn) and "being refunded by someone else" in second.message
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == Decimal("50.00")
    assert not GiftCard.objects.filter(kind=GiftCard.Kind.STORE_CREDIT).exists()
    rma.refresh_from_db()
    assert (rma.status, rma.refund_method, rma.refund_amount) == ("refunded", "original", Decimal("50.00"))
    # Once the first is done, the same request is told the return is closed, not refused as under way.
    with pytest.raises(InvalidReturn, match="already closed"):
        ful.return_refund(return_id=rma.pk, method="store_credit", acting_user=user)

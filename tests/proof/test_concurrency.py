"""Real threads against real PostgreSQL through ``order_place``: no oversell, no deadlock, ledgers intact.

At most ``GATE`` threads hold a database connection at once (the server's connections are shared).
"""

import random
import threading
import time
from collections import Counter

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum

from inventory.models import StockLevel, StockMovement
from inventory.services import StockLine, ledger_drift, stock_reserve
from orders.errors import StockUnavailable
from orders.models import Order, OrderLine, OrderLineAllocation
from tests.proof.conftest import make_draft, new_sku, place, receive

GATE = 50


def run_concurrently(count: int, work) -> list[str]:
    """Runs ``work(index)`` in ``count`` threads released together; returns one outcome string per thread."""
    outcomes: list[str] = []
    lock = threading.Lock()
    gate = threading.BoundedSemaphore(GATE)
    start = threading.Event()

    def worker(index: int):
        start.wait()
        with gate:
            try:
                try:
                    work(index)
                    outcome = "placed"
                except StockUnavailable:
                    outcome = "refused"
                except Exception as exc:  # recorded so the assertion names it
                    cause = exc.__cause__ or exc
                    kind = "deadlock" if isinstance(cause, psycopg.errors.DeadlockDetected) else "error"
                    outcome = f"{kind} {type(cause).__name__}: {cause}"
                with lock:
                    outcomes.append(outcome)
            finally:
                connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def assert_ledgers_clean():
    assert ledger_drift() == []
    call_command("verify_ledgers")  # exits 1 (SystemExit) on any stock or journal drift


@pytest.mark.django_db(transaction=True)
def test_hot_sku_200_concurrent_orders_for_50_units(network, make_user):
    agent = make_user("agent")
    sku = new_sku()
    for location, quantity in zip(network["locations"], (20, 17, 13), strict=True):
        receive(sku, location, quantity)
    drafts = [make_draft(network, agent, [(sku, 1)]).pk for _ in range(200)]

    outcomes = run_concurrently(200, lambda i: place(drafts[i], agent))

    assert Counter(outcomes) == {"placed": 50, "refused": 150}
    placed = Order.objects.exclude(status=Order.Status.DRAFT)
    assert placed.count() == 50
    assert set(placed.values_list("status", flat=True)) == {Order.Status.CONFIRMED}
    assert sorted(placed.values_list("number", flat=True)) == [f"PH-{n:06d}" for n in range(1, 51)]
    # Refused drafts are untouched: still drafts, no number, no reserved line, free to retry.
    refused = Order.objects.filter(pk__in=drafts, status=Order.Status.DRAFT)
    assert refused.count() == 150
    assert set(refused.values_list("number", flat=True)) == {""}
    assert set(refused.values_list("placing_started_at", flat=True)) == {None}
    assert set(OrderLine.objects.filter(order__in=refused).values_list("status", flat=True)) == {"open"}
    levels = sorted(StockLevel.objects.filter(variant=sku).values_list("on_hand", "reserved"))
    assert levels == [(13, 13), (17, 17), (20, 20)]
    assert StockMovement.objects.filter(variant=sku, reason="reservation").count() == 50
    assert not StockLevel.objects.filter(reserved__gt=0, on_hand__lt=0).exists()
    assert_ledgers_clean()


@pytest.mark.django_db(transaction=True)
def test_deadlock_hunt_100_orders_two_skus_random_line_order_three_locations(network, make_user):
    agent = make_user("agent")
    a, b = new_sku(), new_sku()
    for location in network["locations"]:
        receive(a, location, 80)
        receive(b, location, 80)
    rng = random.Random(10)
    drafts = []
    for _ in range(100):
        lines = [(a, rng.choice([1, 2])), (b, rng.choice([1, 2]))]
        rng.shuffle(lines)
        drafts.append(make_draft(network, agent, lines).pk)
    assert {tuple(OrderLine.objects.filter(order_id=pk).order_by("pk").values_list("variant_id", flat=True))
            for pk in drafts} == {(a.pk, b.pk), (b.pk, a.pk)}

    outcomes = run_concurrently(100, lambda i: place(drafts[i], agent))

    assert [o for o in outcomes if o.startswith("deadlock")] == []
    # Nothing but placed or cleanly refused.
    assert set(outcomes) <= {"placed", "refused"}
    assert len(outcomes) == 100
    assert Order.objects.filter(pk__in=drafts, status=Order.Status.CONFIRMED).count() == outcomes.count("placed")
    refused = Order.objects.filter(pk__in=drafts, status=Order.Status.DRAFT)
    assert refused.count() == outcomes.count("refused")
    assert set(OrderLine.objects.filter(order__in=refused).values_list("status", flat=True)) <= {"open"}
    # Stock exact: every level's reservation is the sum of the placed lines sourced there.
    sourced = {
        (row["line__variant_id"], row["location_id"]): row["total"]
        for row in OrderLineAllocation.objects.filter(line__order__status=Order.Status.CONFIRMED)
        .values("line__variant_id", "location_id").annotate(total=Sum("quantity"))
    }
    levels = {(v, loc): (on_hand, reserved) for v, loc, on_hand, reserved
              in StockLevel.objects.values_list("variant_id", "location_id", "on_hand", "reserved")}
    assert {key: reserved for key, (_on_hand, reserved) in levels.items() if reserved} == sourced
    assert all(on_hand == 80 for on_hand, _reserved in levels.values())
    placed_demand = OrderLine.objects.filter(order__status=Order.Status.CONFIRMED).aggregate(t=Sum("quantity"))["t"]
    assert sum(sourced.values()) == placed_demand
    assert_ledgers_clean()


@pytest.mark.django_db(transaction=True)
def test_order_is_not_refused_when_its_first_location_runs_out_meanwhile(network, make_user):
    agent = make_user("agent")
    first, second, _third = network["locations"]
    sku = new_sku()
    receive(sku, first, 1)
    receive(sku, second, 5)
    draft = make_draft(network, agent, [(sku, 1)])
    taken = threading.Event()

    def competitor():
        # Another order takes the first location's last unit and commits a moment later.
        try:
            with transaction.atomic():
                stock_reserve(lines=[StockLine(sku.pk, first.pk, 1)], reference="order:other", acting_user=None)
                taken.set()
                time.sleep(1.0)
        finally:
            connection.close()

    thread = threading.Thread(target=competitor)
    thread.start()
    assert taken.wait(10)
    try:
        order = place(draft.pk, agent)
    finally:
        thread.join(10)
    assert order.status == Order.Status.CONFIRMED
    assert StockLevel.objects.get(variant=sku, location=second).reserved == 1

"""Real threads against real PostgreSQL: no oversell, no deadlock."""

import threading

import pytest
from django.db import connection

from inventory.errors import OutOfStock
from inventory.models import StockLevel, StockMovement
from inventory.services import StockLine, ledger_drift, stock_receive, stock_reserve
from tests.inventory.factories import LocationFactory, VariantFactory


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_reservations_reserve_exactly_50():
    variant = VariantFactory()
    locations = [LocationFactory() for _ in range(3)]
    for location, quantity in zip(locations, (20, 17, 13), strict=True):
        stock_receive(lines=[StockLine(variant.pk, location.pk, quantity)], reference="seed", acting_user=None)
    results: list[str] = []
    lock = threading.Lock()
    # 200 threads, each one reservation of 1 unit; at most 60 hold a database connection at once so the
    # test stays within the shared server's connection limit while they still contend on the same rows.
    gate = threading.BoundedSemaphore(60)
    start = threading.Event()

    def worker(index: int):
        start.wait()
        with gate:
            try:
                location = locations[index % 3]
                try:
                    stock_reserve(lines=[StockLine(variant.pk, location.pk, 1)], reference=f"order:{index}",
                                  acting_user=None)
                    outcome = "ok"
                except OutOfStock:
                    outcome = "out"
                except Exception as exc:  # recorded so the assertion shows it
                    outcome = f"error {type(exc).__name__}: {exc}"
                with lock:
                    results.append(outcome)
            finally:
                connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(200)]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert len(results) == 200
    assert results.count("ok") == 50
    assert results.count("out") == 150
    assert sorted(StockLevel.objects.values_list("on_hand", "reserved")) == [(13, 13), (17, 17), (20, 20)]
    assert StockMovement.objects.filter(reason="reservation").count() == 50
    assert ledger_drift() == []


@pytest.mark.django_db(transaction=True)
def test_multi_line_reservations_in_opposite_orders_do_not_deadlock():
    a, b = VariantFactory(), VariantFactory()
    location = LocationFactory()
    stock_receive(lines=[StockLine(a.pk, location.pk, 30), StockLine(b.pk, location.pk, 30)], reference="seed",
                  acting_user=None)
    errors: list[str] = []

    def worker(index: int):
        try:
            pair = [StockLine(a.pk, location.pk, 1), StockLine(b.pk, location.pk, 1)]
            if index % 2:
                pair.reverse()
            try:
                stock_reserve(lines=pair, reference=f"order:{index}", acting_user=None)
            except OutOfStock:
                pass
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(StockLevel.objects.values_list("on_hand", "reserved")) == [(30, 30), (30, 30)]
    assert ledger_drift() == []

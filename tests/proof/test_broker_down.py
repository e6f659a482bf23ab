"""Orders placed while the Celery broker (a Redis of the test's own) is down: placing is unaffected, the
background work waits in the outbox and is delivered once after the broker returns."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from kombu import pools

from inventory.models import StockLevel
from oms.celery import app as celery_app
from oms.models import OutboxMessage
from oms.outbox import outbox_sweep
from orders.models import Order
from tests.proof.conftest import make_draft, new_sku, place, receive
from tests.redis_server import DisposableRedis


def _reset_broker_connections():
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker():
    server = DisposableRedis()
    server.start()
    old_url = celery_app.conf.broker_url
    celery_app.conf.broker_url = server.broker_url
    _reset_broker_connections()
    yield server
    celery_app.conf.broker_url = old_url
    _reset_broker_connections()
    server.cleanup()


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_orders_placed_while_broker_is_down_are_unaffected_and_their_work_is_delivered_later(
        broker, network, make_user):
    agent = make_user("agent")
    sku = new_sku()
    receive(sku, network["locations"][0], 10)
    drafts = [make_draft(network, agent, [(sku, 2)]) for _ in range(1)]
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    broker.stop()

    for draft in drafts:
        assert place(draft.pk, agent).status == Order.Status.CONFIRMED
    assert StockLevel.objects.get(variant=sku).reserved == 2
    work = OutboxMessage.objects.exclude(pk__in=before)
    # The channel notice of each order (and the payment event of each invoice authorization) waits, undelivered.
    notices = work.filter(topic="orders.channel_status")
    assert sorted(notices.values_list("payload__order_id", flat=True)) == sorted(d.pk for d in drafts)
    assert set(work.values_list("status", "attempts")) == {("pending", 0)}
    count = work.count()

    broker.start()
    _reset_broker_connections()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert outbox_sweep(older_than_seconds=0) == count
        assert _wait_for(lambda: set(work.values_list("status", flat=True)) == {"done"})
    # Delivered exactly once each, and nothing was enqueued twice.
    assert set(work.values_list("status", "attempts")) == {("done", 1)}
    assert work.count() == count


@pytest.mark.django_db(transaction=True)
def test_placing_while_broker_is_down_does_not_stall_the_agent(broker, network, make_user):
    agent = make_user("agent")
    sku = new_sku()
    receive(sku, network["locations"][0], 10)
    draft = make_draft(network, agent, [(sku, 1)])
    broker.stop()
    started = time.monotonic()
    assert place(draft.pk, agent).status == Order.Status.CONFIRMED
    assert time.monotonic() - started < 2.0

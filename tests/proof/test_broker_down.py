"""Orders placed while the Celery broker (a Redis of the test's own) is down: placing is unaffected, the
background work waits in the outbox and is delivered once after the broker returns."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from inventory.models import StockLevel
from oms.celery import app as celery_app
from oms.models import OutboxMessage
from oms.outbox import outbox_sweep
from orders.models import Order
from tests.proof.conftest import make_draft, new_sku, place, receive
from tests.redis_server import reset_broker_connections, wait_for


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
    reset_broker_connections()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert outbox_sweep(older_than_seconds=0) == count
        assert wait_for(lambda: set(work.values_list("status", flat=True)) == {"done"})
    # Delivered exactly once each, and nothing was enqueued twice: the channel notices queued one e-mail per
    # order to its customer (orders.notifications), delivered too.
    assert set(work.values_list("status", "attempts")) == {("done", 1)}
    assert sorted(work.filter(topic="oms.email").values_list("payload__to", flat=True)) == sorted(
        [Order.objects.get(pk=d.pk).email] for d in drafts)
    assert work.count() == count + len(drafts)


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

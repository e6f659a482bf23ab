import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from oms.celery import app as celery_app
from oms.models import OutboxMessage
from oms.outbox import outbox_deliver_message, outbox_enqueue, outbox_handler, outbox_sweep
from tests.redis_server import reset_broker_connections, wait_for

delivered: list[int] = []


@outbox_handler("tests.record")
def record(message):
    if message.payload.get("fail"):
        raise RuntimeError("receiver down")
    delivered.append(message.pk)


@pytest.mark.django_db(transaction=True)
def test_work_recorded_while_broker_is_down_is_delivered_after_it_returns(broker):
    delivered.clear()
    broker.stop()
    with transaction.atomic():
        message = outbox_enqueue(topic="tests.record", payload={"n": 1})
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert delivered == []

    broker.start()
    reset_broker_connections()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert outbox_sweep(older_than_seconds=0) == 1
        assert wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).status == "done")
    assert delivered == [message.pk]


@pytest.mark.django_db(transaction=True)
def test_enqueued_message_is_sent_on_commit_and_not_on_rollback(broker):
    delivered.clear()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with transaction.atomic():
            kept = outbox_enqueue(topic="tests.record", payload={"n": 2})
        try:
            with transaction.atomic():
                outbox_enqueue(topic="tests.record", payload={"n": 3})
                raise RuntimeError("caller failed")
        except RuntimeError:
            pass
        assert wait_for(lambda: OutboxMessage.objects.get(pk=kept.pk).status == "done")
    assert delivered == [kept.pk]
    assert OutboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_delivery_is_idempotent_by_message_id():
    delivered.clear()
    message = OutboxMessage.objects.create(topic="tests.record", payload={}, available_at="2000-01-01T00:00Z")
    assert outbox_deliver_message(message_id=message.pk) == "done"
    assert outbox_deliver_message(message_id=message.pk) == "skipped"
    assert delivered == [message.pk]


@pytest.mark.django_db
def test_failed_delivery_backs_off_and_gives_up_after_max_attempts(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    message = OutboxMessage.objects.create(
        topic="tests.record", payload={"fail": True}, available_at="2000-01-01T00:00Z"
    )
    assert outbox_deliver_message(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert message.status == "pending"
    assert message.attempts == 1
    assert "receiver down" in message.last_error
    # Not due yet: the backoff keeps it from being retried at once.
    assert outbox_deliver_message(message_id=message.pk) == "skipped"
    OutboxMessage.objects.filter(pk=message.pk).update(available_at="2000-01-01T00:00Z")
    assert outbox_deliver_message(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.attempts == 2


@pytest.mark.django_db
def test_enqueue_refuses_unknown_topic():
    with pytest.raises(ValueError, match="No outbox handler"):
        outbox_enqueue(topic="nobody.listens", payload={})
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_admin_can_requeue_a_failed_message(role_client):
    message = OutboxMessage.objects.create(
        topic="tests.record", payload={}, status="failed", attempts=10, available_at="2000-01-01T00:00Z"
    )
    client = role_client("admin")
    response = client.post(f"/outbox/{message.pk}/retry/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 0)
    assert "tests.record" in client.get("/outbox/").content.decode()
    again = client.post(f"/outbox/{message.pk}/retry/", follow=True).content.decode()
    assert "is not a failed message" in again and "queued again" not in again  # pending already: nothing done
    missing = client.post("/outbox/987654/retry/", follow=True).content.decode()
    assert "is not a failed message" in missing

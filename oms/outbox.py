"""The transactional outbox: background work that must not be lost.

``outbox_enqueue`` writes a row in the caller's transaction and sends a Celery task when that
transaction commits. If the broker is down at that moment the row simply stays pending and the
beat job ``oms.outbox_sweep`` sends it again. Delivery claims the row for a while (no database lock is
held while a handler talks to the outside world), runs the handler registered for its topic and
marks it done; handlers are keyed by the message id so a redelivery does no harm.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from oms.models import OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], None]
_handlers: dict[str, Handler] = {}

CLAIM_SECONDS = 300


def outbox_handler(topic: str) -> Callable[[Handler], Handler]:
    """Registers the function that delivers messages of ``topic``."""

    def register(func: Handler) -> Handler:
        _handlers[topic] = func
        return func

    return register


def registered_topics() -> list[str]:
    return sorted(_handlers)


def outbox_enqueue(*, topic: str, payload: dict, delay_seconds: float = 0) -> OutboxMessage:
    if topic not in _handlers:
        raise ValueError(f"No outbox handler for topic {topic!r}")
    message = OutboxMessage.objects.create(
        topic=topic, payload=payload, available_at=timezone.now() + timedelta(seconds=delay_seconds)
    )
    transaction.on_commit(lambda: send_to_worker(message.pk))
    return message


def send_to_worker(message_id: int) -> bool:
    """Hands a message to Celery; a broker failure is logged and left to the sweeper."""
    from oms.tasks import outbox_deliver

    try:
        outbox_deliver.apply_async((message_id,), retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker error leaves the row pending
        logger.warning("Outbox message %s not sent to the broker (%s); the sweeper will retry", message_id, exc)
        return False
    return True


def _claim(message_id: int) -> OutboxMessage | None:
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=message_id,
        status=OutboxMessage.Status.PENDING,
        available_at__lte=now,
    ).update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    return OutboxMessage.objects.get(pk=message_id) if claimed else None


def _outbox_transition(message_id: int, *, to: str, only_from: str | None = None, **fields) -> bool:
    """The one place an outbox message changes status; returns whether a row changed."""
    rows = OutboxMessage.objects.filter(pk=message_id)
    if only_from is not None:
        rows = rows.filter(status=only_from)
    return rows.update(status=to, **fields) == 1


def outbox_deliver_message(*, message_id: int) -> str:
    """Delivers one message; returns what happened (``done``, ``skipped``, ``retry`` or ``failed``)."""
    message = _claim(message_id)
    if message is None:
        return "skipped"
    handler = _handlers.get(message.topic)
    try:
        if handler is None:
            raise LookupError(f"No outbox handler for topic {message.topic!r}")
        handler(message)
    except Exception as exc:  # noqa: BLE001 - recorded on the row and retried with backoff
        failed = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        backoff = min(2 ** message.attempts * 10, 3600)
        _outbox_transition(
            message.pk,
            to=OutboxMessage.Status.FAILED if failed else OutboxMessage.Status.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            available_at=timezone.now() + timedelta(seconds=backoff),
            claimed_until=None,
        )
        logger.warning("Outbox message %s (%s) failed: %s", message.pk, message.topic, exc)
        return "failed" if failed else "retry"
    _outbox_transition(
        message.pk, to=OutboxMessage.Status.DONE, done_at=timezone.now(), claimed_until=None, last_error=""
    )
    return "done"


def outbox_sweep(*, older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Re-sends pending messages whose delivery has not happened; returns how many were sent."""
    wait = settings.OUTBOX_RETRY_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    now = timezone.now()
    due = (
        OutboxMessage.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            status=OutboxMessage.Status.PENDING,
            available_at__lte=now,
            created_at__lte=now - timedelta(seconds=wait),
        )
        .order_by("available_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for message_id in list(due) if send_to_worker(message_id))


def outbox_retry_failed(*, message_id: int) -> bool:
    """Puts a failed message back in the queue (from the admin outbox page); False when it is not a failed one."""
    if _outbox_transition(
        message_id,
        to=OutboxMessage.Status.PENDING,
        only_from=OutboxMessage.Status.FAILED,
        available_at=timezone.now(),
        attempts=0,
    ):
        transaction.on_commit(lambda: send_to_worker(message_id))
        return True
    return False

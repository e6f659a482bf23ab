"""Channel jobs: imports (run, resume, watched folders, URL pulls), webhooks and the availability push."""

import logging

from celery import shared_task

from oms.celery import register_beat
from oms.outbox import outbox_handler
from payments.events import payment_listener

logger = logging.getLogger(__name__)


@shared_task(name="channels.import_run", acks_late=True)
def import_run_task(job_id: int) -> str:
    from orders.channels.imports import import_job_run

    job = import_job_run(job_id=job_id)
    return job.status if job else "busy"


@shared_task(name="channels.import_resume")
def import_resume_task() -> int:
    """Re-sends jobs still waiting or left running by a worker that died (a running job holds its lock)."""
    from orders.channels.imports import send_job
    from orders.channels.models import ImportJob

    ids = list(ImportJob.objects.filter(status__in=[ImportJob.Status.PENDING, ImportJob.Status.RUNNING])
               .values_list("pk", flat=True)[:50])
    return sum(1 for job_id in ids if send_job(job_id))


@shared_task(name="channels.import_poll")
def import_poll_task() -> int:
    from orders.channels.sources import poll_sources

    return poll_sources()


@outbox_handler("channels.webhook")
def webhook_handler(message) -> None:
    from orders.channels.webhooks import deliver

    deliver(delivery_id=message.payload["delivery_id"])


def _install_status_handler() -> None:
    """Extends the orders app's ``orders.channel_status`` handler (it only logs) with the webhook fan-out."""
    from oms.outbox import _handlers
    from orders.tasks import channel_status_handler as orders_handler

    if _handlers.get("orders.channel_status") not in (orders_handler, None):
        return

    @outbox_handler("orders.channel_status")
    def channel_status_handler(message) -> None:
        from orders.channels.webhooks import status_changed

        orders_handler(message)
        status_changed(order_id=message.payload["order_id"], status=message.payload["status"], message_id=message.pk)


_install_status_handler()


@payment_listener
def refund_listener(*, payment_id, order_id, method, previous, status, refund_id=None) -> None:
    from orders.channels.webhooks import payment_changed

    payment_changed(payment_id=payment_id, order_id=order_id, method=method, previous=previous, status=status)


@shared_task(name="channels.availability_push")
def availability_push_task() -> int:
    from orders.channels.webhooks import availability_push

    return availability_push()


@shared_task(name="channels.idempotency_prune")
def idempotency_prune_task(days: int = 7) -> int:
    """Forgets stored Idempotency-Key answers after a week (channels retry within minutes or hours)."""
    from datetime import timedelta

    from django.utils import timezone

    from orders.channels.models import IdempotencyRecord

    cutoff = timezone.now() - timedelta(days=days)
    return IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()[0]


register_beat("channels-idempotency-prune", "channels.idempotency_prune", 86400.0)
register_beat("channels-availability-push", "channels.availability_push", 300.0)
register_beat("channels-import-resume", "channels.import_resume", 120.0)
register_beat("channels-import-poll", "channels.import_poll", 60.0)

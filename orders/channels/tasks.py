"""Channel jobs: imports (run, resume, watched folders, URL pulls), webhooks and the availability push."""

import logging

from celery import shared_task

from oms.celery import register_beat

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


register_beat("channels-import-resume", "channels.import_resume", 120.0)
register_beat("channels-import-poll", "channels.import_poll", 60.0)

from celery import shared_task

from oms.celery import register_beat
from oms.outbox import outbox_handler
from reports import rollups, services


@shared_task(name="reports.refresh_rollups")
def refresh_rollups_task(days: int = rollups.DEFAULT_REFRESH_DAYS) -> str:
    result = rollups.refresh_rollups(days=days)
    return f"{result['start']}..{result['end']}: {result['sales_rows']} sales rows, {result['product_rows']} SKU rows"


@shared_task(name="reports.run_job", acks_late=True)
def run_job(job_id: int) -> str:
    return services.report_job_run(job_id=job_id)


@shared_task(name="reports.run_schedules")
def run_schedules() -> int:
    return services.report_schedules_run()


@outbox_handler(services.EMAIL_TOPIC)
def email_job(message) -> None:
    services.report_job_email(job_id=message.payload["job_id"])


@shared_task(name="reports.expire_jobs")
def expire_jobs() -> int:
    return services.report_jobs_expire()


@outbox_handler(services.JOB_TOPIC)
def dispatch_job(message) -> None:
    """Hands the job to a worker; a broker error raises, so the outbox retries the message."""
    run_job.apply_async((message.payload["job_id"],), retry=False)


register_beat("reports-refresh-rollups", "reports.refresh_rollups", 600.0)
register_beat("reports-expire-jobs", "reports.expire_jobs", 3600.0)
register_beat("reports-run-schedules", "reports.run_schedules", 900.0)

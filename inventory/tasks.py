"""Inventory background jobs: the reorder scan (beat), big imports and the sweep of imports whose worker died."""

from celery import shared_task

from oms.celery import register_beat


@shared_task(name="inventory.reorder_scan")
def reorder_scan_task() -> dict:
    """Raises reorder alerts and drafts purchase orders; safe to run at any time, any number of times."""
    from inventory.services import reorder_scan

    result = reorder_scan(acting_user=None, draft=True)
    return {"raised": result.raised, "resolved": result.resolved, "drafted": result.drafted_alerts}


register_beat("inventory-reorder-scan", "inventory.reorder_scan", 15 * 60.0)


@shared_task(name="inventory.import_job", acks_late=True)
def import_job_task(job_id: int, step: str, user_id: int | None) -> None:
    """Validates or applies a big import; idempotent (a finished step is not repeated)."""
    from django.contrib.auth import get_user_model

    from inventory.imports import import_job_apply, import_job_validate
    from inventory.models import ImportJob

    job = ImportJob.objects.filter(pk=job_id).only("status", "language").first()
    if job is None:
        return
    with job.in_language():  # its messages as the person who uploaded the file reads them
        if step == "validate" and job.status == ImportJob.Status.VALIDATING:
            import_job_validate(job_id=job_id)
        elif step == "apply" and job.status == ImportJob.Status.APPLYING:
            user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
            import_job_apply(job_id=job_id, acting_user=user)


@shared_task(name="inventory.import_jobs_fail_stale")
def import_jobs_fail_stale_task() -> int:
    """Marks failed the import jobs left validating or applying by a worker that died (nothing was applied)."""
    from inventory.imports import import_jobs_fail_stale

    return import_jobs_fail_stale()


register_beat("inventory-import-jobs-fail-stale", "inventory.import_jobs_fail_stale", 5 * 60.0)

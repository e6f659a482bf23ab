"""Import jobs left validating or applying by a worker that died are marked failed, honestly: nothing applied."""

import threading
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from inventory import imports
from inventory.models import ImportJob, ReorderRule
from inventory.tasks import import_job_task, import_jobs_fail_stale_task
from oms.celery import app as celery_app
from tests.inventory.factories import LocationFactory, VariantFactory

STOPPED = ("This import stopped before it finished (its background worker stopped, or never started it); nothing "
           "was applied. Upload the file again.")


def _later(minutes: int):
    return timezone.now() + timedelta(minutes=minutes)


def _ready_reorder_job(user=None) -> ImportJob:
    variant, location = VariantFactory(), LocationFactory()
    job = ImportJob.objects.create(
        kind="reorder_rules", filename="rules.csv", created_by=user,
        data=f"sku,location,reorder_point,order_up_to\n{variant.sku},{location.code},5,20\n".encode())
    imports.import_job_validate(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "ready"
    return job


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_died_while_applying_applied_nothing_and_is_marked_failed(monkeypatch, settings):
    settings.INVENTORY_IMPORT_STALE_MINUTES = 10
    job = _ready_reorder_job()
    assert imports._import_job_transition(job.pk, to=ImportJob.Status.APPLYING, only_from=["ready"])

    def worker_killed(**kwargs):  # the rules are written; the process dies before the job is done
        assert ReorderRule.objects.count() == 1
        raise SystemExit(1)

    monkeypatch.setattr(imports, "audit_record", worker_killed)
    with pytest.raises(SystemExit):
        imports.import_job_apply(job_id=job.pk, acting_user=None)
    job.refresh_from_db()
    assert job.status == "applying"  # what a dead worker leaves behind: the page would poll for ever
    assert not ReorderRule.objects.exists()  # the file is applied in one transaction with the move to done

    assert imports.import_jobs_fail_stale(now=_later(9)) == 0  # not stale yet
    assert imports.import_jobs_fail_stale(now=_later(11)) == 1
    job.refresh_from_db()
    assert (job.status, job.message, job.finished_at is not None) == ("failed", STOPPED, True)
    # The task delivered again later finds the job failed and leaves it so.
    monkeypatch.undo()
    import_job_task(job.pk, "apply", None)
    job.refresh_from_db()
    assert job.status == "failed"
    assert not ReorderRule.objects.exists()


@pytest.mark.django_db
def test_the_beat_sweep_fails_jobs_stuck_validating_and_leaves_finished_and_recent_ones(settings):
    assert celery_app.conf.beat_schedule["inventory-import-jobs-fail-stale"]["task"] == \
        "inventory.import_jobs_fail_stale"
    stuck = ImportJob.objects.create(kind="stock", filename="lost.csv", data=b"sku,location,on_hand\n")
    ready = _ready_reorder_job()
    ImportJob.objects.filter(pk__in=[stuck.pk, ready.pk]).update(status_since=_later(-60))
    recent = ImportJob.objects.create(kind="stock", filename="new.csv", data=b"sku,location,on_hand\n")

    assert import_jobs_fail_stale_task() == 1
    statuses = dict(ImportJob.objects.values_list("pk", "status"))
    assert statuses == {stuck.pk: "failed", ready.pk: "ready", recent.pk: "validating"}
    assert ImportJob.objects.get(pk=stuck.pk).message == STOPPED
    # A worker finishing its check after the sweep does not bring the job back.
    imports.import_job_validate(job_id=stuck.pk)
    stuck.refresh_from_db()
    assert (stuck.status, stuck.message) == ("failed", STOPPED)


@pytest.mark.django_db
def test_the_sweep_writes_in_the_uploaders_language():
    from django.utils import translation

    with translation.override("pt-br"):
        job = ImportJob.objects.create(kind="stock", filename="lost.csv", data=b"")
    assert imports.import_jobs_fail_stale(now=_later(60)) == 1
    job.refresh_from_db()
    assert job.message.startswith("Esta importação parou antes de terminar")


@pytest.mark.django_db(transaction=True)
def test_a_job_being_applied_right_now_is_left_alone():
    """A job whose row is locked is inside its apply transaction (which moves it to done or rolls back)."""
    job = _ready_reorder_job()
    imports._import_job_transition(job.pk, to=ImportJob.Status.APPLYING)
    locked, release = threading.Event(), threading.Event()

    def applying():
        try:
            with transaction.atomic():
                ImportJob.objects.select_for_update().filter(pk=job.pk).exists()
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=applying)
    thread.start()
    try:
        assert locked.wait(30)
        assert imports.import_jobs_fail_stale(now=_later(60)) == 0
    finally:
        release.set()
        thread.join(30)
    assert ImportJob.objects.get(pk=job.pk).status == "applying"
    assert imports.import_jobs_fail_stale(now=_later(60)) == 1

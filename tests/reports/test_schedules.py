from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from oms.models import AuditEntry, OutboxMessage
from oms.outbox import outbox_deliver_message
from reports import services
from reports.errors import InvalidReportParameters, ReportNotAllowed
from reports.models import ReportJob, ReportSchedule

TUESDAY, MONDAY = date(2026, 11, 24), date(2026, 11, 23)


def _schedule(user, **overrides):
    fields = {"kind": "customers", "format": "csv", "parameters": {}, "period_days": 7, "frequency": "daily",
              "recipients": "ana@example.com, bruno@example.com", "acting_user": user}
    return services.report_schedule_create(**{**fields, **overrides})


def test_schedule_validation_creates_nothing_on_bad_input(make_user):
    user = make_user("manager")
    with pytest.raises(InvalidReportParameters) as exc:
        _schedule(user, recipients="ana@example.com, not-an-email")
    assert exc.value.field == "recipients"
    with pytest.raises(InvalidReportParameters):
        _schedule(user, period_days=0)
    with pytest.raises(ReportNotAllowed):
        _schedule(make_user("finance"), kind="inventory")
    assert ReportSchedule.objects.count() == 0


def test_due_schedules_queue_one_job_a_day_and_weekly_ones_on_mondays(make_user, world):
    user = make_user("manager")
    daily = _schedule(user, kind="orders")
    weekly = _schedule(user, frequency="weekly", kind="customers")
    assert services.report_schedules_run(today=TUESDAY) == 1
    assert services.report_schedules_run(today=TUESDAY) == 0
    job = ReportJob.objects.get()
    assert job.parameters["email_to"] == ["ana@example.com", "bruno@example.com"]
    assert (job.parameters["start"], job.parameters["end"]) == ("2026-11-17", "2026-11-23")
    assert job.parameters["schedule_id"] == daily.pk
    ReportSchedule.objects.update(last_run_on=None)
    assert services.report_schedules_run(today=MONDAY) == 2
    assert ReportJob.objects.filter(kind="customers", parameters__schedule_id=weekly.pk).count() == 1


def test_finished_scheduled_job_is_emailed_with_the_file(make_user, world, django_capture_on_commit_callbacks):
    _schedule(make_user("manager"))
    services.report_schedules_run(today=TUESDAY)
    job = ReportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=False):
        assert services.report_job_run(job_id=job.pk) == "done"
    message = OutboxMessage.objects.get(topic=services.EMAIL_TOPIC)
    assert outbox_deliver_message(message_id=message.pk) == "done"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ana@example.com", "bruno@example.com"]
    assert sent.attachments[0][0].endswith(".csv")
    content = sent.attachments[0][1]
    assert (content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")).startswith(
        "Id,Name")


def test_owner_losing_permission_stops_the_schedule(make_user):
    user = make_user("manager")
    schedule = _schedule(user)
    user.groups.clear()
    assert services.report_schedules_run(today=TUESDAY) == 0
    schedule.refresh_from_db()
    assert schedule.is_active is False


def test_schedule_views(role_client, make_user):
    client = role_client("manager")
    response = client.post(reverse("reports:schedule_create"), {
        "kind": "orders", "format": "xlsx", "frequency": "weekly", "period_days": "30",
        "recipients": "boss@example.com"})
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert (schedule.kind, schedule.period_days, schedule.recipient_list) == ("orders", 30, ["boss@example.com"])
    page = client.get(reverse("reports:job_list"))
    assert "boss@example.com" in page.content.decode()
    other = make_user("finance")
    client.force_login(other)
    client.post(reverse("reports:schedule_stop", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.is_active is True
    client.force_login(schedule.owner)
    client.post(reverse("reports:schedule_stop", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.is_active is False
    assert AuditEntry.objects.filter(verb="report_schedule_stop").count() == 1


def test_a_schedule_runs_and_mails_in_the_language_its_owner_created_it_in(make_user, world,
                                                                             django_capture_on_commit_callbacks):
    from django.utils import translation

    with translation.override("pt-br"):
        schedule = _schedule(make_user("manager"))
    assert schedule.language == "pt-br"
    services.report_schedules_run(today=TUESDAY)  # the beat job: no request, the site's language active
    job = ReportJob.objects.get()
    assert job.language == "pt-br"
    with django_capture_on_commit_callbacks(execute=False):
        assert services.report_job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    with job.file.open("rb") as fh:
        header = fh.read().decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Id,Nome,"), header
    outbox_deliver_message(message_id=OutboxMessage.objects.get(topic=services.EMAIL_TOPIC).pk)
    assert mail.outbox[0].subject.startswith("Relatório: ")


def test_a_schedule_whose_saved_filters_no_longer_apply_stops_and_the_others_still_run(make_user, world):
    """A schedule saved with a filter its file cannot keep to (payments by location) is refused when it runs: it
    is stopped, and the schedules after it are still queued (the refusal used to escape the loop)."""
    user = make_user("manager")
    stale = _schedule(user, kind="payments")
    ReportSchedule.objects.filter(pk=stale.pk).update(parameters={"location_id": 5})
    fine = _schedule(user, kind="orders")
    ReportSchedule.objects.filter(pk=fine.pk).update(created_at=stale.created_at.replace(year=2020))
    assert services.report_schedules_run(today=TUESDAY) == 1
    assert ReportJob.objects.get().parameters["schedule_id"] == fine.pk
    stale.refresh_from_db()
    assert stale.is_active is False


def test_a_scheduled_report_mail_writes_its_dates_and_rows_as_its_reader_reads_them(
        make_user, world, django_capture_on_commit_callbacks):
    """The subject gave the period as 2026-11-17 – 2026-11-23 to a reader in Brazil, a file of no period read
    "Report: Customers ( – )", and one row was "1 rows"."""
    from django.utils import translation

    manager = make_user("manager")
    with translation.override("pt-br"):
        _schedule(manager, kind="orders")
    _schedule(manager, kind="customers", recipients="carla@example.com")
    world["bruno"].delete()
    services.report_schedules_run(today=TUESDAY)
    for job in ReportJob.objects.order_by("pk"):
        with django_capture_on_commit_callbacks(execute=False):
            assert services.report_job_run(job_id=job.pk) == "done"
    for message in OutboxMessage.objects.filter(topic=services.EMAIL_TOPIC).order_by("pk"):
        outbox_deliver_message(message_id=message.pk)
    orders, customers = sorted(mail.outbox, key=lambda sent: sent.to[0])  # ana's and bruno's, then carla's
    assert orders.subject == "Relatório: Pedidos (17/11/2026 – 23/11/2026)"
    assert orders.body.startswith("0 linha. ")
    assert customers.subject == "Report: Customers"
    assert customers.body.startswith("1 row. Sent by the OMS report schedule #")


def test_a_schedules_email_in_arabic_reads_right_to_left(make_user, world, django_capture_on_commit_callbacks):
    """The report e-mail is plain text written without ``oms.mail``: in Arabic its lines took the direction of
    their first character (the row count) instead of starting right to left as the other Arabic e-mails do."""
    from django.utils import translation

    with translation.override("ar"):
        _schedule(make_user("manager"))
    services.report_schedules_run(today=TUESDAY)
    job = ReportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=False):
        assert services.report_job_run(job_id=job.pk) == "done"
    outbox_deliver_message(message_id=OutboxMessage.objects.get(topic=services.EMAIL_TOPIC).pk)
    [sent] = mail.outbox
    assert sent.subject.startswith("\u200fتقرير: ")
    assert all(line.startswith("\u200f") for line in sent.body.split("\n") if line), sent.body

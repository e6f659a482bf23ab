"""Report jobs: create (with its outbox message), run, expire. ``job_transition`` alone changes a job's status."""

import logging
import os
import tempfile
from datetime import date, timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from oms.access import has_permission
from oms.audit import audit_record
from oms.i18n import split, stored_text
from oms.mail import right_to_left
from oms.models import AuditEntry
from oms.money import CURRENCY_EXPONENTS, default_currency
from oms.numbers import parse_id
from oms.outbox import outbox_enqueue
from oms.query import quoted
from reports import exports, periods
from reports.errors import InvalidReportParameters, JobNotReady, ReportError, ReportNotAllowed
from reports.models import ReportJob, ReportSchedule

logger = logging.getLogger(__name__)

JOB_TOPIC = "reports.run_job"
EMAIL_TOPIC = "reports.email_job"
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
KEEP_DAYS = getattr(settings, "REPORTS_KEEP_DAYS", 7)
MAX_RANGE_DAYS = periods.MAX_DAYS
# Who may run each kind of job (on top of ``view_reports``).
KIND_PERMISSIONS = {
    ReportJob.Kind.ORDERS: "view_orders",
    ReportJob.Kind.ORDER_LINES: "view_orders",
    ReportJob.Kind.CUSTOMERS: "view_orders",
    ReportJob.Kind.INVENTORY: "view_catalogue",
    ReportJob.Kind.MOVEMENTS: "view_catalogue",
    ReportJob.Kind.PAYMENTS: "view_finance",
    ReportJob.Kind.JOURNAL: "view_finance",
    ReportJob.Kind.TOP: "view_reports",
    ReportJob.Kind.SALES: "view_reports",
}
DATED_KINDS = {ReportJob.Kind.ORDERS, ReportJob.Kind.ORDER_LINES, ReportJob.Kind.MOVEMENTS, ReportJob.Kind.PAYMENTS,
               ReportJob.Kind.JOURNAL, ReportJob.Kind.TOP, ReportJob.Kind.SALES}
# Why a job failed, as its requester and managers read it (``ReportJob.error_text``), in their own language.
FAILED_MESSAGE = gettext_noop("The file could not be made because of an unexpected error. Try again; if it fails "
                              "again, tell an administrator the report number (#%(job)s).")
STOPPED_MESSAGE = gettext_noop("The worker stopped before the file was ready. Try again.")
ALLOWED_TRANSITIONS = {
    ReportJob.Status.QUEUED: {ReportJob.Status.RUNNING, ReportJob.Status.FAILED},
    ReportJob.Status.RUNNING: {ReportJob.Status.DONE, ReportJob.Status.FAILED},
    ReportJob.Status.DONE: {ReportJob.Status.EXPIRED},
    ReportJob.Status.FAILED: {ReportJob.Status.EXPIRED},
}


def can_download_any(user) -> bool:
    """Managers and administrators may download every job; others only their own."""
    return has_permission(user, "approve_orders") or has_permission(user, "view_audit")


def can_download(user, job: ReportJob) -> bool:
    return job.requested_by_id == user.pk or can_download_any(user)


def clean_parameters(*, kind: str, parameters: dict, acting_user) -> dict:
    """Validated, normalized parameters; raises ``InvalidReportParameters`` naming the bad one."""
    from reports.selectors import DIMENSIONS, sort_for, sort_known

    out: dict = {}
    if kind in DATED_KINDS:
        dates = {}
        for name, label in (("start", _("From")), ("end", _("To"))):
            try:
                dates[name] = periods.read_date(parameters.get(name), label=label)
            except periods.PeriodError as exc:
                raise InvalidReportParameters(exc.message, field=name) from None
        start, end = dates["start"], dates["end"]
        if start is None or end is None:
            raise InvalidReportParameters(_("Give a start and an end date (YYYY-MM-DD)."),
                                          field="start" if start is None else "end")
        if end < start:
            raise InvalidReportParameters(_("The end date is before the start date."), field="end")
        if (end - start).days > MAX_RANGE_DAYS:
            raise InvalidReportParameters(_("The period is longer than ten years."), field="start")
        out.update(start=start.isoformat(), end=end.isoformat())
    for key, refusal, unused in (
            ("channel_id", _("Choose a channel from the list."),
             _("The file “%(report)s” cannot be limited to one channel: choose “All channels”.")),
            ("location_id", _("Choose a location from the list."),
             _("The file “%(report)s” cannot be limited to one location: choose “All locations”."))):
        value = parameters.get(key)
        if value not in (None, ""):
            if key not in exports.FILTERS[kind]:
                raise InvalidReportParameters(unused % {"report": ReportJob.Kind(kind).label}, field=key)
            out[key] = parse_id(value)
            if out[key] is None or not _exists(key, out[key]):  # a file of no channel would be empty, not refused
                raise InvalidReportParameters(refusal, field=key)
    include_cost = has_permission(acting_user, "view_cost")
    if kind == ReportJob.Kind.TOP:
        if parameters.get("dimension") not in DIMENSIONS:
            raise InvalidReportParameters(_("Unknown report dimension."), field="dimension")
        out["dimension"] = parameters["dimension"]
        if not sort_known(str(parameters.get("sort") or "").strip()):
            raise InvalidReportParameters(_("Sort: there is no column “%(value)s”.")
                                          % {"value": quoted(str(parameters.get("sort")))}, field="sort")
        out["sort"] = sort_for(str(parameters.get("sort") or "").strip(), show_cost=include_cost)
        out["compare"] = "year" if parameters.get("compare") == "year" else "previous"
        try:
            out["limit"] = max(1, min(int(parameters.get("limit") or 100), 1000))
        except (TypeError, ValueError):
            raise InvalidReportParameters(_("The number of rows is not a number."), field="limit") from None
        currency = str(parameters.get("currency") or "").strip().upper()
        if currency and currency not in CURRENCY_EXPONENTS:
            raise InvalidReportParameters(_("Unknown currency: %(value)s.") % {"value": quoted(currency)},
                                          field="currency")
        out["currency"] = currency or default_currency()
    out["include_cost"] = include_cost
    if parameters.get("email_to"):
        out["email_to"] = clean_recipients(parameters["email_to"])
    if parameters.get("schedule_id"):
        out["schedule_id"] = int(parameters["schedule_id"])
    return out


def _exists(key: str, pk: int) -> bool:
    """Whether the channel or location a file is limited to (``channel_id`` / ``location_id``) is there."""
    from inventory.models import Location
    from orders.models import Channel

    return (Channel if key == "channel_id" else Location).objects.filter(pk=pk).exists()


def clean_recipients(value) -> list[str]:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    items = value if isinstance(value, list) else str(value).split(",")
    emails = [e.strip() for e in items if e.strip()]
    if not emails or len(emails) > 20:
        raise InvalidReportParameters(_("Give between one and twenty e-mail addresses."), field="recipients")
    for email in emails:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidReportParameters(_("%(email)s is not an e-mail address.") % {"email": email},
                                          field="recipients") from None
    return emails


def report_job_create(*, kind: str, format: str, parameters: dict, acting_user) -> ReportJob:
    """Queues a report job; its outbox message is written in the same transaction, so it is never lost."""
    if kind not in ReportJob.Kind.values:
        raise InvalidReportParameters(_("Unknown report kind."), field="kind")
    if format not in ReportJob.Format.values:
        raise InvalidReportParameters(_("Unknown file format."), field="format")
    if not (has_permission(acting_user, "view_reports") and has_permission(acting_user, KIND_PERMISSIONS[kind])):
        raise ReportNotAllowed()
    cleaned = clean_parameters(kind=kind, parameters=parameters, acting_user=acting_user)
    with transaction.atomic(durable=True):
        job = ReportJob.objects.create(kind=kind, format=format, parameters=cleaned, requested_by=acting_user)
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=job, verb="report_job_create",
                     changes={"kind": kind, "format": format, "parameters": cleaned})
        outbox_enqueue(topic=JOB_TOPIC, payload={"job_id": job.pk})
    return job


def job_transition(job_id: int, *, to: str, **fields) -> bool:
    """The one place a job's status changes; only allowed moves happen. Returns whether the row changed."""
    sources = [s for s, targets in ALLOWED_TRANSITIONS.items() if to in targets]
    return ReportJob.objects.filter(pk=job_id, status__in=sources).update(status=to, **fields) == 1


def report_job_run(*, job_id: int) -> str:
    """Runs one job; idempotent (a job already claimed, done or failed is skipped)."""
    if not job_transition(job_id, to=ReportJob.Status.RUNNING, started_at=timezone.now(), progress=0):
        return "skipped"
    job = ReportJob.objects.get(pk=job_id)
    with job.in_language():  # headers, labels and titles as the person who asked reads them
        return _write_job_file(job)


def _write_job_file(job: ReportJob) -> str:
    job_id = job.pk
    fd, path = tempfile.mkstemp(suffix=f".{job.format}")
    os.close(fd)
    try:
        source = exports.SOURCES[job.kind](job.parameters)
        total = source.count()
        ReportJob.objects.filter(pk=job_id).update(total_rows=total)
        state = {"last": -1}

        def progress(n: int) -> None:
            percent = min(99, int(n * 100 / total)) if total else 99
            if percent != state["last"]:
                state["last"] = percent
                ReportJob.objects.filter(pk=job_id).update(progress=percent, row_count=n)

        exports.WRITERS[job.format](path, source, progress)
        name = f"{job.kind}-{job.pk}-{timezone.localtime():%Y%m%d-%H%M}.{job.format}"
        with open(path, "rb") as fh:
            job.file.save(name, File(fh), save=False)
        rows = ReportJob.objects.get(pk=job_id).row_count
        with transaction.atomic():
            job_transition(job_id, to=ReportJob.Status.DONE, file=job.file.name, progress=100, row_count=rows,
                           finished_at=timezone.now(), expires_at=timezone.now() + timedelta(days=KEEP_DAYS))
            if job.parameters.get("email_to"):
                outbox_enqueue(topic=EMAIL_TOPIC, payload={"job_id": job_id})
        return "done"
    except Exception as exc:
        logger.exception("Report job %s failed", job_id)
        if isinstance(exc, ReportError):  # a reason written for people, in the requester's language
            error, params = exc.message[:2000], None
        else:  # the technical detail is in the log above; people read what happened and what to do
            error, params = split(stored_text(FAILED_MESSAGE, job=job_id))
        job_transition(job_id, to=ReportJob.Status.FAILED, error=error, error_params=params,
                       finished_at=timezone.now(), expires_at=timezone.now() + timedelta(days=KEEP_DAYS))
        return "failed"
    finally:
        os.unlink(path)


STALE_RUNNING_SECONDS = getattr(settings, "CELERY_TASK_TIME_LIMIT", 1800) + 300


def report_jobs_expire(*, now=None) -> int:
    """Deletes the files of jobs past their expiry and marks them expired; returns how many.

    Also fails jobs still "running" past the task time limit (their worker died), so they do not spin forever.
    """
    now = now or timezone.now()
    for job_id in ReportJob.objects.filter(status=ReportJob.Status.RUNNING,
                                           started_at__lt=now - timedelta(seconds=STALE_RUNNING_SECONDS)
                                           ).values_list("pk", flat=True):
        error, params = split(stored_text(STOPPED_MESSAGE))
        job_transition(job_id, to=ReportJob.Status.FAILED, error=error, error_params=params,
                       finished_at=now, expires_at=now + timedelta(days=KEEP_DAYS))
    count = 0
    for job in ReportJob.objects.filter(expires_at__lt=now, status__in=[ReportJob.Status.DONE,
                                                                        ReportJob.Status.FAILED]):
        if job.file:
            job.file.delete(save=False)
        if job_transition(job.pk, to=ReportJob.Status.EXPIRED, file=""):
            count += 1
    return count


def report_job_download(*, job: ReportJob, request):
    """Opens a finished job's file for ``request.user`` and records the download in the audit trail."""
    from oms.audit import audit_access

    if not can_download(request.user, job):
        raise ReportNotAllowed(_("Only the person who asked for this report, managers and administrators may "
                                 "download it."))
    if job.status != ReportJob.Status.DONE or not job.file:
        raise JobNotReady()
    audit_access(request, job, verb="report_download")
    return job.file.open("rb")


# --------------------------------------------------------------------------------------- scheduled reports

def report_schedule_create(*, kind: str, format: str, parameters: dict, period_days: int, frequency: str,
                           recipients: str, acting_user) -> ReportSchedule:
    """Validates like a job (permissions included) and stores the schedule."""
    if frequency not in ReportSchedule.Frequency.values:
        raise InvalidReportParameters(_("Unknown frequency."), field="frequency")
    if not 1 <= int(period_days) <= 366:
        raise InvalidReportParameters(_("The period must be between 1 and 366 days."), field="period_days")
    if kind not in ReportJob.Kind.values or format not in ReportJob.Format.values:
        raise InvalidReportParameters(_("Unknown report kind."), field="kind")
    if not (has_permission(acting_user, "view_reports") and has_permission(acting_user, KIND_PERMISSIONS[kind])):
        raise ReportNotAllowed()
    today = timezone.localdate()
    probe = {**parameters, "start": (today - timedelta(days=period_days)).isoformat(),
             "end": (today - timedelta(days=1)).isoformat()}
    cleaned = clean_parameters(kind=kind, parameters=probe, acting_user=acting_user)
    emails = clean_recipients(recipients)
    kept = {k: v for k, v in cleaned.items() if k not in ("start", "end", "include_cost")}
    with transaction.atomic(durable=True):
        schedule = ReportSchedule.objects.create(kind=kind, format=format, parameters=kept, period_days=period_days,
                                                 frequency=frequency, recipients=", ".join(emails), owner=acting_user)
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=schedule, verb="report_schedule_create",
                     changes={"kind": kind, "recipients": emails, "frequency": frequency})
    return schedule


def report_schedule_stop(*, schedule_id: int, acting_user) -> None:
    schedule = ReportSchedule.objects.get(pk=schedule_id)
    if schedule.owner_id != acting_user.pk and not can_download_any(acting_user):
        raise ReportNotAllowed()
    with transaction.atomic(durable=True):
        ReportSchedule.objects.filter(pk=schedule_id).update(is_active=False)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=schedule, verb="report_schedule_stop",
                     changes={"is_active": [True, False]})


def report_schedules_run(*, today=None) -> int:
    """Queues today's run of every due schedule; each schedule runs at most once a day (claimed by UPDATE)."""
    from django.db.models import Q

    today = today or timezone.localdate()
    due = ReportSchedule.objects.filter(Q(last_run_on__isnull=True) | Q(last_run_on__lt=today), is_active=True)
    if today.weekday() != 0:
        due = due.filter(frequency=ReportSchedule.Frequency.DAILY)
    queued = 0
    for schedule in due.select_related("owner"):
        claimed = ReportSchedule.objects.filter(Q(last_run_on__isnull=True) | Q(last_run_on__lt=today),
                                                pk=schedule.pk).update(last_run_on=today)
        if not claimed:
            continue
        parameters = {**schedule.parameters, "start": (today - timedelta(days=schedule.period_days)).isoformat(),
                      "end": (today - timedelta(days=1)).isoformat(), "email_to": schedule.recipient_list,
                      "schedule_id": schedule.pk}
        try:
            with schedule.in_language():  # the job inherits it
                report_job_create(kind=schedule.kind, format=schedule.format, parameters=parameters,
                                  acting_user=schedule.owner)
            queued += 1
        except ReportError as exc:  # the owner lost the permission, or the saved filters no longer apply: stop
            logger.warning("Report schedule %s stopped: %s", schedule.pk, exc.message)
            ReportSchedule.objects.filter(pk=schedule.pk).update(is_active=False)
    return queued


def report_job_email(*, job_id: int) -> None:
    """E-mails a finished job's file to its recipients (attached when small, else a note to download it)."""
    job = ReportJob.objects.get(pk=job_id)
    if job.status != ReportJob.Status.DONE or not job.file:
        return
    with job.in_language():
        _email_job_file(job)


def _email_job_file(job: ReportJob) -> None:
    from django.core.mail import EmailMessage

    def day(value: str) -> str:  # the period's days as the recipients read dates (23/11/2026 in pt-BR)
        return date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")

    start, end = job.parameters.get("start"), job.parameters.get("end")
    if start and end:
        subject = _("Report: %(report)s (%(start)s – %(end)s)") % {
            "report": job.get_kind_display(), "start": day(start), "end": day(end)}
    else:  # a file of no period (customers, the stock on hand)
        subject = _("Report: %(report)s") % {"report": job.get_kind_display()}
    body = ngettext("%(rows)s row. Sent by the OMS report schedule #%(schedule)s.",
                    "%(rows)s rows. Sent by the OMS report schedule #%(schedule)s.", job.row_count) % {
        "rows": number_format(job.row_count, use_l10n=True, force_grouping=True),
        "schedule": job.parameters.get("schedule_id", "")}
    if job.file.size > MAX_ATTACHMENT_BYTES:
        note = _("The file is too large to attach: download it from Report files (job #%(job)s).")
        body += "\n" + note % {"job": job.pk}
    if translation.get_language_bidi():  # plain text: each line starts right to left, as ``oms.mail`` writes
        subject, body = right_to_left(subject), right_to_left(body)
    message = EmailMessage(subject=subject, body=body, to=job.parameters["email_to"])
    if job.file.size <= MAX_ATTACHMENT_BYTES:
        with job.file.open("rb") as fh:
            message.attach(job.file.name.rsplit("/", 1)[-1], fh.read(), exports.CONTENT_TYPES[job.format])
    message.send(fail_silently=False)

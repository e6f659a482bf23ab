"""Import jobs: a file of channel orders placed in committed chunks, resumable, with an error queue.

The job parses its file (deterministically) and walks the orders from ``cursor``; after each chunk the
cursor and counts are committed. Each order's outcome is an ``ImportRow`` keyed by (job, row number),
and the order itself is keyed by (channel, external id), so a worker killed at any point and started
again finishes the job with nothing lost and nothing duplicated. ``import_job_transition`` and
``import_row_transition`` are the only code that assigns a status here.
"""

import csv
import hashlib
import io

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pydantic import ValidationError

from oms.audit import audit_record
from oms.i18n import stored_text
from oms.models import AuditEntry
from oms.spreadsheets import neutralize
from orders.channels import importers
from orders.channels.errors import ChannelError, ImportFileError
from orders.channels.models import ChannelOrder, ImportJob, ImportRow, StatusMapping
from orders.channels.schemas import ChannelOrderIn, describe_errors

CHUNK_SIZE = 25
# The largest order file read, whatever brings it (an upload, a watched folder, a URL pull): the job reads it whole.
MAX_FILE_BYTES = 20 * 1024 * 1024
SKIPPED_BY_DEFAULT = {"cancelled", "canceled", "refunded", "voided", "failed", "trash", "pending"}
R = ImportRow.Status
J = ImportJob.Status


class ImportInterrupted(Exception):
    """Raised by tests to imitate a worker killed in the middle of a chunk."""


def import_job_transition(job_id: int, *, to: str, **fields) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=to, **fields)


def import_row_transition(*, job_id: int, row_number: int, to: str, new: bool = False, **fields) -> ImportRow:
    """Sets a row's outcome; ``new`` when the caller knows the row is not there yet (one INSERT, no lookup)."""
    if new:
        return ImportRow.objects.create(job_id=job_id, row_number=row_number, status=to, **fields)
    row, _created = ImportRow.objects.update_or_create(job_id=job_id, row_number=row_number,
                                                       defaults={"status": to, **fields})
    return row


def import_job_create(*, channel_id: int, fmt: str, content: bytes, file_name: str, acting_user,
                      source: str = ImportJob.Source.UPLOAD) -> ImportJob:
    """Stores the file and queues the job; a file that cannot be read at all is refused here."""
    orders = importers.parse(fmt, content)
    if not orders:
        raise ImportFileError(_("The file holds no orders."))
    with transaction.atomic(durable=True):
        job = ImportJob(channel_id=channel_id, format=fmt, source=source, file_name=file_name[:200],
                        file_sha256=hashlib.sha256(content).hexdigest(), total=len(orders),
                        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None)
        job.file.save(file_name or "import", ContentFile(content), save=False)
        job.save()
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=job, verb="channel_import_create",
                     changes={"file": file_name, "orders": len(orders)})
        transaction.on_commit(lambda: send_job(job.pk))
    return job


def send_job(job_id: int) -> bool:
    from orders.channels.tasks import import_run_task

    try:
        import_run_task.apply_async((job_id,), retry=False)
    except Exception:  # noqa: BLE001 - the beat job resumes jobs left waiting
        return False
    return True


def _try_lock(job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_lock_id(job_id)])
        return bool(cursor.fetchone()[0])


def _unlock(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_id(job_id)])


def _lock_id(job_id: int) -> int:
    return int.from_bytes(hashlib.sha256(f"import-job:{job_id}".encode()).digest()[:8], "big", signed=True)


def _refresh_counts(job_id: int, **fields) -> None:
    counts = ImportRow.objects.filter(job_id=job_id).aggregate(
        created=Count("pk", filter=Q(status=R.CREATED)), present=Count("pk", filter=Q(status=R.PRESENT)),
        rejected=Count("pk", filter=Q(status=R.REJECTED)))
    ImportJob.objects.filter(pk=job_id).update(created_count=counts["created"], present_count=counts["present"],
                                               rejected_count=counts["rejected"], **fields)


def import_job_run(*, job_id: int, acting_user=None, chunk_size: int = CHUNK_SIZE,
                   interrupt_after: int | None = None) -> ImportJob | None:
    """Runs (or resumes) a job; returns None when another worker is running it. Idempotent once done."""
    if not _try_lock(job_id):
        return None
    try:
        job = ImportJob.objects.select_related("channel").get(pk=job_id)
        if job.status == J.DONE:
            return job
        with job.in_language():  # row errors as the person who uploaded the file reads them
            import_job_transition(job.pk, to=J.RUNNING, error="")
            try:
                job.file.open("rb")
                content = job.file.read()
                job.file.close()
                orders = importers.parse(job.format, content)
            except (OSError, ChannelError) as exc:
                import_job_transition(job.pk, to=J.FAILED, error=str(getattr(exc, "message", exc))[:2000],
                                      finished_at=timezone.now())
                return ImportJob.objects.get(pk=job.pk)
            done = 0
            actions = _status_actions(job.channel_id)
            for start in range(job.cursor, len(orders), chunk_size):
                chunk = orders[start:start + chunk_size]
                # rows already done before a worker stopped are skipped (rejected ones are retried from the queue)
                numbers = [p.row_number for p in chunk]
                finished = set(ImportRow.objects.filter(job_id=job.pk, row_number__in=numbers)
                               .values_list("row_number", flat=True))
                for parsed in chunk:
                    if parsed.row_number not in finished:
                        _import_one(job, parsed, acting_user=acting_user or job.created_by, new=True,
                                    actions=actions)
                    done += 1
                    if interrupt_after is not None and done >= interrupt_after:
                        raise ImportInterrupted()
                _refresh_counts(job.pk, cursor=start + len(chunk), total=len(orders))
            _refresh_counts(job.pk, cursor=len(orders), total=len(orders))
            import_job_transition(job.pk, to=J.DONE, finished_at=timezone.now())
            return ImportJob.objects.get(pk=job.pk)
    finally:
        _unlock(job_id)


def _status_actions(channel_id: int) -> dict[str, str]:
    """The channel's status mappings, read once per job run."""
    return dict(StatusMapping.objects.filter(channel_id=channel_id).values_list("channel_status", "action"))


def _status_action(channel_id: int, status: str, actions: dict[str, str] | None = None) -> str:
    status = (status or "").lower()
    if actions is None:
        actions = _status_actions(channel_id)
    action = actions.get(status)
    if action:
        return action
    return StatusMapping.Action.SKIP if status in SKIPPED_BY_DEFAULT else StatusMapping.Action.IMPORT


def _import_one(job: ImportJob, parsed: importers.ParsedOrder, *, acting_user, data: dict | None = None,
                new: bool = False, actions: dict[str, str] | None = None) -> ImportRow:
    """Imports one order and records its row. ``new``: the caller checked the row is not recorded yet."""
    if not new:
        existing = ImportRow.objects.filter(job=job, row_number=parsed.row_number).first()
        if data is None and existing is not None:
            return existing  # done before the worker stopped (rejected rows are retried from the queue)
    data = data if data is not None else parsed.data
    external_id = (data or {}).get("external_id", parsed.external_id)
    if not isinstance(external_id, str):  # a corrected order may give anything; the schema names the problem
        external_id = parsed.external_id
    base = {"external_id": external_id[:80], "raw": parsed.raw}
    if parsed.error and not data:
        return import_row_transition(job_id=job.pk, row_number=parsed.row_number, new=new, to=R.REJECTED,
                                     error=parsed.error, **base)
    try:
        order_in = ChannelOrderIn.model_validate(data)
    except ValidationError as exc:
        problems = describe_errors(exc.errors())
        return import_row_transition(job_id=job.pk, row_number=parsed.row_number, new=new, to=R.REJECTED,
                                     error=problems, **base)
    action = _status_action(job.channel_id, order_in.channel_status, actions)
    if action == StatusMapping.Action.SKIP:
        return import_row_transition(job_id=job.pk, row_number=parsed.row_number, new=new, to=R.DISCARDED,
                                     error=_("Not imported: status “%(status)s”.") % {
                                         "status": order_in.channel_status}, **base)
    from orders.channels.services import channel_order_cancel, channel_order_create
    from orders.errors import OrderError

    try:
        order, created = channel_order_create(channel_id=job.channel_id, data=order_in, acting_user=acting_user,
                                              source=ChannelOrder.Source.IMPORT, import_job_id=job.pk)
        if action == StatusMapping.Action.IMPORT_CANCELLED and created:
            channel_order_cancel(channel_id=job.channel_id, number=order.number, acting_user=acting_user,
                                 reason=stored_text(gettext_noop("Cancelled on the channel")))
    except (ChannelError, OrderError) as exc:
        field = getattr(exc, "field", "")
        return import_row_transition(job_id=job.pk, row_number=parsed.row_number, new=new, to=R.REJECTED,
                                     error=f"{field}: {exc.message}" if field else exc.message, **base)
    if not created:  # placed by this job for this row before a worker stopped; not for an earlier row of the file
        created = (ChannelOrder.objects.filter(order=order, import_job_id=job.pk).exists()
                   and not ImportRow.objects.filter(job=job, order=order).exclude(row_number=parsed.row_number)
                   .exists())
    return import_row_transition(job_id=job.pk, row_number=parsed.row_number, new=new,
                                 to=R.CREATED if created else R.PRESENT,
                                 error="", order=order, **base)


def import_row_retry(*, row_id: int, fixed: dict, acting_user) -> ImportRow:
    """Imports a rejected row again with the data a person corrected (the ``ChannelOrderIn`` shape)."""
    row = ImportRow.objects.select_related("job").get(pk=row_id)
    if row.status != R.REJECTED:
        raise ChannelError(_("Only rejected rows can be retried."))
    ImportRow.objects.filter(pk=row.pk).update(fixed=fixed)
    parsed = importers.ParsedOrder(row.row_number, row.external_id, row.raw)
    result = _import_one(row.job, parsed, acting_user=acting_user, data=fixed)
    _refresh_counts(row.job_id)
    return result


def import_row_discard(*, row_id: int, acting_user) -> ImportRow:
    row = ImportRow.objects.get(pk=row_id)
    if row.status == R.REJECTED:
        row = import_row_transition(job_id=row.job_id, row_number=row.row_number, to=R.DISCARDED)
        _refresh_counts(row.job_id)
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=row, verb="channel_import_discard")
    return row


def error_report_csv(job: ImportJob) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "external_id", "status", "reason"])
    for row in job.rows.filter(status__in=[R.REJECTED, R.DISCARDED]).order_by("row_number"):
        writer.writerow([neutralize(value) for value in (row.row_number, row.external_id, row.status, row.error)])
    return out.getvalue()


def editable_data(row: ImportRow) -> dict:
    """What the error-queue form starts from: the corrected data, else the data read from the file."""
    if row.fixed:
        return row.fixed
    job = row.job
    if "order" in row.raw or "rows" in row.raw:
        try:
            parsed = _reparse_row(job, row.row_number)
            if parsed is not None:
                return parsed.data
        except ChannelError:
            pass
    return {}


def _reparse_row(job: ImportJob, row_number: int):
    """The row's order read again from the job's file, a number that cannot be read kept as written (to be fixed)."""
    job.file.open("rb")
    content = job.file.read()
    job.file.close()
    return next((p for p in importers.parse_as_written(job.format, content) if p.row_number == row_number), None)

"""Background jobs of the marketing app."""

from celery import shared_task

from oms.celery import register_beat
from oms.outbox import outbox_handler

register_beat("marketing.refresh_segments", "marketing.refresh_segments", 6 * 3600)


@outbox_handler("marketing.segment_refresh")
def _deliver_segment_refresh(message) -> None:
    segment_refresh_task(message.payload["segment_id"])


@outbox_handler("marketing.segment_export")
def _deliver_segment_export(message) -> None:
    segment_export_task(message.payload["export_id"])


@shared_task(name="marketing.export_segment")
def segment_export_task(export_id: int) -> str:
    """Writes a segment's customer extract to a CSV file (idempotent)."""
    from marketing.services import segment_export_run

    return segment_export_run(export_id=export_id)


@shared_task(name="marketing.refresh_segment")
def segment_refresh_task(segment_id: int) -> int:
    """Recomputes a segment's members (idempotent: the result replaces the previous members)."""
    from marketing.services import segment_refresh

    return segment_refresh(segment_id=segment_id)


@shared_task(name="marketing.refresh_segments")
def segments_refresh_all() -> int:
    """Refreshes every segment (beat job); does nothing until the orders app registers its evaluator."""
    from marketing.models import Segment
    from marketing.segments import segment_evaluator
    from marketing.services import segment_refresh

    if segment_evaluator() is None:
        return 0
    for segment_id in Segment.objects.order_by("pk").values_list("pk", flat=True):
        segment_refresh(segment_id=segment_id)
    return Segment.objects.count()

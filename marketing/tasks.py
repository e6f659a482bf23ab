"""Background jobs of the marketing app."""

import logging

from celery import shared_task

from oms.celery import register_beat
from oms.outbox import outbox_handler

logger = logging.getLogger(__name__)

register_beat("marketing.refresh_segments", "marketing.refresh_segments", 6 * 3600)


@outbox_handler("marketing.segment_refresh")
def _deliver_segment_refresh(message) -> None:
    from marketing.errors import InvalidConfiguration

    try:
        segment_refresh_task(message.payload["segment_id"])
    except InvalidConfiguration as error:
        # Rules that cannot be evaluated do not mend by retrying: the segment page shows what is wrong, and
        # saving corrected rules lets the next refresh run.
        logger.warning("Segment %s not refreshed: %s", message.payload["segment_id"], error.message)


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
    from marketing.errors import InvalidConfiguration
    from marketing.models import Segment
    from marketing.segments import segment_evaluator
    from marketing.services import segment_refresh

    if segment_evaluator() is None:
        return 0
    refreshed = 0
    for segment_id in Segment.objects.order_by("pk").values_list("pk", flat=True):
        try:
            segment_refresh(segment_id=segment_id)
        except InvalidConfiguration as error:  # one segment with broken rules does not stop the others
            logger.warning("Segment %s not refreshed: %s", segment_id, error.message)
        else:
            refreshed += 1
    return refreshed

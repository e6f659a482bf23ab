"""Background jobs of the marketing app."""

from celery import shared_task

from oms.outbox import outbox_handler


@outbox_handler("marketing.segment_refresh")
def _deliver_segment_refresh(message) -> None:
    segment_refresh_task(message.payload["segment_id"])


@shared_task(name="marketing.refresh_segment")
def segment_refresh_task(segment_id: int) -> int:
    """Recomputes a segment's members (idempotent: the result replaces the previous members)."""
    from marketing.services import segment_refresh

    return segment_refresh(segment_id=segment_id)

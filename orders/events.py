"""One-line writers of history rows (``OrderEvent``); call them inside the transaction of the change."""

from oms.i18n import StoredText, split
from orders.models import OrderEvent


def order_event(*, order, kind: str = OrderEvent.Kind.STATUS, actor=None, from_status: str = "", to_status: str = "",
                reason: "str | StoredText" = "", data: dict | None = None) -> OrderEvent:
    """``reason``: a system text as ``oms.i18n.stored_text`` (read in the reader's language) or a person's words."""
    text, params = split(reason)
    return OrderEvent.objects.create(
        order=order, kind=kind, actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=from_status, to_status=to_status, reason=text, reason_params=params, data=dict(data or {}),
    )

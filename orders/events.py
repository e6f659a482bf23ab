"""One-line writers of history rows (``OrderEvent``); call them inside the transaction of the change."""

from orders.models import OrderEvent


def order_event(*, order, kind: str = OrderEvent.Kind.STATUS, actor=None, from_status: str = "", to_status: str = "",
                reason: str = "", data: dict | None = None) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, kind=kind, actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=from_status, to_status=to_status, reason=reason or "", data=dict(data or {}),
    )

"""One-line writers of history rows (``OrderEvent``, ``ShipmentEvent``); call them inside the transaction of the
change. ``reason``: a system text as ``oms.i18n.stored_text`` (read in the reader's language) or a person's words."""

from oms.i18n import StoredText, split
from orders.models import OrderEvent, ShipmentEvent


def _person(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def order_event(*, order, kind: str = OrderEvent.Kind.STATUS, actor=None, from_status: str = "", to_status: str = "",
                reason: "str | StoredText" = "", data: dict | None = None) -> OrderEvent:
    text, params = split(reason)
    return OrderEvent.objects.create(
        order=order, kind=kind, actor=_person(actor),
        from_status=from_status, to_status=to_status, reason=text, reason_params=params, data=dict(data or {}),
    )


def shipment_event(*, shipment, actor=None, from_status: str = "", to_status: str = "",
                   reason: "str | StoredText" = "", data: dict | None = None) -> ShipmentEvent:
    text, params = split(reason)
    limit = ShipmentEvent._meta.get_field("reason").max_length  # a person's words are cut to fit; a message id fits
    return ShipmentEvent.objects.create(
        shipment=shipment, actor=_person(actor), from_status=from_status, to_status=to_status,
        reason=text[:limit] if params is None else text, reason_params=params, data=dict(data or {}),
    )

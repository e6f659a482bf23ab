"""News from payments to other apps without importing them.

Every payment status change writes an outbox message (topic ``payments.changed``) in the same
transaction; after commit a worker calls each registered listener with keyword arguments
``payment_id, order_id, method, previous, status`` and, when a refund made the change, ``refund_id`` (its
``PaymentTransaction``: a refund is one piece of news however often it is retried). The orders app registers one,
e.g. to confirm an order whose PIX arrived::

    from payments.events import payment_listener

    @payment_listener
    def on_payment(*, payment_id, order_id, method, previous, status, refund_id=None): ...

Listeners must be idempotent (a redelivery calls them again).
"""

from collections.abc import Callable

from oms.outbox import outbox_enqueue

TOPIC = "payments.changed"
_listeners: list[Callable[..., None]] = []


def payment_listener(func: Callable[..., None]) -> Callable[..., None]:
    if func not in _listeners:
        _listeners.append(func)
    return func


def payment_changed(*, payment, previous: str, refund_id: int | None = None) -> None:
    """Records the change for the listeners; call it inside the transaction of the change."""
    payload = {"payment_id": payment.pk, "order_id": payment.order_id, "method": payment.method,
               "previous": previous, "status": payment.status}
    if refund_id:
        payload["refund_id"] = refund_id
    outbox_enqueue(topic=TOPIC, payload=payload)


def deliver(payload: dict) -> None:
    for listener in list(_listeners):
        listener(**payload)

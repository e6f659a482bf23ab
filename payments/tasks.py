from celery import shared_task

from oms.celery import register_beat
from oms.outbox import outbox_handler


@shared_task(name="payments.resume_pending")
def resume_pending() -> dict:
    """Beat job: finishes processor captures/refunds whose result was never recorded (idempotent)."""
    from payments.services import payment_resume_pending

    return payment_resume_pending()


register_beat("payments-resume-pending", "payments.resume_pending", 300.0)


@outbox_handler("payments.changed")
def payment_changed_handler(message) -> None:
    """Tells the registered listeners (e.g. the orders app) that a payment changed status."""
    from payments.events import deliver

    deliver(message.payload)


@outbox_handler("inventory.po_received")
def po_received_handler(message) -> None:
    """Goods received on a purchase order: its supplier invoices held for differences are matched again."""
    from payments.purchasing import supplier_invoices_rematch

    supplier_invoices_rematch(purchase_order_id=message.payload["po_id"])

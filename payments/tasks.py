from celery import shared_task

from oms.celery import register_beat


@shared_task(name="payments.resume_pending")
def resume_pending() -> dict:
    """Beat job: finishes processor captures/refunds whose result was never recorded (idempotent)."""
    from payments.services import payment_resume_pending

    return payment_resume_pending()


register_beat("payments-resume-pending", "payments.resume_pending", 300.0)

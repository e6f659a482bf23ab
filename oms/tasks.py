from celery import shared_task

from oms.celery import register_beat
from oms.outbox import outbox_deliver_message, outbox_handler, outbox_sweep


@shared_task(name="oms.outbox_deliver", acks_late=True)
def outbox_deliver(message_id: int) -> str:
    return outbox_deliver_message(message_id=message_id)


@shared_task(name="oms.outbox_sweep")
def outbox_sweep_task() -> int:
    return outbox_sweep()


@outbox_handler("oms.email")
def send_email(message) -> None:
    """Sends one e-mail; payload: subject, body, to (list)."""
    from django.core.mail import send_mail

    payload = message.payload
    send_mail(payload["subject"], payload["body"], None, payload["to"], fail_silently=False)


register_beat("oms-outbox-sweep", "oms.outbox_sweep", 30.0)

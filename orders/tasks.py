"""Background jobs of the orders app: draft stock-hold expiry, payment adjustment, channel notices."""

import logging

from celery import shared_task

from oms.celery import register_beat
from oms.outbox import outbox_handler
from payments.events import payment_listener

logger = logging.getLogger(__name__)


@shared_task(name="orders.release_expired_holds")
def release_expired_holds_task() -> int:
    from orders.services import release_expired_holds

    return release_expired_holds()


@outbox_handler("orders.payment_adjust")
def payment_adjust_handler(message) -> None:
    from orders.services import payment_adjust

    payment_adjust(order_id=message.payload["order_id"])


@outbox_handler("orders.channel_status")
def channel_status_handler(message) -> None:
    """Tells the customer (``orders.notifications``) and the sales channel about a status change; the channels
    app plugs its webhooks in here."""
    from orders.notifications import order_status_notice

    payload = message.payload
    logger.info("Order %s is now %s (channel %s)", payload["order_id"], payload["status"], payload.get("channel"))
    order_status_notice(order_id=payload["order_id"], status=payload["status"], previous=payload.get("previous", ""),
                        notice_id=message.pk)


register_beat("orders-release-expired-holds", "orders.release_expired_holds", 60.0)
from orders.channels import tasks as channels_tasks  # noqa: E402,F401
from orders.fulfilment import tasks as fulfilment_tasks  # noqa: E402,F401


@outbox_handler("orders.giftcards_issue")
def giftcards_issue_handler(message) -> None:
    """Issues the gift cards of a confirmed, paid order (codes e-mailed: nobody is there to read them out)."""
    from orders.giftcards import order_giftcards_issue

    order_giftcards_issue(order_id=message.payload["order_id"], acting_user=None, email_all=True)


@payment_listener
def giftcards_on_payment(*, payment_id, order_id, method, previous, status, refund_id=None) -> None:
    """A payment of the order arrived (PIX confirmed...): issue the gift cards it pays for."""
    from orders.giftcards import order_giftcards_issue, order_has_open_gift_cards

    if status == "captured" and order_has_open_gift_cards(order_id):
        order_giftcards_issue(order_id=order_id, acting_user=None, email_all=True)


@payment_listener
def refund_email_on_payment(*, payment_id, order_id, method, previous, status, refund_id=None) -> None:
    """A refund went through: the customer is told (``orders.notifications.refund_notice``)."""
    from orders.notifications import refund_notice

    if refund_id:
        refund_notice(refund_id=refund_id)

"""Background jobs of the orders app: draft stock-hold expiry, payment adjustment, channel notices."""

import logging

from celery import shared_task

from oms.celery import register_beat
from oms.outbox import outbox_handler

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
    """Tells the sales channel about a status change; the channels issue plugs marketplace adapters in here."""
    logger.info("Order %s is now %s (channel %s)", message.payload["order_id"], message.payload["status"],
                message.payload.get("channel"))


register_beat("orders-release-expired-holds", "orders.release_expired_holds", 60.0)
from orders.channels import tasks as channels_tasks  # noqa: E402,F401
from orders.fulfilment import tasks as fulfilment_tasks  # noqa: E402,F401

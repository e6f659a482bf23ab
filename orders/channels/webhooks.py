"""Status updates and availability pushed to each channel's webhook URL, through the outbox.

A status change (``orders.channel_status``) or refund (``payments.changed``) becomes one
``WebhookDelivery`` row per subscribed endpoint plus an outbox message, written in one transaction
and keyed by what caused it, so a redelivery of the cause never sends twice. The outbox delivers
each message with retries and backoff; a receiver or broker that is down only delays it.
Requests carry ``X-OMS-Signature: sha256=<HMAC-SHA256 of the body with the endpoint secret>``.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from oms.outbox import outbox_enqueue
from orders.channels.models import WebhookDelivery, WebhookEndpoint
from orders.channels.services import signature_for
from orders.models import Order

TOPIC = "channels.webhook"
TIMEOUT_SECONDS = 10
STATUS_EVENTS = {
    Order.Status.SHIPPED: "order.shipped", Order.Status.PARTIALLY_SHIPPED: "order.partially_shipped",
    Order.Status.DELIVERED: "order.delivered", Order.Status.CANCELLED: "order.cancelled",
    Order.Status.RETURNED: "order.returned", Order.Status.PARTIALLY_RETURNED: "order.partially_returned",
}
REFUND_STATUSES = {"refunded", "partially_refunded"}


@dataclass(frozen=True)
class HttpResult:
    status: int
    text: str


def http_post(url: str, body: bytes, headers: dict, timeout: float = TIMEOUT_SECONDS) -> HttpResult:
    """Our one outbound HTTP adapter (tests point endpoints at a local server, never replace this)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"Not an HTTP URL: {url}")
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URLs
            return HttpResult(response.status, _storable(response.read(2000)))
    except urllib.error.HTTPError as exc:
        return HttpResult(exc.code, _storable(exc.read(2000)))


def _storable(body: bytes) -> str:
    """A receiver's answer as text PostgreSQL can keep in ``last_error`` (no NUL; bad UTF-8 replaced)."""
    return body.decode("utf-8", "replace").replace("\x00", "")


def _tracking(order: Order) -> list[dict]:
    shipments = getattr(order, "shipments", None)
    if shipments is None:
        return []
    return [{"carrier": s.carrier, "service": s.service, "tracking_number": s.tracking_number, "status": s.status}
            for s in shipments.exclude(tracking_number="").order_by("pk")]


def order_payload(order: Order, event: str, extra: dict | None = None) -> dict:
    return {"event": event, "occurred_at": timezone.now().isoformat(),
            "order": {"number": order.number, "external_id": order.external_ref, "status": order.status,
                      "total": str(order.total), "currency": order.currency},
            "tracking": _tracking(order), **(extra or {})}


def _fan_out(*, channel_id: int, kind: str, event: str, source_key: str, payload: dict,
             order_id: int | None = None) -> int:
    endpoints = [e for e in WebhookEndpoint.objects.filter(channel_id=channel_id, is_active=True) if kind in e.events]
    created = 0
    with transaction.atomic():
        for endpoint in endpoints:
            delivery, new = WebhookDelivery.objects.get_or_create(
                endpoint=endpoint, source_key=source_key[:80],
                defaults={"event": event, "payload": payload, "order_id": order_id})
            if new:
                outbox_enqueue(topic=TOPIC, payload={"delivery_id": delivery.pk})
                created += 1
    return created


def status_changed(*, order_id: int, status: str, message_id: int) -> int:
    """Called for every ``orders.channel_status`` message; returns how many deliveries were queued."""
    event = STATUS_EVENTS.get(status)
    if event is None:
        return 0
    order = Order.objects.select_related("channel").get(pk=order_id)
    return _fan_out(channel_id=order.channel_id, kind=WebhookEndpoint.Event.ORDER_STATUS, event=event,
                    source_key=f"status:{message_id}", payload=order_payload(order, event), order_id=order.pk)


def payment_changed(*, payment_id, order_id, method, previous, status) -> int:
    if status not in REFUND_STATUSES or not order_id:
        return 0
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return 0
    from payments.models import Payment

    refunded = Payment.objects.filter(pk=payment_id).values_list("refunded_amount", flat=True).first()
    payload = order_payload(order, "order.refunded", {"refund": {"amount": str(refunded or 0), "method": method}})
    return _fan_out(channel_id=order.channel_id, kind=WebhookEndpoint.Event.ORDER_STATUS, event="order.refunded",
                    source_key=f"refund:{payment_id}:{refunded}", payload=payload, order_id=order.pk)


def availability_push(*, now=None) -> int:
    """Queues the availability feed for every subscribed endpoint whose feed changed since its last push."""
    import hashlib

    from orders.channels.selectors import channel_feed

    queued = 0
    for endpoint in WebhookEndpoint.objects.select_related("channel").filter(is_active=True):
        if WebhookEndpoint.Event.AVAILABILITY not in endpoint.events:
            continue
        feed = channel_feed(channel=endpoint.channel)
        digest = hashlib.sha256(json.dumps(feed, sort_keys=True).encode()).hexdigest()
        if digest == endpoint.last_feed_hash:
            continue
        with transaction.atomic():
            delivery, new = WebhookDelivery.objects.get_or_create(
                endpoint=endpoint, source_key=f"feed:{digest[:40]}",
                defaults={"event": "availability", "payload": {"event": "availability", "items": feed}})
            if new:
                outbox_enqueue(topic=TOPIC, payload={"delivery_id": delivery.pk})
                queued += 1
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_feed_hash=digest)
    return queued


def deliver(*, delivery_id: int) -> None:
    """Sends one delivery; raises when the receiver does not answer 2xx, so the outbox retries with backoff."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.delivered_at:
        return
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "OMS-Webhooks/1",
               "X-OMS-Event": delivery.event, "X-OMS-Delivery": str(delivery.pk),
               "X-OMS-Signature": signature_for(endpoint.secret, body)}
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    try:
        result = http_post(endpoint.url, body, headers)
    except (OSError, ValueError) as exc:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(last_status_code=None,
                                                              last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    if not 200 <= result.status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(last_status_code=result.status,
                                                              last_error=result.text[:2000])
        raise RuntimeError(f"Webhook answered {result.status}")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(last_status_code=result.status, last_error="",
                                                          delivered_at=timezone.now())

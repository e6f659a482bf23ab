import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from oms.models import OutboxMessage
from oms.outbox import outbox_deliver_message
from orders.channels.models import WebhookDelivery
from orders.channels.services import webhook_endpoint_create
from orders.channels.webhooks import availability_push, status_changed
from orders.models import Order
from tests.channels.conftest import order_payload
from tests.orders.test_services import force_status


@pytest.fixture
def receiver():
    """A tiny HTTP server on 127.0.0.1; ``receiver.answers`` is the list of status codes to give, in order."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            server.received.append({"body": body, "headers": {k.lower(): v for k, v in self.headers.items()}})
            code = server.answers.pop(0) if server.answers else 200
            self.send_response(code)
            self.end_headers()
            self.wfile.write(server.bodies.pop(0) if server.bodies else b"ok" if code < 300 else b"try later")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.received, server.answers, server.bodies = [], [], []
    server.url = f"http://127.0.0.1:{server.server_port}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def deliver_pending(topic):
    results = []
    for message in OutboxMessage.objects.filter(topic=topic, status="pending").order_by("pk"):
        OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
        results.append(outbox_deliver_message(message_id=message.pk))
    return results


def test_cancel_sends_a_signed_update_retried_until_the_receiver_answers(api, shop, receiver):
    endpoint = webhook_endpoint_create(channel_id=shop["channel"].pk, url=receiver.url, events=["order_status"],
                                       acting_user=None)
    number = api.post("/orders", order_payload()).json()["number"]
    OutboxMessage.objects.all().delete()
    assert api.post(f"/orders/{number}/cancel", {"reason": "Out of stock at the channel"}).status_code == 200
    assert deliver_pending("orders.channel_status") == ["done"]
    receiver.answers = [503]
    assert deliver_pending("channels.webhook") == ["retry"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.attempts, delivery.last_status_code, delivery.delivered_at) == (
        "order.cancelled", 1, 503, None)
    assert deliver_pending("channels.webhook") == ["done"]
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (2, 200, "")
    assert delivery.delivered_at is not None
    assert len(receiver.received) == 2
    sent = receiver.received[-1]
    expected = "sha256=" + hmac.new(endpoint.secret.encode(), sent["body"], hashlib.sha256).hexdigest()
    assert sent["headers"]["x-oms-signature"] == expected
    body = json.loads(sent["body"])
    assert (body["event"], body["order"]["number"], body["order"]["external_id"]) == ("order.cancelled", number,
                                                                                      "1001")
    # A redelivered cause adds nothing.
    message = OutboxMessage.objects.get(topic="orders.channel_status")
    assert status_changed(order_id=delivery.order_id, status="cancelled", message_id=message.pk) == 0
    assert WebhookDelivery.objects.count() == 1


def test_a_receivers_answer_with_a_nul_is_kept_as_the_error(api, shop, receiver):
    webhook_endpoint_create(channel_id=shop["channel"].pk, url=receiver.url, events=["order_status"],
                            acting_user=None)
    number = api.post("/orders", order_payload()).json()["number"]
    api.post(f"/orders/{number}/cancel", {"reason": "x"})
    deliver_pending("orders.channel_status")
    receiver.answers, receiver.bodies = [500], [b"broken\x00answer \xed\xa0\x80"]
    assert deliver_pending("channels.webhook") == ["retry"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.last_status_code, delivery.last_error) == (500, "brokenanswer \ufffd\ufffd\ufffd")


def test_receiver_down_keeps_the_update_pending(api, shop):
    webhook_endpoint_create(channel_id=shop["channel"].pk, url="http://127.0.0.1:9/nothing-listens",
                            events=["order_status"], acting_user=None)
    number = api.post("/orders", order_payload()).json()["number"]
    api.post(f"/orders/{number}/cancel", {"reason": "x"})
    deliver_pending("orders.channel_status")
    assert deliver_pending("channels.webhook") == ["retry"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.delivered_at is None
    assert "Connection refused" in delivery.last_error or "URLError" in delivery.last_error
    assert OutboxMessage.objects.get(topic="channels.webhook").status == "pending"


def test_shipped_update_carries_tracking(api, shop, receiver):
    from orders.fulfilment.models import Shipment

    webhook_endpoint_create(channel_id=shop["channel"].pk, url=receiver.url, events=["order_status"],
                            acting_user=None)
    order = Order.objects.get(number=api.post("/orders", order_payload()).json()["number"])
    if order.status == Order.Status.ON_HOLD:
        pytest.skip("held by a rule")
    Shipment.objects.create(order=order, location=shop["dc"], carrier="Correios", service="sedex",
                            tracking_number="BR123456789BR", status="shipped")
    force_status(order, Order.Status.ALLOCATED, Order.Status.SHIPPED)
    deliver_pending("orders.channel_status")
    assert "done" in deliver_pending("channels.webhook")
    shipped = [json.loads(r["body"]) for r in receiver.received if b"order.shipped" in r["body"]]
    assert shipped[0]["tracking"] == [{"carrier": "Correios", "service": "sedex", "tracking_number": "BR123456789BR",
                                       "status": "shipped"}]


def test_availability_push_only_when_the_feed_changes(shop, receiver):
    from inventory.services import StockLine, stock_receive

    webhook_endpoint_create(channel_id=shop["channel"].pk, url=receiver.url, events=["availability"],
                            acting_user=None)
    assert availability_push() == 1
    assert availability_push() == 0
    stock_receive(lines=[StockLine(shop["variants"][0].pk, shop["dc"].pk, 5)], reference="t", acting_user=None)
    assert availability_push() == 1
    assert deliver_pending("channels.webhook") == ["done", "done"]
    items = json.loads(receiver.received[-1]["body"])["items"]
    assert items[0] == {"sku": "MUG-WHT", "locations": {"DC1": 10}, "total": 10, "buffer": 0,
                        "available_to_sell": 10}
    assert {i["sku"]: i["total"] for i in items}["TSHIRT-BLK-M"] == 15


def test_api_order_shipped_in_the_oms_sends_a_signed_update_with_tracking(api, shop, receiver):
    from orders.fulfilment.services import order_allocate, shipment_scan

    endpoint = webhook_endpoint_create(channel_id=shop["channel"].pk, url=receiver.url, events=["order_status"],
                                       acting_user=None)
    order = Order.objects.get(number=api.post("/orders", order_payload()).json()["number"])
    assert order.status == Order.Status.CONFIRMED
    (shipment,) = order_allocate(order_id=order.pk, acting_user=None)
    for sku, quantity in (("TSHIRT-BLK-M", 2), ("MUG-WHT", 1)):
        for _ in range(quantity):
            shipment_scan(shipment_id=shipment.pk, code=sku, acting_user=None)
    shipped = api.post(f"/shipments/{shipment.pk}/events", {"event": "shipped", "carrier": "Correios",
                                                            "service": "sedex", "tracking_number": "BR987654321BR"})
    assert shipped.status_code == 200, shipped.content
    assert shipped.json()["status"] == "shipped"
    deliver_pending("orders.channel_status")
    assert set(deliver_pending("channels.webhook")) == {"done"}
    sent = next(r for r in receiver.received if b'"order.shipped"' in r["body"])
    assert sent["headers"]["x-oms-signature"] == "sha256=" + hmac.new(
        endpoint.secret.encode(), sent["body"], hashlib.sha256).hexdigest()
    body = json.loads(sent["body"])
    assert body["order"] == {"number": order.number, "external_id": "1001", "status": "shipped",
                             "total": body["order"]["total"], "currency": "BRL"}
    assert body["tracking"] == [{"carrier": "Correios", "service": "sedex", "tracking_number": "BR987654321BR",
                                 "status": "shipped"}]


def test_refund_sends_a_refunded_update(api, shop, receiver):
    from decimal import Decimal

    from payments.models import Payment
    from payments.services import payment_confirm, payment_refund

    webhook_endpoint_create(channel_id=shop["channel"].pk, url=receiver.url, events=["order_status"],
                            acting_user=None)
    order = Order.objects.get(number=api.post("/orders", order_payload()).json()["number"])
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.status) == ("bank_transfer", "pending")
    payment_confirm(payment_id=payment.pk, acting_user=None, reference="payout-1")
    payment_refund(payment_id=payment.pk, amount=Decimal("10.00"), reason="Damaged mug", acting_user=None)
    deliver_pending("payments.changed")
    assert deliver_pending("channels.webhook") == ["done"]
    body = json.loads(receiver.received[-1]["body"])
    assert (body["event"], body["order"]["number"], body["refund"]) == (
        "order.refunded", order.number, {"amount": "10.0000", "method": "bank_transfer"})
    # A second partial refund leaves the payment "partially refunded": the channel still hears of it.
    payment_refund(payment_id=payment.pk, amount=Decimal("5.00"), reason="Late delivery", acting_user=None)
    deliver_pending("payments.changed")
    assert deliver_pending("channels.webhook") == ["done"]
    assert json.loads(receiver.received[-1]["body"])["refund"] == {"amount": "15.0000", "method": "bank_transfer"}

import json
from decimal import Decimal

import pytest

from orders.channels.models import ChannelOrder, IdempotencyRecord
from orders.channels.services import api_key_revoke, signature_for
from orders.models import Customer, Order, OrderEvent
from tests.channels.conftest import order_payload
from tests.threads import run_together


def test_post_order_places_it_with_channel_prices_and_customer(api, shop):
    response = api.post("/orders", order_payload())
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert order.channel == shop["channel"]
    assert order.external_ref == "1001"
    assert order.status in (Order.Status.CONFIRMED, Order.Status.ON_HOLD)
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines.order_by("position")] == [
        ("TSHIRT-BLK-M", 2, Decimal("90.0000")), ("MUG-WHT", 1, Decimal("45.5000"))]
    assert order.customer.email == "ana@example.com"
    assert order.shipping_address["city"] == "São Paulo"
    assert order.payment_method == "bank_transfer"
    link = ChannelOrder.objects.get(order=order)
    assert link.declared_total == Decimal("227.50")
    assert link.payments == [{"method": "credit_card", "amount": "227.50", "reference": "ch_1"}]
    assert body["lines"][0]["sku"] == "TSHIRT-BLK-M"


def test_the_channel_price_reason_reads_in_the_readers_language(api, shop):
    """Written by the intake in the worker's language (English), it used to read "Price paid on Web shop" to a
    Brazilian or Arabic-speaking manager."""
    from django.utils import translation

    response = api.post("/orders", order_payload())
    line = Order.objects.get(number=response.json()["number"]).lines.order_by("position").first()
    assert (line.override_reason, line.override_reason_params) == ("Price paid on %(channel)s", {"channel": "Web shop"})
    with translation.override("en"):
        assert line.override_reason_text == "Price paid on Web shop"
    with translation.override("pt-br"):
        assert line.override_reason_text == "Preço pago em Web shop"
    with translation.override("ar"):
        assert "Web shop" in line.override_reason_text and "Price" not in line.override_reason_text


def test_the_migration_makes_the_system_reasons_of_old_lines_stored_texts(api, shop):
    """Lines written before the reasons were stored texts: a channel's English reason and a gift card's become
    stored texts; the same words typed by an agent on a phone order stay as typed."""
    from importlib import import_module

    from django.apps import apps

    from orders.services import draft_create
    from orders.services.placement import DraftLine

    migration = import_module("orders.migrations.0017_orderline_override_reason_params")
    response = api.post("/orders", order_payload())
    channel_line = Order.objects.get(number=response.json()["number"]).lines.order_by("position").first()
    draft = draft_create(channel_id=shop["channel"].pk, acting_user=None, lines=[
        DraftLine(variant_id=v.pk, override_unit_price=Decimal("10"), override_reason="Price paid on the web shop")
        for v in shop["variants"][:2]])
    typed, gift_line = draft.lines.order_by("position")
    type(typed).objects.filter(pk=gift_line.pk).update(override_reason="Gift card value")
    type(typed).objects.filter(pk=channel_line.pk).update(override_reason="Price paid on Web shop",
                                                          override_reason_params=None)

    migration.store_system_reasons(apps, None)
    channel_line.refresh_from_db()
    typed.refresh_from_db()
    gift_line.refresh_from_db()
    assert (channel_line.override_reason, channel_line.override_reason_params) == (
        "Price paid on %(channel)s", {"channel": "Web shop"})
    assert (typed.override_reason, typed.override_reason_params) == ("Price paid on the web shop", None)
    assert (gift_line.override_reason, gift_line.override_reason_params) == ("Gift card value", {})


def test_same_external_id_returns_the_first_order(api):
    first = api.post("/orders", order_payload())
    second = api.post("/orders", order_payload())
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["number"] == first.json()["number"]
    assert Order.objects.filter(external_ref="1001").count() == 1
    assert Customer.objects.filter(email="ana@example.com").count() == 1


def test_idempotency_key_replays_and_refuses_a_different_body(api):
    first = api.post("/orders", order_payload(), HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/orders", order_payload(), HTTP_IDEMPOTENCY_KEY="k-1")
    other = api.post("/orders", order_payload("1002"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Order.objects.exclude(number="").count() == 1
    assert IdempotencyRecord.objects.count() == 1
    too_long = api.post("/orders", order_payload("1003"), HTTP_IDEMPOTENCY_KEY="Z" * 121)
    assert (too_long.status_code, too_long.json()["field"]) == (422, "Idempotency-Key")
    assert not Order.objects.filter(external_ref="1003").exists()


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    (order_payload(lines=[{"sku": "NOPE", "quantity": 1, "unit_price": "1.00"}], total=None), 422, "unknown_sku",
     "lines.0.sku"),
    (order_payload(total="999.00"), 422, "bad_totals", "total"),
    (order_payload(lines=[{"sku": "MUG-WHT", "quantity": "two", "unit_price": "1.00"}]), 422, "invalid",
     "lines.0.quantity"),
    (order_payload(lines=[]), 422, "invalid", "lines"),
    (order_payload(customer={"name": "Ana", "language": "fr"}), 422, "invalid", "customer.language"),
    ({**order_payload(), "surprise": 1}, 422, "invalid", "surprise"),
])
def test_bad_orders_are_refused_with_a_clear_error_and_nothing_created(api, body, status, code, field):
    response = api.post("/orders", body)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["field"] == field
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0


def test_malformed_json_and_huge_payloads(api, settings):
    broken = api.post("/orders", None, raw=b'{"external_id": "1",')
    assert broken.status_code == 400
    assert broken.json()["code"] == "malformed_json"
    settings.CHANNELS_API_MAX_BODY_BYTES = 1000
    huge = api.post("/orders", order_payload(notes="x" * 1500))
    assert huge.status_code == 413
    assert huge.json()["code"] == "payload_too_large"
    assert Order.objects.count() == 0


def test_missing_wrong_or_revoked_key_is_401(client, api, shop):
    assert client.post("/api/v1/orders", data="{}", content_type="application/json").status_code == 401
    wrong = client.get("/api/v1/orders/X", HTTP_AUTHORIZATION="Bearer oms_abc.def")
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "unauthorized"
    api_key_revoke(key_id=shop["key"].pk, acting_user=None)
    assert api.get("/orders/X").status_code == 401


def test_rate_limit_per_key(api, shop):
    from django.core.cache import cache

    from orders.channels.services import integration_update

    cache.clear()
    integration_update(channel_id=shop["channel"].pk, acting_user=None, rate_limit_per_minute=3)
    codes = [api.get("/orders/none").status_code for _ in range(5)]
    assert codes == [404, 404, 404, 429, 429]
    cache.clear()


def test_signed_requests(api, shop):
    from orders.channels.services import api_key_create, integration_update

    integration_update(channel_id=shop["channel"].pk, acting_user=None, require_signature=True)
    unsigned = api.post("/orders", order_payload())
    assert unsigned.status_code == 401
    key, raw = api_key_create(channel_id=shop["channel"].pk, name="signed", acting_user=None, with_signature=True)
    body = json.dumps(order_payload()).encode()
    bad = api.post("/orders", None, raw=body, HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_X_SIGNATURE="sha256=00")
    assert bad.status_code == 401
    assert bad.json()["code"] == "bad_signature"
    good = api.post("/orders", None, raw=body, HTTP_AUTHORIZATION=f"Bearer {raw}",
                    HTTP_X_SIGNATURE=signature_for(key.hmac_secret, body))
    assert good.status_code == 201
    assert Order.objects.exclude(number="").count() == 1


def test_get_and_cancel(api, shop):
    number = api.post("/orders", order_payload()).json()["number"]
    got = api.get(f"/orders/{number}")
    assert got.status_code == 200
    assert got.json()["external_id"] == "1001"
    cancelled = api.post(f"/orders/{number}/cancel", {"reason": "Customer gave up"})
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"
    assert Order.objects.get(number=number).status == Order.Status.CANCELLED
    assert api.get("/orders/WS-999999").status_code == 404


def test_availability_with_channel_buffer(api, shop):
    from orders.channels.services import integration_update, sku_mapping_add

    integration_update(channel_id=shop["channel"].pk, acting_user=None, stock_buffer=3)
    sku_mapping_add(channel_id=shop["channel"].pk, channel_sku="AMZ-MUG", variant_id=shop["variants"][1].pk,
                    acting_user=None)
    response = api.get("/availability?sku=TSHIRT-BLK-M&sku=AMZ-MUG")
    assert response.status_code == 200
    assert response.json() == [
        {"sku": "TSHIRT-BLK-M", "locations": {"DC1": 10}, "total": 10, "buffer": 3, "available_to_sell": 7},
        {"sku": "AMZ-MUG", "locations": {"DC1": 10}, "total": 10, "buffer": 3, "available_to_sell": 7},
    ]
    assert api.get("/availability?sku=NOPE").json()["code"] == "unknown_sku"


def test_openapi_document(client, shop):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/orders" in response.json()["paths"]


@pytest.mark.django_db(transaction=True)
def test_twenty_identical_concurrent_posts_make_one_order(shop):
    from django.test import Client

    body = json.dumps(order_payload("RACE-1"))

    def post(index):
        response = Client().post("/api/v1/orders", data=body, content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Bearer {shop['raw']}",
                                 HTTP_IDEMPOTENCY_KEY="race" if index % 2 else "")
        return response.status_code, response.json().get("number")

    results = run_together([lambda i=i: post(i) for i in range(20)])
    assert Order.objects.filter(external_ref="RACE-1").count() == 1
    number = Order.objects.get(external_ref="RACE-1").number
    assert sorted(code for code, _n in results).count(201) >= 1
    assert all(code in (200, 201) for code, _n in results)
    assert {n for _c, n in results} == {number}
    assert Customer.objects.filter(email="ana@example.com").count() == 1


def test_availability_feeds(api, shop):
    from orders.channels.services import integration_update

    integration_update(channel_id=shop["channel"].pk, acting_user=None, stock_buffer=2)
    feed = api.get("/feed.json").json()
    assert [(r["sku"], r["available_to_sell"]) for r in feed] == [("MUG-WHT", 8), ("SOCKS-3P", 8),
                                                                  ("TSHIRT-BLK-M", 8)]
    csv_text = api.get("/feed.csv").content.decode()
    assert csv_text.splitlines() == ["sku,available_to_sell,total,buffer", "MUG-WHT,8,10,2", "SOCKS-3P,8,10,2",
                                     "TSHIRT-BLK-M,8,10,2"]


def test_shipment_events(api, shop):
    from orders.fulfilment.models import Shipment

    order = Order.objects.get(number=api.post("/orders", order_payload()).json()["number"])
    assert api.post("/shipments/999999/events", {"event": "shipped"}).status_code == 404
    shipment = Shipment.objects.create(order=order, location=shop["dc"], status="pending")
    wrong = api.post(f"/shipments/{shipment.pk}/events", {"event": "teleported"})
    assert (wrong.status_code, wrong.json()["field"]) == (422, "event")
    refused = api.post(f"/shipments/{shipment.pk}/events", {"event": "shipped", "carrier": "Correios"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "tracking_number"
    shipment.refresh_from_db()
    assert shipment.status == "pending"


def test_price_difference_is_noted_on_the_order(api, shop):
    from orders.models import OrderEvent

    number = api.post("/orders", order_payload()).json()["number"]
    order = Order.objects.get(number=number)
    note = OrderEvent.objects.filter(order=order, kind="note").order_by("-pk").first()
    assert "Paid on Web shop: credit_card 227.50 ch_1" in note.reason
    if order.total != Decimal("227.50"):
        assert "Web shop charged 227.50" in note.reason


def test_invalid_customer_data_names_the_field(api):
    body = order_payload(customer={"name": "Ana", "email": "not-an-email"})
    response = api.post("/orders", body)
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (422, "invalid",
                                                                                         "customer.email")
    bad_cep = order_payload(customer={"name": "Ana", "email": "ana2@example.com"},
                            shipping_address={"street": "Rua A", "city": "São Paulo", "state": "SP",
                                              "postal_code": "123"})
    response = api.post("/orders", bad_cep)
    assert (response.status_code, response.json()["field"]) == (422, "shipping_address.postal_code")
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0


def test_the_customers_language_comes_with_the_order(api, shop):
    response = api.post("/orders", order_payload(customer={"name": "Salma", "email": "salma@example.com",
                                                           "language": "ar"}))
    assert response.status_code == 201, response.content
    order = Order.objects.get(number=response.json()["number"])
    assert (order.customer.language, order.customer_language) == ("ar", "ar")


def test_a_channel_order_with_an_unknown_source_code_or_a_coupon(api, shop):
    """A marketplace order goes through the same placing: an unknown source code is not kept (noted instead); a
    coupon list is not part of a channel order (the channel priced it) and is refused naming the field."""
    response = api.post("/orders", order_payload(source_code="MKTPLACE-XYZ"))
    assert response.status_code == 201, response.content
    order = Order.objects.get(number=response.json()["number"])
    assert (order.source_code, order.coupons) == ("", [])
    assert OrderEvent.objects.filter(order=order, reason_params={"codes": "MKTPLACE-XYZ"}).exists()

    refused = api.post("/orders", {**order_payload("1002"), "coupons": ["GHOST"]})
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"] == "coupons"
    assert not Order.objects.filter(external_ref="1002").exists()


def test_the_openapi_document_lists_the_headers_the_api_reads(client, shop):
    """A client generated from the document must know of Idempotency-Key and X-Signature: the API reads them from
    the request, outside the operations' parameters, so the document used to leave them out."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    def headers(path):
        return {p["name"]: p for p in paths[path]["post"].get("parameters", []) if p["in"] == "header"}

    create = headers("/api/v1/orders")
    assert set(create) == {"Idempotency-Key", "X-Signature"}
    assert create["Idempotency-Key"]["schema"]["maxLength"] == 120
    assert not create["Idempotency-Key"]["required"] and not create["X-Signature"]["required"]
    assert set(headers("/api/v1/orders/{number}/cancel")) == {"X-Signature"}
    assert set(headers("/api/v1/shipments/{shipment_id}/events")) == {"X-Signature"}


def test_a_wrong_path_or_query_parameter_is_named_as_the_client_sends_it(api, shop):
    """The error's ``field`` named a body field by its path (``lines.0.quantity``) but a path or query parameter
    with ninja's prefix (``path.shipment_id``, ``query.sku``), which is no name the client knows."""
    response = api.post("/shipments/abc/events", {"event": "shipped"})
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "field": "shipment_id",
                                "message": "shipment_id should be a whole number (such as 2)."}
    response = api.get("/availability")
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "field": "sku", "message": "sku is missing."}
    response = api.post("/orders", order_payload(lines=[{"sku": "MUG-WHT", "quantity": "2", "unit_price": "1"}]))
    assert response.json()["field"] == "lines.0.quantity"


def test_the_tracking_url_is_a_whole_address(api, shop, settings):
    """The channel puts the link in its own e-mails and pages: a path alone ("/track/...") led nowhere there."""
    settings.SITE_URL = "https://oms.example.com/"
    body = api.post("/orders", order_payload()).json()
    order = Order.objects.get(number=body["number"])
    assert body["tracking_url"] == f"https://oms.example.com/track/{order.tracking_token}/"
    assert api.get(f"/orders/{order.number}").json()["tracking_url"] == body["tracking_url"]


@pytest.mark.parametrize(("raw", "field", "says"), [
    (b"[1, 2]", "", "The cancellation should be an object ({…})."),
    (b'"please"', "", "The cancellation should be an object ({…})."),
    (b'{"reasn": "typo"}', "reasn", "reasn is not a field of a cancellation: remove it."),
    (b'{"reason": 5}', "reason", "reason should be text."),
])
def test_a_cancellation_whose_body_is_not_one_cancels_nothing(api, shop, raw, field, says):
    """The body is optional, but a body that is no cancellation ("[1, 2]", a misspelt field) was read as no body at
    all and the order was cancelled with no reason."""
    number = api.post("/orders", order_payload()).json()["number"]
    response = api.post(f"/orders/{number}/cancel", None, raw=raw)
    assert response.status_code == 422, response.content
    assert response.json() == {"code": "invalid", "field": field, "message": says}
    assert Order.objects.get(number=number).status != Order.Status.CANCELLED
    for empty in (b"", b"{}", b"null"):  # no reason given: still a cancellation
        assert api.post(f"/orders/{number}/cancel", None, raw=empty).status_code == 200, empty


def test_a_misspelt_shipment_event_field_is_refused_not_dropped(api, shop):
    """``trackng_number`` was dropped without a word: the shipment went out with no tracking number."""
    response = api.post("/shipments/1/events", {"event": "shipped", "trackng_number": "BR123"})
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "field": "trackng_number",
                                "message": "trackng_number is not a field of a shipment event: remove it."}
    response = api.post("/shipments/1/events", None, raw=b"[1]")
    assert response.json()["message"] == "The shipment event should be an object ({…})."


def test_the_channels_own_placement_time_is_kept_and_returned(api, shop):
    """The time the customer placed the order at the channel is kept beside ours (``placed_at`` stays the time the
    OMS placed it: pricing, promises and reports go by it), and both come back in the answer."""
    from datetime import UTC, datetime

    response = api.post("/orders", order_payload(placed_at="2026-11-20T10:14:40-03:00"))
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert order.channel_placed_at == datetime(2026, 11, 20, 13, 14, 40, tzinfo=UTC)
    assert order.placed_at > order.channel_placed_at
    assert body["channel_placed_at"] == "2026-11-20T13:14:40+00:00"
    assert body["placed_at"] == order.placed_at.isoformat()
    assert api.get(f"/orders/{order.number}").json()["channel_placed_at"] == "2026-11-20T13:14:40+00:00"
    without = api.post("/orders", order_payload("1002"))
    assert without.json()["channel_placed_at"] is None
    assert Order.objects.get(external_ref="1002").channel_placed_at is None


def test_a_channel_clock_a_little_ahead_is_accepted(api, shop):
    from datetime import timedelta

    from django.utils import timezone

    ahead = timezone.now() + timedelta(minutes=2)
    response = api.post("/orders", order_payload(placed_at=ahead.isoformat()))
    assert response.status_code == 201, response.content
    assert Order.objects.get(external_ref="1001").channel_placed_at == ahead


@pytest.mark.parametrize(("placed_at", "says"), [
    ("future", "placed_at 2999-01-01 00:00 UTC is in the future"),
    ("1970-01-01T00:00:00Z", "placed_at 1970-01-01 00:00 UTC is before 2000-01-01"),
    ("0001-01-01T00:00:00+00:00", "placed_at 0001-01-01 00:00 UTC is before 2000-01-01"),
])
def test_a_placement_time_in_the_future_or_long_ago_is_refused_naming_the_field(api, shop, placed_at, says):
    if placed_at == "future":
        placed_at = "2999-01-01T00:00:00Z"
    response = api.post("/orders", order_payload(placed_at=placed_at))
    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["field"]) == ("invalid", "placed_at")
    assert says in response.json()["message"]
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0


def test_a_placement_time_an_hour_ahead_is_refused(api, shop):
    from datetime import timedelta

    from django.utils import timezone

    response = api.post("/orders", order_payload(placed_at=(timezone.now() + timedelta(hours=1)).isoformat()))
    assert (response.status_code, response.json()["field"]) == (422, "placed_at")
    assert "is in the future" in response.json()["message"]


def test_the_openapi_document_describes_the_channel_placement_time(client, shop):
    document = client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "channel_placed_at" in schemas["OrderOut"]["properties"]
    assert "channel_placed_at" in schemas["OrderOut"]["required"]
    assert "channel" in schemas["ChannelOrderIn"]["properties"]["placed_at"]["description"]


def _with_number(field: str, literal: str) -> bytes:
    """The order as JSON text with ``field`` (a dotted path) written as the number ``literal``, as json.dumps never
    writes one."""
    body = order_payload(total=None)
    *path, last = field.split(".")
    holder = body
    for part in path:
        holder = holder[int(part)] if part.isdigit() else holder[part]
    holder[last] = "@NUMBER@"
    return json.dumps(body).replace('"@NUMBER@"', literal).encode()


@pytest.mark.parametrize(("field", "literal"), [
    ("lines.0.unit_price", "1e3"), ("lines.0.unit_price", "1E3"), ("shipping_total", "1.5e2"),
    ("payments.0.amount", "2.275E+2"), ("discount_total", "1e-2"),
])
def test_an_amount_sent_as_a_number_with_an_exponent_is_refused_naming_the_field(api, field, literal):
    """The number 1e3 was read as the float it is, a unit price of 1000: refused as the text "1e3" is."""
    response = api.post("/orders", None, raw=_with_number(field, literal))
    assert response.status_code == 422, response.content
    assert response.json() == {"code": "invalid", "field": field, "message":
                               f"{field} “{literal}” is not a plain number: write it with digits (1000, not 1e3)."}
    assert Order.objects.count() == 0


def test_amounts_sent_as_plain_json_numbers_are_still_read(api):
    response = api.post("/orders", None, raw=_with_number("lines.0.unit_price", "90.00").replace(b'"45.50"', b"45.5"))
    assert response.status_code == 201, response.content
    assert [line["unit_price"] for line in response.json()["lines"]] == ["90.0000", "45.5000"]


@pytest.mark.parametrize(("address", "field"), [
    ("shipping_address", "shipping_address.state"), ("billing_address", "billing_address.state")])
def test_a_wrong_state_or_cep_is_refused_for_a_returning_customer_and_in_the_billing_address(api, address, field):
    """Only a new customer's shipping address was checked: the same order from a customer already known (found by
    e-mail), or with a billing address in a state that does not exist, was placed with "ZZ" and CEP "abc"."""
    assert api.post("/orders", order_payload("1001")).status_code == 201
    wrong = {"street": "Rua A", "city": "São Paulo", "state": "ZZ", "postal_code": "abc"}
    response = api.post("/orders", order_payload("1002", **{address: wrong}))
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (422, "invalid", field)
    assert "“ZZ” is not a Brazilian state" in response.json()["message"]
    assert not Order.objects.filter(external_ref="1002").exists()
    assert (Order.objects.count(), Customer.objects.count()) == (1, 1)


def test_the_orders_addresses_are_written_as_every_address_is(api):
    body = order_payload(shipping_address={"street": "Rua A", "city": "São Paulo", "state": "sp",
                                           "postal_code": "01305000"})
    response = api.post("/orders", body)
    assert response.status_code == 201, response.content
    order = Order.objects.get(number=response.json()["number"])
    assert (order.shipping_address["state"], order.shipping_address["postal_code"]) == ("SP", "01305-000")
    assert order.shipping_address["recipient"] == "Ana Souza"


@pytest.mark.parametrize(("raw", "says"), [
    (b'{"external_id": "1",',
     "This is not valid JSON: look at line 1, column 21 (a missing comma, quote or bracket?)."),
    (b'{\n  "external_id": "1"\n  "lines": []\n}',
     "This is not valid JSON: look at line 3, column 3 (a missing comma, quote or bracket?)."),
    ('{"external_id": "São"}'.encode("latin-1"), "The body is not UTF-8 text (byte 19): send JSON in UTF-8."),
])
def test_a_body_that_is_not_json_is_refused_saying_where(api, raw, says):
    """Every broken body was "The body is not valid JSON.", leaving the channel's developer to find where."""
    response = api.post("/orders", None, raw=raw)
    assert response.status_code == 400
    assert response.json() == {"code": "malformed_json", "message": says, "field": ""}
    assert Order.objects.count() == 0

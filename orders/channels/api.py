"""The channel intake REST API (django-ninja), mounted at ``/api/v1/``.

Each request authenticates with a channel's API key (``Authorization: Bearer oms_<prefix>.<secret>``);
the auth class also enforces the body size limit, the per-key rate limit and the optional HMAC
signature (``X-Signature: sha256=<hex of HMAC-SHA256(body)>``). Errors are ``{code, message, field}``.
"""

import json
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, NinjaAPI, Query, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import ConfigDict, field_validator

from oms.jsontext import JsonNumber, syntax_error_message
from orders.channels import selectors, services
from orders.channels.errors import ChannelError, InvalidPayload, MalformedJson, PayloadTooLarge, Unauthorized
from orders.channels.schemas import ChannelOrderIn, describe_error, error_field, storable_text
from orders.errors import OrderError, PlacementInProgress
from orders.models import Order


def max_body_bytes() -> int:
    return int(getattr(settings, "CHANNELS_API_MAX_BODY_BYTES", 256 * 1024))


class ChannelKeyAuth(HttpBearer):
    """API key -> the channel's ``ApiKey``; also body size, rate limit and signature, before any parsing."""

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            raise Unauthorized()
        return self.authenticate(request, header[7:].strip())

    def authenticate(self, request, token):
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > max_body_bytes():
            raise PayloadTooLarge(_("The body is larger than %(n)s bytes.") % {"n": max_body_bytes()})
        key = services.api_key_authenticate(token)
        integration = services.integration_for(key.channel)
        services.rate_limit_hit(key=key, limit=integration.rate_limit_per_minute)
        if request.method in ("POST", "PUT", "PATCH"):
            body = request.body
            if len(body) > max_body_bytes():
                raise PayloadTooLarge(_("The body is larger than %(n)s bytes.") % {"n": max_body_bytes()})
            services.signature_check(key=key, body=body, header=request.headers.get("X-Signature", ""),
                                     required=integration.require_signature)
        request.channel_key = key
        return key


class ChannelJsonParser(Parser):
    """The body as JSON, a number with a fraction or an exponent read as ``JsonNumber``: it keeps how it was
    written, so that an amount sent as the number 1e3 is refused as the text "1e3" is (``schemas.plain_amount``)."""

    def parse_body(self, request: HttpRequest):
        return json.loads(request.body, parse_float=JsonNumber)


api = NinjaAPI(
    parser=ChannelJsonParser(),
    # Mounted inside the ``orders`` URL namespace.
    title="OMS channel API", version="1", urls_namespace="orders:channels_api", auth=ChannelKeyAuth(),
    description="Order intake, order status, cancellation and availability for sales channels.",
    openapi_url="/openapi.json", docs_url="/docs",
)


class ErrorOut(Schema):
    code: str
    message: str
    field: str = ""


def _error(request, status: int, code: str, message: str, field: str = ""):
    return api.create_response(request, {"code": code, "message": str(message), "field": field}, status=status)


@api.exception_handler(ChannelError)
def _channel_error(request, exc: ChannelError):
    return _error(request, exc.status, exc.code, exc.message, exc.field)


@api.exception_handler(OrderError)
def _order_error(request, exc: OrderError):
    status = 409 if isinstance(exc, PlacementInProgress) else 422
    return _error(request, status, exc.code, exc.message, exc.field)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(request, 401, Unauthorized.code, str(Unauthorized.default_message))


# What each operation's body is, for the error naming it as a whole or a field it does not have.
BODY_SUBJECTS = {"order_cancel": "cancellation", "shipment_event": "shipment_event"}


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    if first.get("type") in ("json_invalid", "json_type") or "JSON" in str(first.get("msg", "")):
        return _error(request, 400, MalformedJson.code, MalformedJson.default_message)
    field = error_field(tuple(first.get("loc", ())))
    subject = BODY_SUBJECTS.get(getattr(request.resolver_match, "url_name", ""), "order")
    return _error(request, 422, "invalid", describe_error(first, subject), field)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400:  # ninja could not parse the body: say where, as the import's JSON reader does
        cause = exc.__cause__
        if isinstance(cause, json.JSONDecodeError):
            return _error(request, 400, MalformedJson.code, syntax_error_message(cause))
        if isinstance(cause, UnicodeDecodeError):
            return _error(request, 400, MalformedJson.code, _(
                "The body is not UTF-8 text (byte %(position)s): send JSON in UTF-8.") % {"position": cause.start + 1})
        return _error(request, 400, MalformedJson.code, MalformedJson.default_message)
    return _error(request, exc.status_code, "error", str(exc))


# Every operation may answer these (the auth class checks key, rate limit, body size and signature first);
# listed in the OpenAPI document so a client knows the error body it gets.
ANY_CALL = {401: ErrorOut, 429: ErrorOut}
WITH_BODY = {**ANY_CALL, 400: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class LineOut(Schema):
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    status: str


class OrderOut(Schema):
    number: str
    external_id: str
    status: str
    currency: str
    customer: dict
    lines: list[LineOut]
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    placed_at: str | None = Field(description="When the OMS placed the order.")
    channel_placed_at: str | None = Field(
        description="When the customer placed it at the channel (the order's placed_at as the channel sent it).")
    tracking_url: str


def order_body(order: Order) -> dict:
    from oms.mail import absolute_url

    customer = order.customer
    return {
        "number": order.number, "external_id": order.external_ref, "status": order.status,
        "currency": order.currency,
        "customer": {"id": customer.pk, "name": customer.name, "email": customer.email} if customer else {},
        "lines": [{"sku": line.sku, "name": line.name, "quantity": line.quantity,
                   "unit_price": str(line.unit_price), "line_total": str(line.line_total), "status": line.status}
                  for line in order.lines.all()],
        "subtotal": str(order.subtotal), "discount_total": str(order.discount_total),
        "shipping_total": str(order.shipping_total), "tax_total": str(order.tax_total), "total": str(order.total),
        "placed_at": order.placed_at.isoformat() if order.placed_at else None,
        "channel_placed_at": order.channel_placed_at.isoformat() if order.channel_placed_at else None,
        # The whole address: the channel puts it in its own e-mails and pages, far from this host.
        "tracking_url": absolute_url("orders:tracking", token=order.tracking_token),
    }


router = Router(tags=["orders"])


IDEMPOTENCY_KEY_LENGTH = 120  # IdempotencyRecord.key

# The headers the auth class and the order post read from the request itself, listed in the OpenAPI document so that
# a client generated from it can send them (ninja only lists the parameters of the function).
SIGNATURE_HEADER = {
    "name": "X-Signature", "in": "header", "required": False,
    "description": "``sha256=<hex of HMAC-SHA256 of the raw body>`` with the key's signing secret; required when "
                   "the channel refuses unsigned calls, checked whenever the key has a secret.",
    "schema": {"type": "string", "examples": ["sha256=" + "0" * 64]},
}
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Any text naming this request: a retry with the same key gets the first answer exactly; the "
                   "same key with another body is 409 ``idempotency_key_reused``.",
    "schema": {"type": "string", "maxLength": IDEMPOTENCY_KEY_LENGTH},
}
WITH_SIGNATURE = {"parameters": [SIGNATURE_HEADER]}


@router.post("/orders", response={200: OrderOut, 201: OrderOut, 409: ErrorOut, **WITH_BODY}, url_name="order_create",
             openapi_extra={"parameters": [IDEMPOTENCY_HEADER, SIGNATURE_HEADER]})
def order_create(request, payload: ChannelOrderIn):
    """Creates (places) a channel order. Idempotent by ``Idempotency-Key`` and by (channel, ``external_id``)."""
    key = request.auth
    channel_id = key.channel_id

    def run():
        order, created = services.channel_order_create(channel_id=channel_id, data=payload, acting_user=None)
        return (201 if created else 200), order_body(Order.objects.get(pk=order.pk))

    idem = request.headers.get("Idempotency-Key", "").strip()
    if len(idem) > IDEMPOTENCY_KEY_LENGTH:  # cut, two keys sharing their start would be taken for one
        raise InvalidPayload(_("The Idempotency-Key header is longer than %(n)s characters.")
                             % {"n": IDEMPOTENCY_KEY_LENGTH}, field="Idempotency-Key")
    if idem:
        status, body, _replayed = services.idempotent_call(
            channel_id=channel_id, key=idem, body_hash=services.request_hash(payload.model_dump(mode="json")), run=run)
    else:
        status, body = run()
    return Status(status, body)


@router.get("/orders/{number}", response={200: OrderOut, 404: ErrorOut, **ANY_CALL}, url_name="order_detail")
def order_detail(request, number: str):
    order = services.channel_order_get(channel_id=request.auth.channel_id, number=number)
    return Status(200, order_body(order))


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, not dropped with its reason

    reason: str = Field(default="", max_length=500)

    @field_validator("reason")
    @classmethod
    def _storable(cls, value):
        return storable_text(value)


@router.post("/orders/{number}/cancel", response={200: OrderOut, 404: ErrorOut, **WITH_BODY},
             url_name="order_cancel", openapi_extra=WITH_SIGNATURE)
def order_cancel(request, number: str, payload: CancelIn | None = None):
    """Cancels the order (stock released, payment settled). The body is optional; one that is not an object
    (``[1, 2]``, ``"please"``) is refused rather than read as no body."""
    if request.body.strip() and not isinstance(json.loads(request.body), dict | None):
        raise InvalidPayload(_("The cancellation should be an object ({…})."))
    order = services.channel_order_cancel(channel_id=request.auth.channel_id, number=number,
                                          reason=payload.reason if payload else "", acting_user=None)
    return Status(200, order_body(Order.objects.get(pk=order.pk)))


class AvailabilityOut(Schema):
    sku: str
    locations: dict[str, int]
    total: int
    buffer: int
    available_to_sell: int


@router.get("/availability", response={200: list[AvailabilityOut], 422: ErrorOut, **ANY_CALL},
            url_name="availability", tags=["availability"])
def availability(request, sku: list[str] = Query(..., max_length=200)):  # noqa: B008 - ninja's parameter style
    """Available-to-sell per SKU (per location and total) with this channel's safety buffer applied."""
    channel = request.auth.channel
    return Status(200, selectors.channel_availability(channel=channel, skus=sku))


@router.get("/feed.json", response={200: list[AvailabilityOut], **ANY_CALL}, url_name="feed_json",
            tags=["availability"])
def feed_json(request):
    """The channel's whole availability feed: every active SKU (the channel's SKU where mapped), buffer applied."""
    return Status(200, selectors.channel_feed(channel=request.auth.channel))


@router.get("/feed.csv", response={200: None, **ANY_CALL}, url_name="feed_csv", tags=["availability"])
def feed_csv(request):
    """The same feed as CSV: ``sku,available_to_sell,total,buffer``."""
    import csv
    import io

    from django.http import HttpResponse

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sku", "available_to_sell", "total", "buffer"])
    for row in selectors.channel_feed(channel=request.auth.channel):
        writer.writerow([row["sku"], row["available_to_sell"], row["total"], row["buffer"]])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="availability.csv"'
    return response


class ShipmentEventIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt "trackng_number" is refused, not dropped

    event: str = Field(description="shipped, delivered or failed", max_length=20)
    carrier: str = Field(default="", max_length=40)
    service: str = Field(default="", max_length=40)
    tracking_number: str = Field(default="", max_length=60)
    reason: str = Field(default="", max_length=200)

    @field_validator("*")
    @classmethod
    def _storable(cls, value):
        return storable_text(value)


class ShipmentOut(Schema):
    id: int
    order_number: str
    status: str
    carrier: str
    tracking_number: str


@router.post("/shipments/{shipment_id}/events", response={200: ShipmentOut, 404: ErrorOut, **WITH_BODY},
             url_name="shipment_event", tags=["shipments"], openapi_extra=WITH_SIGNATURE)
def shipment_event(request, shipment_id: int, payload: ShipmentEventIn):
    """A carrier update for a shipment of this channel's order (shipped with tracking, delivered, failed)."""
    shipment = services.shipment_event(channel_id=request.auth.channel_id, shipment_id=shipment_id,
                                       event=payload.event, carrier=payload.carrier, service=payload.service,
                                       tracking_number=payload.tracking_number, reason=payload.reason)
    return Status(200, {"id": shipment.pk, "order_number": shipment.order.number, "status": shipment.status,
                        "carrier": shipment.carrier, "tracking_number": shipment.tracking_number})


api.add_router("/", router)


def _error_body_when_not_allowed(view):
    """ninja answers a method an address does not take with a plain-text 405; the API's clients get its error body."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = JsonResponse({"code": "method_not_allowed", "field": "", "message": _(
                "This address does not take %(method)s; use %(allowed)s.") % {
                "method": request.method, "allowed": allowed}}, status=405)
            response["Allow"] = allowed
        return response

    return wrapper


@csrf_exempt
def not_found(request):
    """Any other address under the API: the error body, not the back office's HTML page."""
    return JsonResponse({"code": "not_found", "field": "", "message": _(
        "There is no API address %(path)s.") % {"path": request.path.replace("\x00", "")}}, status=404)


def api_urls():
    """``api.urls`` with every operation answering 405 as ``{code, message, field}``, and the same body for an
    address the API does not have (call once, in urls.py)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _error_body_when_not_allowed(pattern.callback)
    return [*patterns, re_path(r"^.*$", not_found, name="not_found")], app_name, namespace

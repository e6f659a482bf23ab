"""The only code that changes channel-integration state; channel orders are made by the orders services.

``channel_order_create`` composes the phone screen's services (draft, lines at the price the channel
charged, ``order_place``) so an API or imported order is placed exactly like a phone order. It is
serialized per (channel, external id) with a PostgreSQL advisory lock held across those transactions,
so twenty identical concurrent requests make one order and the others get the first one back.
"""

import hashlib
import hmac
import json
import os
import re
import secrets
from contextlib import contextmanager
from decimal import Decimal

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from oms.audit import audit_record, snapshot, update_audited
from oms.i18n import StoredText, stored_text
from oms.models import AuditEntry
from orders.channels.errors import (
    BadSignature,
    BadTotals,
    IdempotencyConflict,
    InvalidPayload,
    NotFound,
    PreviousAttemptFailed,
    RateLimited,
    Unauthorized,
    UnknownSku,
)
from orders.channels.models import (
    ApiKey,
    ChannelIntegration,
    ChannelOrder,
    IdempotencyRecord,
    ShippingMapping,
    SkuMapping,
    StatusMapping,
    WebhookEndpoint,
)
from orders.channels.schemas import ChannelOrderIn
from orders.models import Channel, Order

TOTAL_TOLERANCE = Decimal("0.01")
# Money the channel collected reaches us as its payout (a transfer): pending until reconciled.
CHANNEL_PAYMENT_METHOD = "bank_transfer"


# --- integration settings, keys, mappings, endpoints ---------------------------------------------


CHANNEL_FIELDS = ["name", "kind", "order_prefix", "currency", "language", "price_list_code", "sourcing_strategy",
                  "allow_oversell", "notify_customers", "card_installments_max", "card_installment_minimum",
                  "is_active"]


def _only(fields, allowed, what: str) -> None:
    """A programming error, not a user's: a service called with a field it does not set."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"Unknown {what} fields: {sorted(unknown)}")


# An order number is the prefix, "-" and six digits: the prefix is read back from numbers people type and shorten
# ("ph1", "PH 000001": orders.selectors.order_number_match) and sits in the API's addresses (/orders/<number>).
ORDER_PREFIX = re.compile(r"[A-Z][A-Z0-9]{0,5}")


def _with_order_prefix(fields: dict) -> dict:
    """``fields`` with the order number prefix in capitals; ``InvalidPayload`` when it is not letters and digits
    beginning with a letter ("Q/1" made numbers the API could not address, "web" beside "WEB" two channels whose
    numbers differ only in case)."""
    if "order_prefix" not in fields:
        return fields
    prefix = str(fields["order_prefix"] or "").strip().upper()
    if not ORDER_PREFIX.fullmatch(prefix):
        raise InvalidPayload(_("The order number prefix “%(prefix)s” should be up to 6 letters and digits, beginning "
                               "with a letter (such as WEB or MKT2).") % {"prefix": fields["order_prefix"]},
                             field="order_prefix")
    return {**fields, "order_prefix": prefix}


def channel_create(*, code: str, acting_user, **fields) -> Channel:
    """A new sales channel (its integration settings start at their defaults)."""
    _only(fields, CHANNEL_FIELDS, "channel")
    fields = _with_order_prefix(fields)
    try:
        with transaction.atomic(durable=True):
            channel = Channel.objects.create(code=code, **fields)
            audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=channel, verb="channel_create",
                         changes=snapshot(channel, ["code", *fields]))
    except IntegrityError:
        if Channel.objects.filter(order_prefix=fields.get("order_prefix")).exists():
            raise InvalidPayload(_("Another channel already has this order number prefix."),
                                 field="order_prefix") from None
        raise InvalidPayload(_("Another channel already has this code or order number prefix."),
                             field="code") from None
    return channel


def channel_update(*, channel_id: int, acting_user, **changes) -> Channel:
    """Changes a channel's settings (not its code: price lists, tax settings and imports refer to it)."""
    _only(changes, CHANNEL_FIELDS, "channel")
    changes = _with_order_prefix(changes)
    try:
        with transaction.atomic(durable=True):
            channel = Channel.objects.select_for_update().get(pk=channel_id)
            update_audited(channel, changes, actor=acting_user, verb="channel_update")
    except IntegrityError:
        raise InvalidPayload(_("Another channel already has this order number prefix."), field="order_prefix") \
            from None
    return channel


def integration_for(channel: Channel) -> ChannelIntegration:
    integration, _created = ChannelIntegration.objects.get_or_create(channel=channel)
    return integration


INTEGRATION_FIELDS = {"import_format", "stock_buffer", "watch_folder", "pull_url", "pull_every_minutes",
                      "rate_limit_per_minute", "require_signature"}


def _watch_folder(path: str) -> str:
    """A watched folder is a whole path to a folder the server has: one it does not have ("/srv/drop/amazn"), or a
    path read from wherever the server was started ("drop"), was saved and then never looked at."""
    path = (path or "").strip()
    if not path:
        return ""
    if not os.path.isabs(path):
        raise InvalidPayload(_("The watch folder “%(path)s” should be a whole path, from / (such as "
                               "/srv/imports/amazon).") % {"path": path}, field="watch_folder")
    if not os.path.isdir(path):
        raise InvalidPayload(_("There is no folder %(path)s on the server.") % {"path": path}, field="watch_folder")
    return os.path.normpath(path)


def integration_update(*, channel_id: int, acting_user, **changes) -> ChannelIntegration:
    _only(changes, INTEGRATION_FIELDS, "integration")
    if "watch_folder" in changes:
        changes["watch_folder"] = _watch_folder(changes["watch_folder"])
    with transaction.atomic(durable=True):
        integration, _created = ChannelIntegration.objects.select_for_update().get_or_create(channel_id=channel_id)
        update_audited(integration, changes, actor=acting_user, verb="channel_integration_update")
    return integration


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(*, channel_id: int, name: str, acting_user, with_signature: bool = False) -> tuple[ApiKey, str]:
    """Creates a key and returns it with the full key text, which is never stored and shown only now."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        key = ApiKey.objects.create(
            channel_id=channel_id, name=name.strip()[:100] or _("API key"), prefix=prefix,
            secret_hash=_hash_secret(secret), hmac_secret=secrets.token_hex(32) if with_signature else "",
            created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        )
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=key, verb="api_key_create")
    return key, f"oms_{prefix}.{secret}"


def api_key_revoke(*, key_id: int, acting_user) -> ApiKey:
    with transaction.atomic(durable=True):
        key = ApiKey.objects.select_for_update().get(pk=key_id)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=key, verb="api_key_revoke")
    return key


def api_key_authenticate(raw: str) -> ApiKey:
    """The active key for ``oms_<prefix>.<secret>``; raises ``Unauthorized``. Compares hashes in constant time."""
    raw = (raw or "").strip()
    if not raw.startswith("oms_") or "." not in raw:
        raise Unauthorized()
    prefix, secret = raw[4:].split(".", 1)
    key = ApiKey.objects.select_related("channel").filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash_secret(secret)) or not key.channel.is_active:
        raise Unauthorized()
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def rate_limit_hit(*, key: ApiKey, limit: int) -> None:
    """Counts one request for the key in the current minute (a Redis counter); raises ``RateLimited`` past it."""
    bucket = f"channels:rate:{key.pk}:{int(timezone.now().timestamp() // 60)}"
    cache.add(bucket, 0, timeout=120)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=120)
        count = 1
    if count > limit:
        raise RateLimited()


def signature_for(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_check(*, key: ApiKey, body: bytes, header: str, required: bool) -> None:
    if not key.hmac_secret:
        if required:
            raise BadSignature(_("This channel requires signed requests; create a key with a signing secret."))
        return
    if not header and not required:
        return
    if not hmac.compare_digest(signature_for(key.hmac_secret, body), (header or "").strip()):
        raise BadSignature()


def sku_mapping_add(*, channel_id: int, channel_sku: str, variant_id: int, acting_user) -> SkuMapping:
    with transaction.atomic(durable=True):
        mapping, _created = SkuMapping.objects.update_or_create(
            channel_id=channel_id, channel_sku=channel_sku.strip(), defaults={"variant_id": variant_id})
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=mapping, verb="sku_mapping_set")
    return mapping


def shipping_mapping_add(*, channel_id: int, channel_method: str, service_code: str, acting_user) -> ShippingMapping:
    with transaction.atomic(durable=True):
        mapping, _created = ShippingMapping.objects.update_or_create(
            channel_id=channel_id, channel_method=channel_method.strip(), defaults={"service_code": service_code})
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=mapping, verb="shipping_mapping_set")
    return mapping


def status_mapping_add(*, channel_id: int, channel_status: str, action: str, acting_user) -> StatusMapping:
    with transaction.atomic(durable=True):
        mapping, _created = StatusMapping.objects.update_or_create(
            channel_id=channel_id, channel_status=channel_status.strip().lower(), defaults={"action": action})
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=mapping, verb="status_mapping_set")
    return mapping


MAPPING_MODELS = {"sku": SkuMapping, "shipping": ShippingMapping, "status": StatusMapping}


def mapping_delete(*, kind: str, mapping_id: int, channel_id: int, acting_user) -> bool:
    """Removes the channel's mapping; False when it has no such mapping (nothing is done)."""
    model = MAPPING_MODELS[kind]
    with transaction.atomic(durable=True):
        mapping = model.objects.select_for_update().filter(pk=mapping_id, channel_id=channel_id).first()
        if mapping is None:
            return False
        audit_record(actor=acting_user, action=AuditEntry.Action.DELETE, obj=mapping, verb=f"{kind}_mapping_delete")
        mapping.delete()
    return True


def webhook_endpoint_create(*, channel_id: int, url: str, events: list[str], acting_user) -> WebhookEndpoint:
    with transaction.atomic(durable=True):
        endpoint = WebhookEndpoint.objects.create(channel_id=channel_id, url=url, events=sorted(set(events)),
                                                  secret=secrets.token_hex(32))
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=endpoint, verb="webhook_create")
    return endpoint


def webhook_endpoint_disable(*, endpoint_id: int, acting_user) -> WebhookEndpoint:
    with transaction.atomic(durable=True):
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        endpoint.is_active = False
        endpoint.save(update_fields=["is_active"])
        audit_record(actor=acting_user, action=AuditEntry.Action.UPDATE, obj=endpoint, verb="webhook_disable")
    return endpoint


# --- channel orders ------------------------------------------------------------------------------


@contextmanager
def advisory_lock(*names: str):
    """Session-level PostgreSQL advisory locks (taken in the given order), held across transactions."""
    ids = [int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True) for name in names]
    with connection.cursor() as cursor:
        for lock_id in ids:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for lock_id in reversed(ids):
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id])


def request_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def idempotent_call(*, channel_id: int, key: str, body_hash: str, run):
    """Runs ``run() -> (status, body)`` once per (channel, key); a retry gets the stored first answer.

    The same key with another body raises ``IdempotencyConflict``. Only successful answers are kept,
    so a request refused for bad data may be corrected and sent again with the same key.
    """
    with advisory_lock(f"idem:{channel_id}:{key}"):
        record = IdempotencyRecord.objects.filter(channel_id=channel_id, key=key).first()
        if record is not None:
            if record.request_hash != body_hash:
                raise IdempotencyConflict()
            return record.response_status, record.response_body, True
        status, body = run()
        if status < 400:
            IdempotencyRecord.objects.create(channel_id=channel_id, key=key, request_hash=body_hash,
                                             response_status=status, response_body=body)
        return status, body, False


def resolve_variants(*, channel_id: int, skus: list[str]) -> dict[str, int]:
    """``{sku: variant_id}`` through the channel's SKU mapping first, then our SKU; raises ``UnknownSku``."""
    from inventory.models import Variant

    mapped = dict(SkuMapping.objects.filter(channel_id=channel_id, channel_sku__in=skus)
                  .values_list("channel_sku", "variant_id"))
    ours = dict(Variant.objects.filter(sku__in=[s for s in skus if s not in mapped], is_active=True)
                .values_list("sku", "pk"))
    found = {**ours, **mapped}
    for index, sku in enumerate(skus):
        if sku not in found:
            raise UnknownSku(_("Unknown SKU “%(sku)s” (not ours and not mapped for this channel).") % {"sku": sku},
                             field=f"lines.{index}.sku")
    return found


def check_totals(data: ChannelOrderIn) -> None:
    if data.total is None:
        return
    lines = sum((line.unit_price * line.quantity for line in data.lines), Decimal(0))
    expected = lines - data.discount_total + data.shipping_total + data.tax_total
    if abs(expected - data.total) > TOTAL_TOLERANCE:
        raise BadTotals(
            _("The total %(total)s does not match lines %(lines)s - discount %(discount)s + shipping %(shipping)s"
              " + tax %(tax)s = %(expected)s.") % {
                "total": data.total, "lines": lines, "discount": data.discount_total,
                "shipping": data.shipping_total, "tax": data.tax_total, "expected": expected},
            field="total")


def _find_or_create_customer(data: ChannelOrderIn, *, currency: str, acting_user) -> int:
    from orders.errors import InvalidCustomer
    from orders.services import customer_create, customer_duplicates
    from orders.validators import normalize_tax_id

    c = data.customer
    tax_id = normalize_tax_id(c.tax_id) if c.tax_id else ""
    if c.email or tax_id:
        match = customer_duplicates(email=c.email, tax_id=tax_id).first()
        if match is not None:
            return match.pk
    try:
        customer = customer_create(
            data={"name": c.name, "email": c.email, "phone": c.phone, "tax_id": c.tax_id, "kind": c.kind,
                  "currency": currency, "language": c.language},
            address={**data.shipping_address.model_dump(), "kind": "both"}, acting_user=acting_user,
            allow_duplicate=True)
    except InvalidCustomer as exc:
        field = exc.field if exc.field in ("name", "email", "phone", "tax_id") else f"shipping_address.{exc.field}"
        prefix = "customer." if exc.field in ("name", "email", "phone", "tax_id") else ""
        raise InvalidPayload(exc.message, field=f"{prefix}{field}") from exc
    return customer.pk


def _address_snapshot(address, name: str, *, field: str) -> dict:
    """The order's copy of an address of the channel, checked as every address is (``address_clean``: a state
    and a CEP that exist), whether or not the customer is new; ``InvalidPayload`` names the field at fault."""
    from orders.errors import InvalidCustomer
    from orders.services import address_clean

    try:
        data = address_clean(address.model_dump())
    except InvalidCustomer as exc:
        raise InvalidPayload(exc.message, field=f"{field}.{exc.field}") from exc
    data["recipient"] = data.get("recipient") or name
    return data


def shipping_service_for(*, channel_id: int, method: str) -> str:
    if not method:
        return ""
    mapped = ShippingMapping.objects.filter(channel_id=channel_id, channel_method=method).values_list(
        "service_code", flat=True).first()
    if mapped:
        return mapped
    from marketing.models import CarrierService

    return method if CarrierService.objects.filter(code=method).exists() else ""


def channel_order_create(*, channel_id: int, data: ChannelOrderIn, acting_user, source: str = ChannelOrder.Source.API,
                         import_job_id: int | None = None) -> tuple[Order, bool]:
    """Places the channel's order through the orders services; returns ``(order, created)``.

    A second call for the same (channel, external id) returns the first order with ``created`` False.
    Everything is checked (SKUs, totals, customer data) before anything is written.
    """
    channel = Channel.objects.get(pk=channel_id)
    with advisory_lock(f"order:{channel_id}:{data.external_id}"):
        link = ChannelOrder.objects.select_related("order").filter(channel_id=channel_id,
                                                                   external_id=data.external_id).first()
        if link is not None and link.order.status != Order.Status.DRAFT:
            if not link.order.number:
                raise PreviousAttemptFailed()
            return link.order, False
        check_totals(data)
        variants = resolve_variants(channel_id=channel_id, skus=[line.sku for line in data.lines])
        if data.currency and data.currency.upper() != channel.currency:
            raise InvalidPayload(_("This channel sells in %(currency)s.") % {"currency": channel.currency},
                                 field="currency")
        shipping = _address_snapshot(data.shipping_address, data.customer.name, field="shipping_address")
        billing = (_address_snapshot(data.billing_address, data.customer.name, field="billing_address")
                   if data.billing_address else shipping)
        return _place(channel, data, variants, shipping=shipping, billing=billing, link=link,
                      acting_user=acting_user, source=source, import_job_id=import_job_id), True


def _place(channel: Channel, data: ChannelOrderIn, variants: dict[str, int], *, shipping: dict, billing: dict, link,
           acting_user, source, import_job_id) -> Order:
    from orders.services import draft_create, draft_line_remove, draft_update, order_add_note, order_place
    from orders.services.lifecycle import NOTE_LENGTH
    from orders.services.placement import DraftLine, draft_lines_add

    customer_id = _find_or_create_customer(data, currency=channel.currency, acting_user=acting_user)
    header = {"external_ref": data.external_id, "channel_placed_at": data.placed_at,
              "shipping_address": shipping, "billing_address": billing,
              "payment_method": CHANNEL_PAYMENT_METHOD, "source_code": data.source_code, "notes": data.notes,
              "shipping_service": shipping_service_for(channel_id=channel.pk, method=data.shipping_method)}
    reason = stored_text(gettext_noop("Price paid on %(channel)s"), channel=channel.name)
    lines = [DraftLine(variant_id=variants[line.sku], quantity=line.quantity, override_unit_price=line.unit_price,
                       override_reason=reason) for line in data.lines]
    if link is None:
        order = draft_create(channel_id=channel.pk, acting_user=acting_user, customer_id=customer_id, lines=lines,
                             **header)
        with transaction.atomic(durable=True):
            ChannelOrder.objects.create(
                channel=channel, external_id=data.external_id, order=order, source=source,
                import_job_id=import_job_id, channel_status=data.channel_status,
                declared_subtotal=sum((ln.unit_price * ln.quantity for ln in data.lines), Decimal(0)),
                declared_discount=data.discount_total, declared_shipping=data.shipping_total,
                declared_tax=data.tax_total, declared_total=data.total if data.total is not None else Decimal(0),
                payments=[{"method": p.method, "amount": str(p.amount), "reference": p.reference}
                          for p in data.payments])
    else:  # an earlier attempt died half-way: start its draft again
        order = link.order
        for line_id in list(order.lines.values_list("pk", flat=True)):
            draft_line_remove(order_id=order.pk, line_id=line_id, acting_user=acting_user)
        draft_update(order_id=order.pk, acting_user=acting_user, customer_id=customer_id, **header)
        draft_lines_add(order_id=order.pk, acting_user=acting_user, lines=lines)
    order = order_place(order_id=order.pk, idempotency_key=f"channel:{channel.pk}:{data.external_id}",
                        acting_user=acting_user, accept_backorder=True)
    notes = []
    if data.payments:
        paid = ", ".join(f"{p.method} {p.amount} {p.reference}".strip() for p in data.payments)
        notes.append(_("Paid on %(channel)s: %(payments)s") % {"channel": channel.name, "payments": paid})
    if data.total is not None and abs(order.total - data.total) > TOTAL_TOLERANCE:
        notes.append(_("%(channel)s charged %(declared)s; the OMS prices this order at %(ours)s.") % {
            "channel": channel.name, "declared": data.total, "ours": order.total.quantize(Decimal("0.01"))})
    if notes:
        order_add_note(order_id=order.pk, acting_user=acting_user, text=" ".join(notes)[:NOTE_LENGTH])
    return order


def channel_order_get(*, channel_id: int, number: str) -> Order:
    if "\x00" in number:  # no order number holds a NUL (and PostgreSQL cannot compare one)
        raise NotFound(_("No order %(number)s on this channel.") % {"number": number.replace("\x00", "")},
                       field="number")
    order = (Order.objects.filter(channel_id=channel_id, number=number).select_related("customer", "channel_link")
             .prefetch_related("lines").first())
    if order is None:
        raise NotFound(_("No order %(number)s on this channel.") % {"number": number}, field="number")
    return order


def channel_order_cancel(*, channel_id: int, number: str, reason: "str | StoredText", acting_user) -> Order:
    from orders.errors import OrderError
    from orders.services import order_cancel

    order = channel_order_get(channel_id=channel_id, number=number)
    if order.status == Order.Status.CANCELLED:
        return order
    try:
        return order_cancel(order_id=order.pk, acting_user=acting_user,
                            reason=reason or stored_text(gettext_noop("Cancelled by the channel")))
    except OrderError as exc:
        raise InvalidPayload(exc.message, field=exc.field or "status") from exc


def shipment_event(*, channel_id: int, shipment_id: int, event: str, carrier: str = "", service: str = "",
                   tracking_number: str = "", reason: str = "", acting_user=None):
    """A carrier's news about a shipment of the channel's order, applied through the fulfilment services."""
    from orders.errors import OrderError
    from orders.fulfilment import services as fulfilment
    from orders.fulfilment.models import Shipment

    shipment = Shipment.objects.select_related("order").filter(pk=shipment_id, order__channel_id=channel_id).first()
    if shipment is None:
        raise NotFound(_("No shipment %(id)s on this channel.") % {"id": shipment_id}, field="shipment_id")
    try:
        if event == "shipped":
            fulfilment.shipment_ship(shipment_id=shipment.pk, carrier=carrier, tracking_number=tracking_number,
                                     service=service, acting_user=acting_user)
        elif event == "delivered":
            fulfilment.shipment_deliver(shipment_id=shipment.pk, acting_user=acting_user)
        elif event == "failed":
            fulfilment.shipment_fail(shipment_id=shipment.pk, reason=reason, acting_user=acting_user)
        else:
            raise InvalidPayload(_("Unknown event “%(event)s”: use shipped, delivered or failed.") % {"event": event},
                                 field="event")
    except OrderError as exc:
        raise InvalidPayload(exc.message, field=exc.field or "event") from exc
    return Shipment.objects.select_related("order").get(pk=shipment.pk)

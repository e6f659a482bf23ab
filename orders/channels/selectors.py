"""Read queries of the channel integration: availability with the channel's buffer, admin lists."""

from django.db.models import Count, Q

from orders.channels.errors import InvalidPayload, UnknownSku
from orders.channels.models import ImportJob, SkuMapping, WebhookDelivery
from orders.models import Channel


def _locations():
    from inventory.models import Location

    return list(Location.objects.filter(is_active=True, can_ship=True).order_by("code").values_list("pk", "code"))


def _rows(channel: Channel, pairs: list[tuple[str, int]]) -> list[dict]:
    """``pairs`` are (SKU as the channel knows it, variant id)."""
    from inventory.selectors import availability
    from orders.channels.services import integration_for

    buffer = integration_for(channel).stock_buffer
    locations = _locations()
    stock = availability(variant_ids=[v for _s, v in pairs], location_ids=[pk for pk, _c in locations])
    rows = []
    for sku, variant_id in pairs:
        per = stock.get(variant_id, {})
        by_code = {code: max(per.get(pk, 0), 0) for pk, code in locations}
        total = sum(by_code.values())
        rows.append({"sku": sku, "locations": by_code, "total": total, "buffer": buffer,
                     "available_to_sell": max(total - buffer, 0)})
    return rows


def channel_availability(*, channel: Channel, skus: list[str]) -> list[dict]:
    """Per requested SKU (ours or the channel's mapped one): available per location, total and after the buffer."""
    from inventory.models import Variant

    skus = [s.strip() for s in skus if s.strip()]
    if not skus:
        raise InvalidPayload("Give at least one sku.", field="sku")
    storable = [s for s in skus if "\x00" not in s]  # no SKU holds a NUL; PostgreSQL cannot even compare one
    mapped = dict(SkuMapping.objects.filter(channel=channel, channel_sku__in=storable).values_list("channel_sku",
                                                                                                 "variant_id"))
    ours = dict(Variant.objects.filter(sku__in=storable).values_list("sku", "pk"))
    pairs = []
    for sku in skus:
        variant_id = mapped.get(sku) or ours.get(sku)
        if variant_id is None:
            raise UnknownSku(f"Unknown SKU “{sku}”.", field="sku")
        pairs.append((sku, variant_id))
    return _rows(channel, pairs)


def channel_feed(*, channel: Channel) -> list[dict]:
    """The whole availability feed: every active SKU (under the channel's SKU where mapped)."""
    from inventory.models import Variant

    channel_sku = {v: s for s, v in SkuMapping.objects.filter(channel=channel).values_list("channel_sku",
                                                                                          "variant_id")}
    pairs = [(channel_sku.get(pk, sku), pk)
             for pk, sku in Variant.objects.filter(is_active=True).order_by("sku").values_list("pk", "sku")]
    return _rows(channel, pairs)


def channel_list():
    return Channel.objects.annotate(
        key_count=Count("api_keys", filter=Q(api_keys__revoked_at__isnull=True), distinct=True),
        webhook_count=Count("webhooks", filter=Q(webhooks__is_active=True), distinct=True),
    ).order_by("name")


def sku_mappings_for(channel: Channel, *, query: str = ""):
    """The channel's SKU mappings by channel SKU; with ``query``, those whose channel SKU or ours contains it."""
    rows = SkuMapping.objects.filter(channel=channel).select_related("variant").order_by("channel_sku", "pk")
    if query := query.strip():
        rows = rows.filter(Q(channel_sku__icontains=query) | Q(variant__sku__icontains=query))
    return rows


def deliveries_for(channel: Channel):
    return WebhookDelivery.objects.filter(endpoint__channel=channel).select_related("endpoint", "order")


def jobs_for(channel: Channel):
    return ImportJob.objects.filter(channel=channel).select_related("created_by")

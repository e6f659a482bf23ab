"""Demo data for the channel integration (idempotent): settings, SKU and status mappings.

Call it from ``orders.demo.seed`` after the channels exist: ``channels_demo.seed(stdout=stdout)``.
API keys are not seeded (their secret is shown once); create one on the channel page.
"""

from orders.channels.models import ChannelIntegration, ImportFormat, SkuMapping, StatusMapping
from orders.models import Channel

SETTINGS = {
    "web": {"import_format": ImportFormat.SHOPIFY_CSV, "stock_buffer": 0},
    "marketplace": {"import_format": ImportFormat.GENERIC_CSV, "stock_buffer": 2},
    "b2b": {"import_format": ImportFormat.WOOCOMMERCE_CSV, "stock_buffer": 0},
}


def seed(*, stdout) -> None:
    from inventory.models import Variant

    channels = {c.code: c for c in Channel.objects.filter(code__in=SETTINGS)}
    for code, channel in channels.items():
        ChannelIntegration.objects.get_or_create(channel=channel, defaults=SETTINGS[code])
    marketplace = channels.get("marketplace")
    if marketplace is not None:
        variants = list(Variant.objects.filter(is_active=True, is_kit=False).order_by("sku")
                        .values_list("pk", "sku")[:20])
        existing = set(SkuMapping.objects.filter(channel=marketplace).values_list("channel_sku", flat=True))
        SkuMapping.objects.bulk_create([SkuMapping(channel=marketplace, channel_sku=f"ML-{sku}", variant_id=pk)
                                        for pk, sku in variants if f"ML-{sku}" not in existing])
        for status, action in (("paid", StatusMapping.Action.IMPORT), ("cancelled", StatusMapping.Action.SKIP)):
            StatusMapping.objects.get_or_create(channel=marketplace, channel_status=status, defaults={"action": action})
    stdout.write(f"channels: settings for {len(channels)} channels, marketplace SKU mappings")

"""Who may open each URL of the channel integration (see ``oms.access``).

The API under ``/api/v1/`` authenticates by channel API key in its own auth class, so its URL names
are PUBLIC for the session middleware. The OpenAPI document and docs are PUBLIC too: they describe the
contract only (no data), and a channel's developers read them without a back-office account.
"""

from django.utils.translation import gettext_lazy as _

from oms.access import PUBLIC, NavItem

API_URL_NAMES = ["api-root", "openapi-json", "openapi-view", "order_create", "order_detail", "order_cancel",
                 "availability", "feed_json", "feed_csv", "shipment_event", "not_found"]

RULES: dict[str, str] = {
    **{f"orders:channels_api:{name}": PUBLIC for name in API_URL_NAMES},
    **{f"orders:{name}": "manage_channels" for name in [
        "channel_list", "channel_create", "channel_detail", "channel_edit", "channel_settings", "channel_key_create",
        "channel_key_revoke",
        "channel_mapping_add", "channel_mapping_delete", "channel_webhook_create", "channel_webhook_disable",
        "channel_deliveries", "channel_import_upload", "channel_import", "channel_import_errors",
        "channel_import_row", "channel_import_row_discard",
    ]},
}

NAV = [
    NavItem(_("Channels"), "orders:channel_list", "manage_channels", section=_("Administration")),
]

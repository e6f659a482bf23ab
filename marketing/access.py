"""Who may open each URL of this app (see ``oms.access``)."""

from django.utils.translation import gettext_lazy as _

from oms.access import NavItem

SECTION_KEYS = ["pricelists", "taxrates", "channeltax", "zones", "carriers", "shippingrates", "campaigns",
                "sourcecodes", "promotions", "segments"]

RULES: dict[str, str] = {
    f"marketing:{name}": "manage_marketing"
    for name in [
        "home", "price_check", "sku_suggest", "pricelist_items", "pricelist_item_delete", "pricelist_export",
        "pricelist_import",
        "pricelist_what_if",
        "promotion_detail", "promotion_activate", "coupon_add", "coupon_active", "coupon_batch_add",
        "promotion_what_if",
        "coupon_batch_export", "promote_overstock", "segment_detail", "segment_export", "segment_refresh",
        "segment_export_start", "segment_export_download",
        *(f"{key}_{verb}" for key in SECTION_KEYS for verb in ("list", "create", "edit", "delete")),
    ]
}

_SECTION = _("Marketing")
NAV = [
    NavItem(_("Price lists"), "marketing:pricelists_list", "manage_marketing", section=_SECTION),
    NavItem(_("Promotions"), "marketing:promotions_list", "manage_marketing", section=_SECTION),
    NavItem(_("Campaigns"), "marketing:campaigns_list", "manage_marketing", section=_SECTION),
    NavItem(_("Source codes"), "marketing:sourcecodes_list", "manage_marketing", section=_SECTION),
    NavItem(_("Segments"), "marketing:segments_list", "manage_marketing", section=_SECTION),
    NavItem(_("Tax and shipping"), "marketing:home", "manage_marketing", section=_SECTION),
    NavItem(_("Price check"), "marketing:price_check", "manage_marketing", section=_SECTION),
]

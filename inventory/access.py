"""Who may open each URL of this app (see ``oms.access``)."""

from django.utils.translation import gettext_lazy as _

from oms.access import NavItem

RULES: dict[str, str] = {
    "inventory:product_list": "view_catalogue",
    "inventory:product_detail": "view_catalogue",
    "inventory:location_list": "view_catalogue",
    "inventory:location_detail": "view_catalogue",
    "inventory:stock_adjust": "manage_stock",
    "inventory:stock_count": "manage_stock",
    "inventory:safety_stock": "manage_stock",
    "inventory:transfer_list": "manage_stock",
    "inventory:transfer_create": "manage_stock",
    "inventory:transfer_detail": "manage_stock",
    "inventory:transfer_action": "manage_stock",
    "inventory:supplier_list": "manage_purchasing",
    "inventory:supplier_detail": "manage_purchasing",
    # Buyers and the warehouse both work from purchase orders: buyers draft and send, the warehouse receives.
    "inventory:po_list": "view_catalogue",
    "inventory:po_detail": "view_catalogue",
    "inventory:po_pdf": "view_catalogue",
    "inventory:po_create": "manage_purchasing",
    "inventory:po_action": "manage_purchasing",
    "inventory:po_lines": "manage_purchasing",
    "inventory:po_receive": "manage_stock",
    "inventory:reorder_alerts": "manage_purchasing",
    "inventory:reorder_run": "manage_purchasing",
    "inventory:reorder_alert_action": "manage_purchasing",
    "inventory:reorder_rules": "manage_purchasing",
    "inventory:overstock": "manage_purchasing",
    "inventory:import_products": "manage_catalogue",
    "inventory:export_products": "view_catalogue",
    "inventory:import_stock": "manage_stock",
    "inventory:export_stock": "view_catalogue",
    "inventory:import_suppliers": "manage_purchasing",
    "inventory:export_suppliers": "manage_purchasing",
    "inventory:import_supplier_items": "manage_purchasing",
    "inventory:export_supplier_items": "manage_purchasing",
    "inventory:import_reorder_rules": "manage_purchasing",
    "inventory:export_reorder_rules": "manage_purchasing",
    "inventory:import_job": "use_back_office",
}


def _record_rules() -> dict[str, str]:
    from inventory.records import SECTIONS

    rules = {}
    for section in SECTIONS.values():
        rules[f"inventory:{section.key}_create"] = section.permission
        rules[f"inventory:{section.key}_edit"] = section.permission
        if section.deletable:
            rules[f"inventory:{section.key}_delete"] = section.permission
        if section.has_list:
            rules[f"inventory:{section.key}_list"] = section.permission
    return rules


RULES.update(_record_rules())

SECTION = _("Inventory")

NAV = [
    NavItem(_("Products"), "inventory:product_list", "view_catalogue", section=SECTION),
    NavItem(_("Brands"), "inventory:brands_list", "manage_catalogue", section=SECTION),
    NavItem(_("Categories"), "inventory:categories_list", "manage_catalogue", section=SECTION),
    NavItem(_("Locations"), "inventory:location_list", "view_catalogue", section=SECTION),
    NavItem(_("Adjust stock"), "inventory:stock_adjust", "manage_stock", section=SECTION),
    NavItem(_("Cycle count"), "inventory:stock_count", "manage_stock", section=SECTION),
    NavItem(_("Transfers"), "inventory:transfer_list", "manage_stock", section=SECTION),
    NavItem(_("Purchase orders"), "inventory:po_list", "view_catalogue", section=SECTION),
    NavItem(_("Suppliers"), "inventory:supplier_list", "manage_purchasing", section=SECTION),
    NavItem(_("Reorder alerts"), "inventory:reorder_alerts", "manage_purchasing", section=SECTION),
    NavItem(_("Reorder rules"), "inventory:reorder_rules", "manage_purchasing", section=SECTION),
    NavItem(_("Overstock"), "inventory:overstock", "manage_purchasing", section=SECTION),
    NavItem(_("Import stock"), "inventory:import_stock", "manage_stock", section=SECTION),
    NavItem(_("Import products"), "inventory:import_products", "manage_catalogue", section=SECTION),
    NavItem(_("Import suppliers"), "inventory:import_suppliers", "manage_purchasing", section=SECTION),
]

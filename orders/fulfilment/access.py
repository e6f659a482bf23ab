"""Who may open each fulfilment URL: the warehouse works shipments and receives returns (``fulfil_orders``),
agents open returns, whoever may open a return finds it in the returns list, managers approve and refund them and
watch the at-risk queue and the simulation."""

from django.utils.translation import gettext_lazy as _

from oms.access import NavItem

RULES: dict[str, str] = {
    "orders:fulfilment_queue": "fulfil_orders",
    "orders:fulfilment_release": "fulfil_orders",
    "orders:fulfilment_pick_list": "fulfil_orders",
    "orders:fulfilment_shipment": "fulfil_orders",
    "orders:fulfilment_scan": "fulfil_orders",
    "orders:fulfilment_unscan": "fulfil_orders",
    "orders:fulfilment_step": "fulfil_orders",
    "orders:fulfilment_shipment_pdf": "fulfil_orders",
    "orders:fulfilment_carrier_upload": "fulfil_orders",
    "orders:fulfilment_atp": "view_catalogue",
    "orders:fulfilment_at_risk": "manage_orders",
    "orders:fulfilment_simulation": "manage_orders",
    "orders:fulfilment_routes": "manage_stock",
    "orders:fulfilment_route_delete": "manage_stock",
    "orders:fulfilment_holidays": "manage_stock",
    "orders:fulfilment_holiday_delete": "manage_stock",
    "orders:fulfilment_return_list": "view_orders",  # whoever may open a return may find it
    "orders:fulfilment_return": "view_orders",
    "orders:fulfilment_return_approve": "approve_orders",
    "orders:fulfilment_return_receive": "fulfil_orders",
    "orders:fulfilment_return_inspect": "fulfil_orders",
    "orders:fulfilment_return_refund": "manage_orders",
    "orders:fulfilment_return_exchange": "take_orders",
    "orders:fulfilment_order_panel": "view_orders",
    "orders:fulfilment_return_new": "take_orders",
}

NAV = [
    NavItem(_("Shipments"), "orders:fulfilment_queue", "fulfil_orders", section=_("Fulfilment")),
    NavItem(_("Pick list"), "orders:fulfilment_pick_list", "fulfil_orders", section=_("Fulfilment")),
    NavItem(_("Carrier updates"), "orders:fulfilment_carrier_upload", "fulfil_orders", section=_("Fulfilment")),
    NavItem(_("Returns"), "orders:fulfilment_return_list", "view_orders", section=_("Fulfilment")),
    NavItem(_("Available to promise"), "orders:fulfilment_atp", "view_catalogue", section=_("Fulfilment")),
    NavItem(_("At-risk orders"), "orders:fulfilment_at_risk", "manage_orders", section=_("Fulfilment")),
    NavItem(_("Sourcing simulation"), "orders:fulfilment_simulation", "manage_orders", section=_("Fulfilment")),
    NavItem(_("Consolidation routes"), "orders:fulfilment_routes", "manage_stock", section=_("Fulfilment")),
    NavItem(_("Holidays"), "orders:fulfilment_holidays", "manage_stock", section=_("Fulfilment")),
]

"""Who may open each URL of this app (see ``oms.access``).

Call-centre agents (``take_orders``) take, edit and cancel orders on the phone; ``manage_orders``
moves an order through the rest of its life by hand; ``approve_orders`` decides holds.
"""

from django.utils.translation import gettext_lazy as _

from oms.access import PUBLIC, NavItem
from orders.channels import access as channels_access
from orders.fulfilment import access as fulfilment_access

RULES: dict[str, str] = {
    "orders:order_list": "view_orders",
    "orders:order_detail": "view_orders",
    "orders:order_transition": "manage_orders",
    "orders:order_note": "view_orders",
    "orders:order_cancel": "take_orders",
    "orders:order_edit": "take_orders",
    "orders:order_invoice_pdf": "view_orders",
    "orders:order_packing_slip_pdf": "view_orders",
    "orders:giftcards_issue": "take_orders",
    "orders:giftcard_refund": "manage_finance",
    "orders:approval_list": "approve_orders",
    "orders:approval_decide": "approve_orders",
    "orders:customer_list": "take_orders",
    "orders:customer_create": "take_orders",
    "orders:customer_detail": "take_orders",
    "orders:customer_edit": "take_orders",
    "orders:customer_address_add": "take_orders",
    "orders:customer_data_export": "handle_personal_data",
    "orders:customer_erase": "handle_personal_data",
    "orders:customer_merge": "manage_orders",
    "orders:phone_start": "take_orders",
    "orders:phone_order": "take_orders",
    "orders:phone_customer_search": "take_orders",
    "orders:phone_set_customer": "take_orders",
    "orders:phone_create_customer": "take_orders",
    "orders:phone_sku_search": "take_orders",
    "orders:phone_add_line": "take_orders",
    "orders:phone_update_line": "take_orders",
    "orders:phone_update_header": "take_orders",
    "orders:phone_hold_stock": "take_orders",
    "orders:phone_discard": "take_orders",
    "orders:phone_place": "take_orders",
    "orders:tracking": PUBLIC,
}

NAV = [
    NavItem(_("Phone order"), "orders:phone_start", "take_orders", section=_("Orders")),
    NavItem(_("Orders"), "orders:order_list", "view_orders", section=_("Orders")),
    NavItem(_("Approvals"), "orders:approval_list", "approve_orders", section=_("Orders")),
    NavItem(_("Customers"), "orders:customer_list", "take_orders", section=_("Orders")),
]

RULES |= channels_access.RULES
NAV += channels_access.NAV
RULES |= fulfilment_access.RULES
NAV += fulfilment_access.NAV

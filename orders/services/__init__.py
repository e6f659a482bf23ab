"""The only code that changes orders, customers and their history (see the modules for details)."""

from orders.services.core import ALLOWED_TRANSITIONS, LINE_TRANSITIONS, allowed_targets
from orders.services.customers import (
    address_add,
    address_clean,
    customer_create,
    customer_duplicates,
    customer_merge,
    customer_update,
)
from orders.services.lifecycle import (
    hold_approve,
    hold_reject,
    manual_targets,
    order_add_note,
    order_cancel,
    order_edit,
    order_transition,
    payment_adjust,
)
from orders.services.placement import (
    PaymentRequest,
    draft_create,
    draft_discard,
    draft_hold_stock,
    draft_line_add,
    draft_line_remove,
    draft_line_update,
    draft_release_stock,
    draft_update,
    evaluate_hold_rules,
    order_place,
    release_expired_holds,
)
from orders.services.privacy import customer_erase, customer_personal_data

__all__ = [
    "ALLOWED_TRANSITIONS", "LINE_TRANSITIONS", "PaymentRequest", "address_add", "allowed_targets",
    "address_clean", "customer_create", "customer_duplicates", "customer_erase", "customer_merge",
    "customer_personal_data", "customer_update", "draft_create", "draft_discard",
    "draft_hold_stock", "draft_line_add", "draft_line_remove", "draft_line_update", "draft_release_stock",
    "draft_update", "evaluate_hold_rules", "hold_approve", "hold_reject", "manual_targets", "order_add_note",
    "order_cancel", "order_edit", "order_place", "order_transition", "payment_adjust", "release_expired_holds",
]

"""Domain errors of the orders app: each has a stable ``code`` and a human ``message``."""

from django.utils.translation import gettext_lazy as _


class OrderError(Exception):
    code = "order_error"
    default_message = _("The order operation could not be done.")

    def __init__(self, message=None, *, field: str = "", **details):
        self.message = str(message or self.default_message)
        self.field = field
        self.details = details
        super().__init__(self.message)


class InvalidTransition(OrderError):
    code = "invalid_transition"
    default_message = _("This status change is not allowed.")


class OrderNotEditable(OrderError):
    code = "not_editable"
    default_message = _("The order can no longer be changed.")


class IncompleteOrder(OrderError):
    """The draft lacks something needed to place it (customer, lines, address, pick-up store)."""

    code = "incomplete_order"
    default_message = _("The order is not complete.")


class StockUnavailable(OrderError):
    """Some lines cannot be reserved; ``shortages`` lists dicts with line, sku, requested, available, alternatives."""

    code = "out_of_stock"
    default_message = _("Some lines are out of stock.")

    def __init__(self, message=None, *, shortages: list[dict] | None = None, **details):
        self.shortages = shortages or []
        super().__init__(message, **details)


class PlacementInProgress(OrderError):
    code = "placement_in_progress"
    default_message = _("This order is already being placed; wait a moment and reload.")


class PaymentFailed(OrderError):
    code = "payment_failed"
    default_message = _("The payment was declined.")


class DuplicateCustomer(OrderError):
    """Creating a customer that matches existing ones; ``matches`` holds them."""

    code = "duplicate_customer"
    default_message = _("A customer with the same e-mail, phone or tax id already exists.")

    def __init__(self, message=None, *, matches=None, **details):
        self.matches = list(matches or [])
        super().__init__(message, **details)


class InvalidCustomer(OrderError):
    code = "invalid_customer"
    default_message = _("The customer data is not valid.")


class CustomerErased(OrderError):
    """The customer's personal data was erased at their request: the record only keeps their past orders."""

    code = "customer_erased"
    default_message = _("This customer's personal data was erased at their request: create a new customer.")


class CustomerMerged(OrderError):
    """A duplicate record merged into another customer: new orders, data and addresses go to that customer."""

    code = "customer_merged"

    def __init__(self, survivor, **kwargs):
        super().__init__(_("This customer record was merged into %(name)s (#%(id)s): use that customer.")
                         % {"name": survivor.name, "id": survivor.pk}, field="customer", **kwargs)


class HoldNotOpen(OrderError):
    code = "hold_not_open"
    default_message = _("This hold was already decided.")

"""Domain errors of fulfilment: each has a stable ``code`` and a human ``message``."""

from django.utils.translation import gettext_lazy as _

from orders.errors import OrderError


class FulfilmentError(OrderError):
    code = "fulfilment_error"
    default_message = _("The fulfilment step could not be done.")


class InvalidShipmentTransition(FulfilmentError):
    code = "invalid_shipment_transition"
    default_message = _("This shipment cannot make that step.")


class WrongItemScanned(FulfilmentError):
    code = "wrong_item"
    default_message = _("That item is not in this shipment.")


class AlreadyPacked(FulfilmentError):
    code = "already_packed"
    default_message = _("Every unit of that item is already packed.")


class InvalidReturn(FulfilmentError):
    code = "invalid_return"
    default_message = _("This return cannot be done.")


class CarrierFileError(FulfilmentError):
    """The carrier status file has errors; ``rows`` lists ``(row number, message)``; nothing was applied."""

    code = "carrier_file"
    default_message = _("The carrier file has errors; nothing was applied.")

    def __init__(self, message=None, *, rows: list[tuple[int, str]] | None = None, **details):
        super().__init__(message, **details)
        self.rows = rows or []

"""Domain errors of the inventory app: each has a stable ``code`` and a human ``message``."""

from django.utils.translation import gettext as _


class InventoryError(Exception):
    code = "inventory_error"

    def __init__(self, message: str = "", *, field: str | None = None):
        self.message = message or _("The stock operation could not be done.")
        self.field = field
        super().__init__(self.message)


class OutOfStock(InventoryError):
    """Not enough available stock; ``shortages`` lists ``(variant_id, location_id, requested, available)``;
    ``names`` gives the ``(SKU, location code)`` of each ``(variant_id, location_id)`` the message names."""

    code = "out_of_stock"

    def __init__(self, shortages: list[tuple[int, int, int, int]], message: str = "", *,
                 names: dict[tuple[int, int], tuple[str, str]] | None = None):
        self.shortages = shortages
        if not message:
            names = names or {}
            parts = []
            for v, loc, r, a in shortages:
                sku, location = names.get((v, loc), (f"#{v}", f"#{loc}"))
                parts.append(_("%(sku)s at %(location)s: requested %(requested)s, available %(available)s")
                             % {"sku": sku, "location": location, "requested": r, "available": a})
            message = _("Not enough stock. %(details)s") % {"details": "; ".join(parts)}
        super().__init__(message)


class InsufficientReserved(InventoryError):
    code = "insufficient_reserved"


class InvalidQuantity(InventoryError):
    code = "invalid_quantity"


class UnknownVariant(InventoryError):
    code = "unknown_variant"


class UnknownLocation(InventoryError):
    code = "unknown_location"


class CountBelowReserved(InventoryError):
    code = "count_below_reserved"


class InvalidTransition(InventoryError):
    code = "invalid_transition"


class ReceiptTooLarge(InventoryError):
    code = "receipt_too_large"


class AlreadyRecorded(InventoryError):
    """The same form came twice (a double click); the first copy did the work."""

    code = "already_recorded"


class ReceiptOutdated(InventoryError):
    """The receipt was entered on a page that no longer shows what is received (a second click, or a colleague)."""

    code = "receipt_outdated"


class ImportFailed(InventoryError):
    """A file that cannot be read as rows; ``row`` is the file's line it stopped at (0: the file as a whole)."""

    code = "import_failed"

    def __init__(self, message: str = "", *, row: int = 0):
        self.row = row
        super().__init__(message)


class CatalogueInvalid(InventoryError):
    """A catalogue, location or purchasing record failed validation; ``errors`` maps field -> messages."""

    code = "catalogue_invalid"

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        parts = [f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
                 for name, messages in errors.items()]
        field = next(iter(errors), None)
        super().__init__("; ".join(parts), field=None if field == "__all__" else field)


class InUse(InventoryError):
    code = "in_use"

"""Domain errors of the marketing app: each has a ``code`` and a human ``message``."""

from django.utils.translation import gettext_lazy as _


class MarketingError(Exception):
    code = "marketing_error"
    default_message = _("The marketing operation failed.")

    def __init__(self, message=None, *, field: str = "", **details):
        self.message = str(message or self.default_message)
        self.field = field
        self.details = details
        super().__init__(self.message)


class PricingError(MarketingError):
    code = "pricing_error"
    default_message = _("The order could not be priced.")


class NoPrice(PricingError):
    code = "no_price"
    default_message = _("No price for this SKU in this currency.")


class PromotionUnavailable(MarketingError):
    """A promotion or coupon ran out (usage limit) or ended between pricing and placing the order."""

    code = "promotion_unavailable"
    default_message = _("A promotion is no longer available.")


class InvalidConfiguration(MarketingError):
    code = "invalid_configuration"
    default_message = _("The configuration is not valid.")


class ChangedMeanwhile(InvalidConfiguration):
    """The record was saved or deleted by someone else after the form being saved was opened."""

    code = "changed_meanwhile"
    default_message = _("Someone changed this record after you opened it; nothing was saved.")


class ImportRejected(MarketingError):
    code = "import_rejected"
    default_message = _("The file was not imported.")

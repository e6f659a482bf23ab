"""Tax rates: the adapter point for an external tax service.

``price_order`` asks ``get_tax_provider()`` for the rate of each tax class at a destination. The default
provider reads our ``TaxRate`` table (Brazilian state rates plus a generic VAT); a deployment can point
``settings.OMS_TAX_PROVIDER`` at a class with the same ``rates`` method that calls an outside service.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.db.models import Q
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class TaxQuote:
    rate: Decimal  # percent, e.g. Decimal("18")
    label: str


class TaxProvider(Protocol):
    def rates(self, *, region: str, tax_classes: set[str], on: date) -> dict[str, TaxQuote | None]:
        """The rate for each tax class shipped to ``region`` on ``on`` (``None``: no rate known)."""


class TableTaxProvider:
    """Rates from ``marketing.TaxRate``: the most specific row wins (region and class, then class, then region)."""

    def rates(self, *, region: str, tax_classes: set[str], on: date) -> dict[str, TaxQuote | None]:
        from marketing.models import TaxRate

        rows = list(
            TaxRate.objects.filter(region__in={region, ""}, tax_class__in=set(tax_classes) | {""}, valid_from__lte=on)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
            .values("name", "region", "tax_class", "rate", "valid_from", "id")
        )
        result: dict[str, TaxQuote | None] = {}
        for tax_class in sorted(tax_classes):
            candidates = [r for r in rows if r["tax_class"] in (tax_class, "")]
            if not candidates:
                result[tax_class] = None
                continue
            best = max(
                candidates,
                key=lambda r, tc=tax_class: (r["region"] == region and region != "", r["tax_class"] == tc,
                                             r["valid_from"], r["id"]),
            )
            result[tax_class] = TaxQuote(rate=best["rate"], label=best["name"])
        return result


def get_tax_provider() -> TaxProvider:
    return import_string(getattr(settings, "OMS_TAX_PROVIDER", "marketing.tax.TableTaxProvider"))()

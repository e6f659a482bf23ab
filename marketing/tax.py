"""Tax rates: the adapter point for an external tax service.

``price_order`` asks ``get_tax_provider()`` for the rate of each tax class at a destination. The default
provider reads our ``TaxRate`` table (Brazilian state rates plus a generic VAT); a deployment can point
``settings.OMS_TAX_PROVIDER`` at a class with the same ``rates`` method that calls an outside service.

A provider may also have ``for_period(since, until)``: a provider answering for any day of that period that reads
what it needs once (a what-if run prices a month of orders); without it, a run asks ``rates`` once per destination,
set of classes and day.
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
            .values(*_FIELDS)
        )
        return _best_rates(rows, region, tax_classes)

    def for_period(self, since: date, until: date) -> "LoadedTaxTable":
        """The rows valid on some day of ``[since, until]``, read once (one query)."""
        from marketing.models import TaxRate

        rows = list(
            TaxRate.objects.filter(valid_from__lte=until)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=since))
            .values(*_FIELDS)
        )
        return LoadedTaxTable(rows)


class LoadedTaxTable:
    """``TableTaxProvider`` on rows already read: the same choice, no query."""

    def __init__(self, rows: list[dict]):
        self.rows = rows

    def rates(self, *, region: str, tax_classes: set[str], on: date) -> dict[str, TaxQuote | None]:
        classes = set(tax_classes) | {""}
        rows = [r for r in self.rows
                if r["region"] in (region, "") and r["tax_class"] in classes and r["valid_from"] <= on
                and (r["valid_until"] is None or r["valid_until"] >= on)]
        return _best_rates(rows, region, tax_classes)


_FIELDS = ("name", "region", "tax_class", "rate", "valid_from", "valid_until", "id")


def _best_rates(rows: list[dict], region: str, tax_classes: set[str]) -> dict[str, TaxQuote | None]:
    result: dict[str, TaxQuote | None] = {}
    for tax_class in sorted(tax_classes):
        candidates = [r for r in rows if r["tax_class"] in (tax_class, "")]
        if not candidates:
            result[tax_class] = None
            continue
        # Region and class, then the class (any region), then the region (any class), then the generic row: an
        # exempt class stays exempt where a state has a rate for every class.
        best = max(
            candidates,
            key=lambda r, tc=tax_class: (r["tax_class"] == tc, r["region"] == region and region != "",
                                         r["valid_from"], r["id"]),
        )
        result[tax_class] = TaxQuote(rate=best["rate"], label=best["name"])
    return result


def get_tax_provider() -> TaxProvider:
    return import_string(getattr(settings, "OMS_TAX_PROVIDER", "marketing.tax.TableTaxProvider"))()

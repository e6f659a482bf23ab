"""What-if: what a promotion or price list would have done to recent orders, before it is switched on.

Marketing cannot read orders, so the orders app registers a history provider at start-up::

    from marketing.whatif import register_order_history
    register_order_history(recent_orders_for_what_if)   # (*, since, until, latest=None) -> Iterable[HistoricOrder]

``what_if`` itself is pure: it re-prices each historic order with and without the promotion (or list). The
pricings of a run share one ``marketing.lookups.SharedLookups``: the configuration tables are read once for the
run (each order still priced with what was valid at its own ``placed_at``), and its customers' segments and
redemptions and its orders' own redemptions in one query each, so a run makes as many queries for 1,000 orders as
for 10.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from marketing.errors import PricingError
from marketing.lookups import SharedLookups
from marketing.pricing import PriceLineInput, normalise_code, price_order
from oms.money import ZERO


@dataclass(frozen=True)
class HistoricOrder:
    reference: str
    placed_at: datetime
    channel_code: str
    customer_id: int | None
    customer_group: str
    source_code: str
    ship_to_region: str
    currency: str
    lines: list[PriceLineInput]
    coupons: list[str] = field(default_factory=list)
    shipping_service: str | None = None
    order_reference: str = ""  # its name in redemption rows: the coupon and promotion uses it took are its own


@dataclass
class WhatIfReport:
    orders_seen: int = 0
    orders_affected: int = 0
    orders_skipped: int = 0  # could not be re-priced (SKU gone, no price...)
    discount_given: Decimal = ZERO  # extra discount the promotion would have given
    revenue_before: Decimal = ZERO
    revenue_after: Decimal = ZERO
    examples: list[tuple[str, Decimal]] = field(default_factory=list)  # (order reference, extra discount)

    @property
    def revenue_change(self) -> Decimal:
        return self.revenue_after - self.revenue_before


OrderHistory = Callable[..., Iterable[HistoricOrder]]
_history: OrderHistory | None = None


def register_order_history(provider: OrderHistory | None) -> None:
    global _history
    _history = provider


def order_history() -> OrderHistory | None:
    return _history


def shared_lookups(orders: list[HistoricOrder], promotion_ids: Iterable[int] = ()) -> SharedLookups | None:
    """The lookups the pricings of these orders share (None without orders)."""
    if not orders:
        return None
    return SharedLookups(
        since=min(o.placed_at for o in orders), until=max(o.placed_at for o in orders),
        variant_ids={line.variant_id for o in orders for line in o.lines},
        source_codes={normalise_code(o.source_code) for o in orders} - {""},
        coupon_codes={normalise_code(c) for o in orders for c in o.coupons} - {""},
        customer_ids={o.customer_id for o in orders}, order_references={o.order_reference for o in orders},
        promotion_ids=promotion_ids,
    )


def what_if(*, orders: Iterable[HistoricOrder], currency: str, promotion_id: int | None = None,
            price_list_id: int | None = None) -> WhatIfReport:
    """Re-prices every order (in ``currency``) at its own date without and with the promotion or price list."""
    if (promotion_id is None) == (price_list_id is None):
        raise ValueError("Give exactly one of promotion_id and price_list_id")
    key = "promotion_overrides" if promotion_id is not None else "price_list_overrides"
    subject = promotion_id if promotion_id is not None else price_list_id
    report = WhatIfReport()
    orders = [order for order in orders if order.currency == currency]
    lookups = shared_lookups(orders, [promotion_id] if promotion_id is not None else [])
    for order in orders:
        report.orders_seen += 1
        args = {"lines": order.lines, "channel_code": order.channel_code, "customer_id": order.customer_id,
                "customer_group": order.customer_group, "source_code": order.source_code, "coupons": order.coupons,
                "ship_to_region": order.ship_to_region, "shipping_service": order.shipping_service,
                "currency": order.currency, "when": order.placed_at, "order_reference": order.order_reference,
                "lookups": lookups}
        try:
            before = price_order(**args, **{key: {subject: False}})
            after = price_order(**args, **{key: {subject: True}})
        except PricingError:
            report.orders_skipped += 1
            continue
        revenue_before = before.subtotal - before.discount_total + before.shipping_total
        revenue_after = after.subtotal - after.discount_total + after.shipping_total
        report.revenue_before += revenue_before
        report.revenue_after += revenue_after
        if revenue_after != revenue_before:
            report.orders_affected += 1
            report.discount_given += revenue_before - revenue_after
            if len(report.examples) < 20:
                report.examples.append((order.reference, revenue_before - revenue_after))
    return report

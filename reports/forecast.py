"""Sales forecast per SKU: Holt's linear exponential smoothing over daily units sold.

``forecast_variant`` is the function reorder rules call (``reorder_suggestions`` turns it into reorder points,
see the end of this module): it reads the daily rollups (and today live), fits level and trend with the
smoothing constants that give the smallest one-step error on the history, forecasts ``horizon`` days, and
reports a backtest on the last ``backtest_days`` (fit on the days before them, forecast them, compare) as WAPE,
the weighted mean absolute percentage error (sum of |error| / sum of actual), which unlike plain MAPE stays
defined on days with no sales.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum
from django.utils import timezone

from reports.models import DailyProductSales

ALPHAS = (0.1, 0.2, 0.3, 0.5, 0.7)
BETAS = (0.0, 0.05, 0.1, 0.2)


@dataclass
class Forecast:
    variant_id: int
    method: str
    history_days: list[date]
    history: list[float]
    days: list[date]
    daily: list[float]
    alpha: float
    beta: float
    backtest_wape: float | None  # percent; None when the backtest window sold nothing
    backtest_total_error: float | None = None  # percent error of the window's total units (what reorder uses)

    @property
    def total(self) -> float:
        return sum(self.daily)

    @property
    def per_day(self) -> float:
        return self.total / len(self.daily) if self.daily else 0.0

    @property
    def sold_nothing(self) -> bool:
        """No unit sold in the whole history: the forecast is zero for want of sales, not a prediction of none."""
        return not any(self.history)


def holt(series: list[float], alpha: float, beta: float) -> tuple[float, float, float]:
    """Fits Holt's linear method; returns (level, trend, sum of squared one-step errors)."""
    if not series:
        return 0.0, 0.0, 0.0
    level, trend, sse = series[0], 0.0, 0.0
    if len(series) > 1:
        trend = series[1] - series[0]
    for value in series[1:]:
        predicted = level + trend
        sse += (value - predicted) ** 2
        new_level = alpha * value + (1 - alpha) * predicted
        trend = beta * (new_level - level) + (1 - beta) * trend
        level = new_level
    return level, trend, sse


def fit(series: list[float]) -> tuple[float, float, float, float]:
    """Best (alpha, beta) by one-step squared error; returns (alpha, beta, level, trend)."""
    best = None
    for alpha in ALPHAS:
        for beta in BETAS:
            level, trend, sse = holt(series, alpha, beta)
            if best is None or sse < best[0]:
                best = (sse, alpha, beta, level, trend)
    _sse, alpha, beta, level, trend = best
    return alpha, beta, level, trend


def project(level: float, trend: float, horizon: int) -> list[float]:
    """Forecasts for 1..horizon days ahead, never below zero."""
    return [max(0.0, level + trend * h) for h in range(1, horizon + 1)]


def wape(actual: list[float], predicted: list[float]) -> float | None:
    total = sum(actual)
    if total <= 0:
        return None
    return sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / total * 100


def daily_units(*, variant_id: int, start: date, end: date) -> list[float]:
    """Units sold per local day from ``start`` to ``end`` (zero-filled), see ``daily_units_by_variant``."""
    return daily_units_by_variant(variant_ids=[variant_id], start=start, end=end)[variant_id]


def daily_units_by_variant(*, variant_ids, start: date, end: date) -> dict[int, list[float]]:
    """``{variant_id: units sold per local day from start to end}`` (zero-filled): the rollups up to the day they
    cover, the days after them read live (as every report does), so days not rolled up yet are not taken for days
    without sales. Two queries however many SKUs."""
    from django.db.models.functions import TruncDate

    from reports import rollups
    from reports.selectors import ReportFilter, _live_lines  # local import: selectors imports the models too

    variant_ids = list(variant_ids)
    covered = rollups.complete_through()
    split = min(covered, end) if covered is not None else start - timedelta(days=1)
    by_day: dict[tuple[int, date], float] = {}
    for variant_id, day, units in (DailyProductSales.objects.filter(variant_id__in=variant_ids, day__gte=start,
                                                                    day__lte=split)
                                   .order_by().values_list("variant_id", "day").annotate(Sum("units"))):
        by_day[(variant_id, day)] = units
    live_start = max(start, split + timedelta(days=1))
    if live_start <= end:
        lines = _live_lines(ReportFilter(live_start, end), live_start).filter(variant_id__in=variant_ids)
        for variant_id, day, units in (lines.annotate(day=TruncDate("order__placed_at", tzinfo=rollups.local_tz()))
                                       .values_list("variant_id", "day").annotate(Sum("quantity"))):
            by_day[(variant_id, day)] = units
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return {v: [float(by_day.get((v, day), 0)) for day in days] for v in variant_ids}


def total_error(actual: list[float], predicted: list[float]) -> float | None:
    total = sum(actual)
    return abs(sum(predicted) - total) / total * 100 if total > 0 else None


def backtest_series(series: list[float], *, backtest_days: int) -> tuple[float | None, float | None]:
    """(WAPE, total error) of a forecast fitted on all but the last ``backtest_days`` and compared with them."""
    if len(series) <= backtest_days * 2:
        return None, None
    train, test = series[:-backtest_days], series[-backtest_days:]
    _alpha, _beta, level, trend = fit(train)
    predicted = project(level, trend, backtest_days)
    return wape(test, predicted), total_error(test, predicted)


def forecast_series(series: list[float], *, horizon: int, backtest_days: int) -> tuple:
    alpha, beta, level, trend = fit(series)
    backtest, _total = backtest_series(series, backtest_days=backtest_days)
    return alpha, beta, project(level, trend, horizon), backtest


def forecast_variant(*, variant_id: int, horizon: int = 28, history_days: int = 120,
                     backtest_days: int = 14, today: date | None = None) -> Forecast:
    """Forecast of daily units for one SKU over the next ``horizon`` days (see the module docstring)."""
    return forecasts(variant_ids=[variant_id], horizon=horizon, history_days=history_days,
                     backtest_days=backtest_days, today=today)[variant_id]


def forecasts(*, variant_ids, horizon: int = 28, history_days: int = 120, backtest_days: int = 14,
              today: date | None = None) -> dict[int, Forecast]:
    """``forecast_variant`` for many SKUs, their history read in two queries."""
    today = today or timezone.localdate()
    start = today - timedelta(days=history_days)
    end = today - timedelta(days=1)  # today is incomplete: fitting it would pull the level down
    history_days_list = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    days = [today + timedelta(days=i) for i in range(horizon)]
    result = {}
    for variant_id, series in daily_units_by_variant(variant_ids=variant_ids, start=start, end=end).items():
        alpha, beta, daily, backtest = forecast_series(series, horizon=horizon, backtest_days=backtest_days)
        _wape, total_err = backtest_series(series, backtest_days=backtest_days)
        result[variant_id] = Forecast(
            variant_id=variant_id, method="holt", history_days=history_days_list, history=series, days=days,
            daily=daily, alpha=alpha, beta=beta, backtest_wape=backtest, backtest_total_error=total_err)
    return result


def forecast_accuracy(*, top: int = 10, history_days: int = 120, backtest_days: int = 14) -> dict:
    """Backtest WAPE of the best-selling ``top`` SKUs of the history (the number quoted for the demo data)."""
    today = timezone.localdate()
    best = list(DailyProductSales.objects.filter(day__gte=today - timedelta(days=history_days))
                .order_by().values_list("variant_id").annotate(u=Sum("units")).order_by("-u", "variant_id")
                .values_list("variant_id", flat=True)[:top])
    scores, totals = {}, {}
    for variant_id in best:
        result = forecast_variant(variant_id=variant_id, history_days=history_days, backtest_days=backtest_days)
        if result.backtest_wape is not None:
            scores[variant_id] = result.backtest_wape
            totals[variant_id] = result.backtest_total_error
    return {"skus": len(scores), "mean_wape": sum(scores.values()) / len(scores) if scores else None,
            "mean_total_error": sum(totals.values()) / len(totals) if totals else None, "by_variant": scores}


# --- reorder points from the forecast -------------------------------------------------------------------

REVIEW_DAYS = 14  # what an order covers beyond the lead time: the two weeks until the buyer's next review
UNKNOWN_ERROR = 100.0  # percent kept as safety stock when the backtest cannot say how wrong the forecast runs


@dataclass
class ReorderSuggestion:
    """What the forecast says a reorder rule's points should be (``reorder_point`` None: nothing to go by)."""

    rule: object  # inventory.ReorderRule
    lead_time_days: int | None
    share: float  # of the SKU's sales this rule's location ships or sells
    lead_time_demand: float = 0.0
    safety_stock: float = 0.0
    review_demand: float = 0.0
    error: float | None = None  # backtest error on the total, percent
    reorder_point: int | None = None
    order_up_to: int | None = None
    why_not: str = ""

    @property
    def changes_rule(self) -> bool:
        return self.reorder_point is not None and (self.reorder_point, self.order_up_to) != (
            self.rule.reorder_point, self.rule.order_up_to)


def location_shares(rules, *, start: date) -> dict[int, float]:
    """``{rule_id: share}``: the part of its SKU's sales each rule's location ships or sells, among the locations
    with a rule for that SKU (units that left them as shipments or sales since ``start``); an even split where
    none of them moved any. A location with no rule is taken to be stocked from one that has."""
    from inventory.models import StockMovement

    units = {(v, loc): -total for v, loc, total in StockMovement.objects.filter(
        reason__in=[StockMovement.Reason.SHIPMENT, StockMovement.Reason.SALE],
        variant_id__in={rule.variant_id for rule in rules}, created_at__date__gte=start, on_hand_delta__lt=0,
    ).order_by().values_list("variant_id", "location_id").annotate(Sum("on_hand_delta"))}
    by_variant: dict[int, list] = {}
    for rule in rules:
        by_variant.setdefault(rule.variant_id, []).append(rule)
    shares = {}
    for variant_id, group in by_variant.items():
        total = sum(units.get((variant_id, rule.location_id), 0) for rule in group)
        for rule in group:
            shares[rule.pk] = units.get((variant_id, rule.location_id), 0) / total if total else 1 / len(group)
    return shares


def reorder_suggestions(rules, *, history_days: int = 120, today: date | None = None) -> list[ReorderSuggestion]:
    """Reorder points for ``rules`` (inventory ``ReorderRule`` rows) from the SKU's sales forecast:

    - the reorder point covers the demand expected over the supplier's lead time (``reorder_lead_times``) plus a
      safety stock of that demand times the forecast's backtest error on the 14-day total (100 % when unknown),
      rounded up: ordering when stock on hand and on order falls to it, the order arrives before the shelf is bare
      unless the forecast errs by more than it did on the history;
    - the order-up-to level adds the demand of ``REVIEW_DAYS`` more (at least one unit above the point);
    - each is the location's share (``location_shares``) of the SKU's forecast, which is for all channels.
    A SKU that sold nothing in the history, or that no active supplier sells, gets no suggestion (``why_not``).
    """
    from django.utils.translation import gettext as _

    from inventory.selectors import reorder_lead_times

    today = today or timezone.localdate()
    lead_times = reorder_lead_times(rules)
    shares = location_shares(rules, start=today - timedelta(days=history_days))
    horizons: dict[int, int] = {}
    for rule in rules:
        if lead_times[rule.pk] is not None:
            horizons[rule.variant_id] = max(horizons.get(rule.variant_id, 0), lead_times[rule.pk] + REVIEW_DAYS)
    by_variant = forecasts(variant_ids=list(horizons), horizon=max(horizons.values(), default=1),
                           history_days=history_days, today=today)
    result = []
    for rule in rules:
        lead = lead_times[rule.pk]
        suggestion = ReorderSuggestion(rule=rule, lead_time_days=lead, share=shares[rule.pk])
        result.append(suggestion)
        if lead is None:
            suggestion.why_not = _("No active supplier sells this SKU.")
            continue
        forecast = by_variant[rule.variant_id]
        if forecast.sold_nothing:
            suggestion.why_not = _("No sales in the last %(days)s days to forecast from.") % {"days": history_days}
            continue
        suggestion.error = forecast.backtest_total_error
        error = min(UNKNOWN_ERROR if suggestion.error is None else suggestion.error, UNKNOWN_ERROR)
        suggestion.lead_time_demand = suggestion.share * sum(forecast.daily[:lead])
        suggestion.safety_stock = suggestion.lead_time_demand * error / 100
        suggestion.review_demand = suggestion.share * sum(forecast.daily[lead:lead + REVIEW_DAYS])
        suggestion.reorder_point = math.ceil(round(suggestion.lead_time_demand + suggestion.safety_stock, 6))
        suggestion.order_up_to = max(suggestion.reorder_point + 1, math.ceil(round(
            suggestion.lead_time_demand + suggestion.safety_stock + suggestion.review_demand, 6)))
    return result

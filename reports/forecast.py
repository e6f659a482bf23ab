"""Sales forecast per SKU: Holt's linear exponential smoothing over daily units sold.

``forecast_variant`` is the function reorder rules can call: it reads the daily rollups (and today
live), fits level and trend with the smoothing constants that give the smallest one-step error on the
history, forecasts ``horizon`` days, and reports a backtest on the last ``backtest_days`` (fit on the
days before them, forecast them, compare) as WAPE, the weighted mean absolute percentage error
(sum of |error| / sum of actual), which unlike plain MAPE stays defined on days with no sales.
"""

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
    """Units sold per local day from ``start`` to ``end`` (zero-filled): the rollups up to the day they cover, the
    days after them read live (as every report does), so days not rolled up yet are not taken for days without
    sales. Two queries."""
    from django.db.models.functions import TruncDate

    from reports import rollups
    from reports.selectors import ReportFilter, _live_lines  # local import: selectors imports the models too

    covered = rollups.complete_through()
    split = min(covered, end) if covered is not None else start - timedelta(days=1)
    by_day = dict(DailyProductSales.objects.filter(variant_id=variant_id, day__gte=start, day__lte=split)
                  .order_by().values_list("day").annotate(Sum("units")))
    live_start = max(start, split + timedelta(days=1))
    if live_start <= end:
        lines = _live_lines(ReportFilter(live_start, end), live_start).filter(variant_id=variant_id)
        by_day.update(lines.annotate(day=TruncDate("order__placed_at", tzinfo=rollups.local_tz()))
                      .values_list("day").annotate(Sum("quantity")))
    return [float(by_day.get(start + timedelta(days=i), 0)) for i in range((end - start).days + 1)]


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
    today = today or timezone.localdate()
    start = today - timedelta(days=history_days)
    end = today - timedelta(days=1)  # today is incomplete: fitting it would pull the level down
    series = daily_units(variant_id=variant_id, start=start, end=end)
    alpha, beta, daily, backtest = forecast_series(series, horizon=horizon, backtest_days=backtest_days)
    _wape, total_err = backtest_series(series, backtest_days=backtest_days)
    return Forecast(
        variant_id=variant_id, method="holt", history_days=[start + timedelta(days=i) for i in range(len(series))],
        history=series, days=[today + timedelta(days=i) for i in range(horizon)], daily=daily, alpha=alpha,
        beta=beta, backtest_wape=backtest, backtest_total_error=total_err,
    )


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

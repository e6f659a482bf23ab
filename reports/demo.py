"""Demo data for reports: builds the rollups over the demo history and measures the forecast on it."""

from reports.forecast import forecast_accuracy
from reports.rollups import refresh_rollups


def seed(*, stdout) -> None:
    result = refresh_rollups(full=True, durable=False)  # idempotent: recomputes the same days, adds nothing twice
    stdout.write(f"Report rollups rebuilt for {result['start']}..{result['end']}: {result['sales_rows']} day x "
                 f"channel rows, {result['product_rows']} day x SKU rows")
    accuracy = forecast_accuracy()
    if accuracy["mean_wape"] is not None:
        stdout.write(f"Sales forecast (Holt) backtest on the {accuracy['skus']} best sellers: mean WAPE "
                     f"{accuracy['mean_wape']:.1f}% per day, {accuracy['mean_total_error']:.1f}% on the 14-day total")

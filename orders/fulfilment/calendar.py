"""Shipping calendar: cut-off times, handling days and transit days count working days only."""

from datetime import date, datetime, time, timedelta


def add_working_days(start: date, days: int) -> date:
    current = start
    while current.weekday() >= 5:
        current += timedelta(days=1)
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def ship_date(*, now: datetime, cutoff: time | None, handling_days: int) -> date:
    """The day a location hands the parcel to the carrier for an order released at ``now``."""
    start = now.date()
    if cutoff is not None and now.time() > cutoff:
        start += timedelta(days=1)
    return add_working_days(start, handling_days)


def arrival_date(*, shipped_on: date, transit_days: int) -> date:
    return add_working_days(shipped_on, transit_days)

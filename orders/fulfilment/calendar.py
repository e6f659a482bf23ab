"""Shipping calendar: cut-off times, handling days and transit days count working days only.

A working day is Monday to Friday and not a closed day. ``ClosedDays`` holds the holidays read once per
decision: national ones close every location and the carriers (transit skips them), a location's own closure
day only delays that location's handling.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

NONE: frozenset[date] = frozenset()


@dataclass(frozen=True)
class ClosedDays:
    national: frozenset[date] = NONE
    local: Mapping[int, frozenset[date]] = field(default_factory=dict)  # location id -> its own closure days

    def at(self, location_id: int | None) -> frozenset[date]:
        """The days ``location_id`` does not hand anything over: national holidays and its own closures."""
        own = self.local.get(location_id) if location_id is not None else None
        return self.national | own if own else self.national


def add_working_days(start: date, days: int, closed: Collection[date] = NONE) -> date:
    current = start
    while current.weekday() >= 5 or current in closed:
        current += timedelta(days=1)
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in closed:
            remaining -= 1
    return current


def ship_date(*, now: datetime, cutoff: time | None, handling_days: int, closed: Collection[date] = NONE) -> date:
    """The day a location hands the parcel to the carrier for an order released at ``now`` (``closed``: that
    location's closed days)."""
    start = now.date()
    if cutoff is not None and now.time() > cutoff:
        start += timedelta(days=1)
    return add_working_days(start, handling_days, closed)


def arrival_date(*, shipped_on: date, transit_days: int, closed: Collection[date] = NONE) -> date:
    """``closed``: the national holidays (carriers do not deliver on them)."""
    return add_working_days(shipped_on, transit_days, closed)

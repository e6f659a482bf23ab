"""Shipping calendar: cut-off times, handling days and transit days count working days only.

A working day is Monday to Friday and not a closed day. ``ClosedDays`` holds the holidays read once per
decision: national ones close every location and the carriers (transit skips them), a location's own closure
day only delays that location's handling.

A plan is a count of working days (handling from the release, transit from the hand-over). When the calendar
changes after planning, ``replanned`` keeps those counts and counts them again through the same functions.
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


def working_days_to(start: date, end: date, closed: Collection[date] = NONE) -> int:
    """The ``days`` for which ``add_working_days(start, days, closed)`` reaches ``end`` (or, when ``end`` is not a
    working day, the first working day after it): the count a plan made, read back from its date."""
    current = add_working_days(start, 0, closed)
    days = 0
    while current < end:
        current = add_working_days(current, 1, closed)
        days += 1
    return days


def replanned(*, ships_on: date, arrives_on: date | None, since: date, closed_was: Collection[date],
              closed: Collection[date], national_was: Collection[date] = NONE, national: Collection[date] = NONE
              ) -> tuple[date, date | None]:
    """A planned (hand-over, arrival) after the closed days changed on or after ``since``: the working days the
    plan counted from ``since`` to the hand-over (the location's days, ``closed_was`` -> ``closed``) and its
    transit days (the national ones) are counted again by ``ship_date`` and ``arrival_date``. Days before
    ``since`` did not change, so a plan counted from its release reaches the same dates as planning again would
    (``since`` is a day the plan counted); a hand-over before ``since`` stays, its arrival may still move."""
    new_ships_on = ships_on
    if ships_on >= since:
        new_ships_on = ship_date(now=datetime.combine(since, time.min), cutoff=None,
                                 handling_days=working_days_to(since, ships_on, closed_was), closed=closed)
    if arrives_on is None or arrives_on < ships_on:
        return new_ships_on, arrives_on
    return new_ships_on, arrival_date(shipped_on=new_ships_on, transit_days=working_days_to(
        ships_on, arrives_on, national_was), closed=national)

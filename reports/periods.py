"""The dates a report may cover: one rule for the report pages and the background report jobs.

Reports compare a period with the one before it (up to ten years earlier) and with the same weeks a year
before, and read up to the day after its end; a date near year 1 or 9999 made those steps fail with
``OverflowError``. The sales this system holds start long after ``EARLIEST``, and nothing is sold more than
``YEARS_AHEAD`` years from now, so a date outside that span is refused with a message naming it.
"""

from datetime import date

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from oms.errors import Refusal
from oms.query import impossible_date, quoted, to_date

EARLIEST = date(2000, 1, 1)
YEARS_AHEAD = 5
MAX_DAYS = 3660  # ten years


class PeriodError(Refusal):
    """A report date is refused; ``message`` names it."""


def latest(today: date | None = None) -> date:
    """The last day a report may cover: the end of the year ``YEARS_AHEAD`` years from now."""
    return date((today or timezone.localdate()).year + YEARS_AHEAD, 12, 31)


def _shown(value: date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def read_date(text, *, label: str) -> date | None:
    """The date typed for ``label`` ("From", "To"), None when empty; raises ``PeriodError`` naming the value
    when it is not a date (YYYY-MM-DD) or lies outside the dates reports cover."""
    raw = str(text if text is not None else "").strip()
    if not raw:
        return None
    value = to_date(raw)
    if value is None and (why := impossible_date(raw)):
        raise PeriodError(_("%(field)s: the date “%(value)s” does not exist: %(why)s.")
                          % {"field": label, "value": quoted(raw), "why": why})
    if value is None:
        raise PeriodError(_("%(field)s: “%(value)s” is not a date. Use YYYY-MM-DD, e.g. 2026-01-31.")
                          % {"field": label, "value": quoted(raw)})
    if not EARLIEST <= value <= latest():
        raise PeriodError(_("%(field)s: %(value)s is outside the dates reports cover, from %(first)s to %(last)s.")
                          % {"field": label, "value": _shown(value), "first": _shown(EARLIEST),
                             "last": _shown(latest())})
    return value

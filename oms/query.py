"""Reading what a browser sends: a bad value gets a 400 answer that names it, never a server error.

``query_date(params, "until")`` reads an optional ISO date filter, ``query_choice`` one a select box fills;
``QueryStringMiddleware`` refuses query strings and form fields PostgreSQL cannot take (a NUL character: nobody
types one, so the request is refused as a whole) and turns ``BadQuery`` raised by a view into the 400 page.
htmx requests get the message alone, as text, which oms.js shows as a notice.
"""

import calendar
from datetime import date
from functools import wraps

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.dateformat import format as format_date
from django.utils.dateparse import date_re, parse_date
from django.utils.formats import get_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from oms.errors import Refusal

API_PREFIX = "/api/"


class BadQuery(Refusal):
    """A query-string value is refused; the middleware answers 400 with ``message``."""


def quoted(text: str) -> str:
    """A value as a refusal quotes it: whole up to 40 characters, else its start and "…"."""
    return text if len(text) <= 40 else text[:39] + "…"


def to_date(value: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD), or None when empty, malformed or impossible (2026-13-45)."""
    try:
        return parse_date((value or "").strip())
    except ValueError:
        return None


def impossible_date(value: str | None) -> str | None:
    """Why text written as YYYY-MM-DD names no day of the calendar ("February 2026 has 28 days"), or None when
    it is a real day or not written that way."""
    found = date_re.match((value or "").strip())
    if not found:
        return None
    year, month, day = int(found["year"]), int(found["month"]), int(found["day"])
    if year < 1:
        return _("the years of a date start at 0001")
    if not 1 <= month <= 12:
        return _("a year has 12 months")
    days = calendar.monthrange(year, month)[1]
    if 1 <= day <= days:
        return None
    month_name = format_date(date(year, month, 1), get_format("YEAR_MONTH_FORMAT"))
    return _("%(month)s has %(days)s days") % {"month": month_name, "days": days}


def date_refusal(value: str | None, *, name: str = "") -> str:
    """What to tell someone whose ``value`` is not a date: that the day does not exist when it is written
    YYYY-MM-DD (2026-02-30), else the form to write it in. ``name`` names the field, for filters in the address."""
    shown = quoted((value or "").strip())
    if why := impossible_date(value):
        if name:
            return (_("The date “%(value)s” given for “%(name)s” does not exist: %(why)s.")
                    % {"value": shown, "name": name, "why": why})
        return _("The date “%(value)s” does not exist: %(why)s.") % {"value": shown, "why": why}
    if name:
        return (_("“%(value)s” is not a date for “%(name)s”: use YYYY-MM-DD, e.g. 2026-11-24.")
                % {"value": shown, "name": name})
    return _("“%(value)s” is not a date: use YYYY-MM-DD, e.g. 2026-11-24.") % {"value": shown}


def query_date(params, name: str) -> date | None:
    """The optional date filter ``name``; raises ``BadQuery`` naming it when it is given but not a date."""
    value = (params.get(name) or "").strip()
    if not value:
        return None
    found = to_date(value)
    if found is None:
        raise BadQuery(date_refusal(value, name=name))
    return found


def query_choice(params, name: str, choices) -> str | None:
    """The optional filter ``name`` that a list's select box fills (a status, a channel's code); raises ``BadQuery``
    naming it when it is given but is none of ``choices``: filtering by it would list nothing under a box that shows
    no filter."""
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if value not in choices:
        raise BadQuery(_("“%(value)s” is not a choice for “%(name)s”: choose one from the list.")
                       % {"value": quoted(value), "name": name})
    return value


def missing_is_404(*models):
    """For a view that hands the address's id to a service, which looks the record up itself: the record missing
    (a stale page, a typed address) answers 404, not a server error. Only the named models: any other missing
    row is a bug and stays one."""
    missing = tuple(model.DoesNotExist for model in models)

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except missing:
                raise Http404 from None

        return wrapped

    return decorate


def next_address(request, default: str) -> str:
    """Where to go back to after a post: its ``next`` field when it is an address on this site, else ``default``
    (a ``next`` pointing elsewhere would make our form a link to any site)."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return wanted
    return default


def bad_request(request, message: str):
    if getattr(request, "htmx", False):
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    return render(request, "400.html", {"message": message}, status=400)


def _with_nul(params) -> str | None:
    """The name of the first parameter whose name or value holds a NUL character."""
    for key, values in params.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return key.replace("\x00", "")[:40]
    return None


class QueryStringMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):  # the intake API answers bad input itself, as its schema documents
            return self.get_response(request)
        if (name := _with_nul(request.GET)) is not None:
            return bad_request(request, _("The address contains a NUL character (in “%(name)s”): remove it "
                                          "and try again.") % {"name": name})
        if request.method == "POST" and (name := _with_nul(request.POST)) is not None:
            return bad_request(request, _("The form field “%(name)s” contains a NUL character: remove it and "
                                          "try again.") % {"name": name})
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, BadQuery):
            return bad_request(request, exception.message)
        return None

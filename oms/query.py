"""Reading the query string: a bad value gets a 400 page that names it, never a server error.

``query_date(params, "until")`` reads an optional ISO date filter; ``QueryStringMiddleware`` refuses query
strings PostgreSQL cannot take (a NUL character) and turns ``BadQuery`` raised by a view into the 400 page.
"""

from datetime import date

from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _


class BadQuery(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def to_date(value: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD), or None when empty, malformed or impossible (2026-13-45)."""
    try:
        return parse_date((value or "").strip())
    except ValueError:
        return None


def query_date(params, name: str) -> date | None:
    """The optional date filter ``name``; raises ``BadQuery`` naming it when it is given but not a date."""
    value = (params.get(name) or "").strip()
    if not value:
        return None
    found = to_date(value)
    if found is None:
        raise BadQuery(_("“%(value)s” is not a date for “%(name)s”: use YYYY-MM-DD, e.g. 2026-11-24.")
                       % {"value": value[:40], "name": name})
    return found


def bad_request(request, message: str):
    return render(request, "400.html", {"message": message}, status=400)


class QueryStringMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return bad_request(request, _("The address contains a NUL character (in “%(name)s”): remove it "
                                              "and try again.") % {"name": key.replace("\x00", "")[:40]})
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, BadQuery):
            return bad_request(request, exception.message)
        return None

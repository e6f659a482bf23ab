"""Reading what a browser sends: a bad value gets a 400 answer that names it, never a server error.

``query_date(params, "until")`` reads an optional ISO date filter; ``QueryStringMiddleware`` refuses query
strings and form fields PostgreSQL cannot take (a NUL character: nobody types one, so the request is refused as a
whole) and turns ``BadQuery`` raised by a view into the 400 page.
htmx requests get the message alone, as text, which oms.js shows as a notice.
"""

from datetime import date
from functools import wraps

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date
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

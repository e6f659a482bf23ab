"""Deny-by-default access control for every URL.

Each project app declares, in its ``access.py``::

    RULES = {"inventory:product_list": "view_catalogue", "orders:tracking": PUBLIC, ...}
    NAV = [NavItem(_("Products"), "inventory:product_list", "view_catalogue", section=_("Inventory"))]

A URL without a rule answers 403 for everybody (and the access-matrix test fails), a URL with a rule
needs a logged-in user holding ``oms.<permission>``; anonymous users are sent to the login page.
"""

from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

PUBLIC = "__public__"
# Namespaces with their own access control (Django admin requires staff users).
SELF_GUARDED_NAMESPACES = {"admin"}
# What a user still holding a temporary password may open: everything else leads to the password change.
WHILE_PASSWORD_TEMPORARY = {"password_change", "password_change_done", "logout", "login", "set_language", "healthz",
                            "admin:logout"}


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str
    section: str = ""
    icon: str = ""


def _app_modules():
    for app in settings.PROJECT_APPS:
        try:
            yield import_module(f"{app}.access")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.access":
                raise


@cache
def access_rules() -> dict[str, str]:
    rules: dict[str, str] = {}
    for module in _app_modules():
        for name, permission in getattr(module, "RULES", {}).items():
            if name in rules:
                raise ValueError(f"Access rule for {name!r} declared twice")
            rules[name] = permission
    return rules


@cache
def nav_items() -> list[NavItem]:
    items: list[NavItem] = []
    for module in _app_modules():
        items.extend(getattr(module, "NAV", []))
    return items


def has_permission(user, permission: str) -> bool:
    if permission == PUBLIC:
        return True
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(f"oms.{permission}"))


def rule_for(view_name: str) -> str | None:
    return access_rules().get(view_name)


def url_for(user, view_name: str, *, query: str = "", **kwargs) -> str:
    """The URL of ``view_name`` if ``user`` may open it, else "": a tile or link that would answer 403 links
    nowhere."""
    from django.urls import reverse

    rule = rule_for(view_name)
    if rule is None or not has_permission(user, rule):
        return ""
    return reverse(view_name, kwargs=kwargs or None) + (f"?{query}" if query else "")


class AccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.view_name not in WHILE_PASSWORD_TEMPORARY and _password_temporary(request):
            return _to_password_change(request)
        if match is None or (match.namespaces and match.namespaces[0] in SELF_GUARDED_NAMESPACES):
            return None
        if settings.DEBUG and request.path.startswith(settings.STATIC_URL):
            return None
        permission = rule_for(match.view_name)
        if permission == PUBLIC:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if permission is None or not has_permission(request.user, permission):
            return render(request, "403.html", status=403)
        return None


def _password_temporary(request) -> bool:
    from oms.staff import PASSWORD_TEMPORARY_SESSION_KEY

    return request.user.is_authenticated and bool(request.session.get(PASSWORD_TEMPORARY_SESSION_KEY))


def _to_password_change(request) -> HttpResponse:
    """A user holding the temporary password an administrator made is sent to choose their own first."""
    from django.urls import reverse

    if getattr(request, "htmx", False):  # a fragment request: the whole page goes there, not the target
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("password_change")
        return response
    return redirect("password_change")


RULES = {
    "home": "use_back_office",
    "search": "use_back_office",
    "healthz": PUBLIC,
    "audit_list": "view_audit",
    "outbox_list": "view_audit",
    "outbox_retry": "view_audit",
    "staff_list": "manage_users",
    "staff_create": "manage_users",
    "staff_edit": "manage_users",
    "staff_password_reset": "manage_users",
    "login": PUBLIC,
    "logout": PUBLIC,
    "password_change": "use_back_office",
    "password_change_done": "use_back_office",
    "set_language": PUBLIC,
}

NAV = [
    NavItem(_("Home"), "home", "use_back_office"),
    NavItem(_("Audit trail"), "audit_list", "view_audit", section=_("Administration")),
    NavItem(_("Outbox"), "outbox_list", "view_audit", section=_("Administration")),
    NavItem(_("Users"), "staff_list", "manage_users", section=_("Administration")),
]

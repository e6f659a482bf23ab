"""Walks every URL for every role (and anonymous) against the declared access rules."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from oms.access import PUBLIC, SELF_GUARDED_NAMESPACES, access_rules, has_permission
from oms.permissions import ROLE_PERMISSIONS, ROLES

SAMPLE_VALUES = {"int": 999999, "slug": "missing-slug", "str": "missing", "uuid": str(uuid.UUID(int=1)),
                 "path": "missing/path"}


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            if ns in SELF_GUARDED_NAMESPACES:
                continue
            child = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, child)
        elif isinstance(entry, URLPattern):
            yield entry, namespace


def all_routes():
    routes = []
    for pattern, namespace in _walk(get_resolver().url_patterns):
        assert pattern.name, f"URL {pattern.pattern} has no name, so no access rule can name it"
        view_name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        converters = getattr(pattern.pattern, "converters", {})
        kwargs = {
            key: SAMPLE_VALUES.get(type(conv).__name__.replace("Converter", "").lower(), "missing")
            for key, conv in converters.items()
        }
        routes.append((view_name, reverse(view_name, kwargs=kwargs)))
    return routes


def test_every_url_has_an_access_rule():
    rules = access_rules()
    missing = [name for name, _url in all_routes() if name not in rules]
    assert missing == []


def test_every_rule_names_a_known_permission():
    from oms.permissions import ALL

    unknown = {name: perm for name, perm in access_rules().items() if perm != PUBLIC and perm not in ALL}
    assert unknown == {}


@pytest.mark.parametrize("role", [None, *ROLES])
def test_access_matrix(client, make_user, role):
    user = None
    if role:
        user = make_user(role)
        client.force_login(user)
    rules = access_rules()
    wrong = []
    for view_name, url in all_routes():
        rule = rules[view_name]
        response = client.get(url)
        if rule == PUBLIC:
            allowed = True
        elif role is None:
            allowed = False
            if not (response.status_code == 302 and "/accounts/login/" in response["Location"]):
                wrong.append((view_name, response.status_code, "anonymous not sent to login"))
            continue
        else:
            allowed = rule in ROLE_PERMISSIONS[role]
        assert has_permission(user, rule) == allowed
        if allowed and response.status_code == 403:
            wrong.append((view_name, 403, "refused but allowed"))
        if not allowed and response.status_code != 403:
            wrong.append((view_name, response.status_code, "allowed but should be refused"))
    assert wrong == []


def test_role_groups_in_database_match_declared_roles(db):
    from django.contrib.auth.models import Group

    in_db = {
        g.name: {p.codename for p in g.permissions.all()} for g in Group.objects.prefetch_related("permissions")
    }
    assert in_db == ROLE_PERMISSIONS


def test_django_admin_refuses_non_staff(role_client):
    response = role_client("agent").get("/django-admin/")
    assert response.status_code == 302
    assert "/django-admin/login/" in response["Location"]


def test_url_for_links_only_pages_the_user_may_open(make_user):
    from oms.access import url_for

    finance, manager = make_user("finance"), make_user("manager")
    assert url_for(finance, "orders:approval_list") == ""
    assert url_for(manager, "orders:approval_list") == reverse("orders:approval_list")
    assert url_for(manager, "orders:order_list", query="at_risk=1") == reverse("orders:order_list") + "?at_risk=1"
    assert url_for(manager, "inventory:location_detail", pk=7, query="low=1") == "/inventory/locations/7/?low=1"
    assert url_for(manager, "no:such_view") == ""

"""Every address that names a record by its id, asked for a record that does not exist (or an id no column can
hold): a 404 or a refusal, never a server error. Views often hand the id to a service, which looks it up itself."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import UserFactory

MISSING = 987654321
# String parts of addresses: each view checks them against its own list and answers 404 for anything else.
WORDS = {"step": "ship", "kind": "slip", "action": "approve", "fmt": "csv", "format": "csv"}
# A post with the usual fields filled, so the views get past "this field is required" to the lookup.
FILLED = {"code": "X-1", "carrier": "Correios", "service": "PAC", "tracking_number": "BR1", "reason": "test",
          "decision": "approve", "location": "1", "quantity": "1", "amount": "1", "confirm": "1", "method": "pix"}


def _patterns(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, prefix + (f"{pattern.namespace}:" if pattern.namespace else ""))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name, pattern.pattern


def _addresses(missing: int):
    for name, pattern in _patterns(get_resolver()):
        converters = getattr(pattern, "converters", {})
        if not any(type(c).__name__ == "IntConverter" for c in converters.values()):
            continue
        kwargs = {}
        for key, converter in converters.items():
            kwargs[key] = missing if type(converter).__name__ == "IntConverter" else WORDS.get(key, "x")
        try:
            yield name, reverse(name, kwargs=kwargs)
        except Exception:  # noqa: BLE001 - a pattern whose words are not the ones above: not an id address
            continue


@pytest.mark.django_db
@pytest.mark.parametrize("missing", [MISSING, 2**31, 2**63])
def test_an_id_that_does_not_exist_is_never_a_server_error(missing):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    addresses = list(_addresses(missing))
    errors = []
    for name, url in addresses:
        for method, data in ((client.get, {}), (client.post, {}), (client.post, FILLED)):
            for htmx in ({}, {"HTTP_HX_REQUEST": "true"}):
                status = method(url, data, **htmx).status_code
                if status >= 500:
                    errors.append((name, method.__name__, bool(data), status))
    assert not errors, sorted({(name, method, filled) for name, method, filled, _status in errors})
    assert len(addresses) > 80

"""Sales channels' names for marketing pages, which keep channel codes (``phone``) but show names (Televendas).

Channels belong to the orders app, which marketing does not import; the table is read through the app
registry, and a code no channel has (or no orders app at all) shows as the code itself.
"""

from django.apps import apps
from django.db.models import Subquery


def channel_names() -> dict[str, str]:
    """Every channel's name by code (one query)."""
    try:
        channel = apps.get_model("orders", "Channel")
    except LookupError:
        return {}
    return dict(channel.objects.values_list("code", "name"))


def channel_name(code: str, names: dict[str, str] | None = None) -> str:
    """The name of the channel with this code, or the code when no channel has it."""
    if not code:
        return ""
    names = channel_names() if names is None else names
    return names.get(code, code)


def channel_price_list(code: str):
    """The code of the price list the channel with this code was given (its "Price list" setting), as a subquery
    to filter price lists by in the same query; None without an orders app."""
    try:
        channel = apps.get_model("orders", "Channel")
    except LookupError:
        return None
    return Subquery(channel.objects.filter(code=code).exclude(price_list_code="").values("price_list_code")[:1])


def channel_price_lists() -> dict[str, str]:
    """The code of the price list each channel was given, by channel code (channels without one are left out; one
    query), for pricing many orders at once; empty without an orders app."""
    try:
        channel = apps.get_model("orders", "Channel")
    except LookupError:
        return {}
    return dict(channel.objects.exclude(price_list_code="").values_list("code", "price_list_code"))


def channel_codes() -> set[str] | None:
    """Every sales channel's code (one query); None without an orders app, where codes cannot be checked."""
    try:
        channel = apps.get_model("orders", "Channel")
    except LookupError:
        return None
    return set(channel.objects.values_list("code", flat=True))


def customer_group_codes() -> set[str]:
    """The customer group codes customers have (one query); empty without an orders app."""
    try:
        customer = apps.get_model("orders", "Customer")
    except LookupError:
        return set()
    return set(customer.objects.exclude(group_code="").values_list("group_code", flat=True).distinct())


def channels_mapping_service(code: str) -> list[str]:
    """The names of the channels whose shipping method mappings give the carrier service ``code``."""
    try:
        mapping = apps.get_model("orders", "ShippingMapping")
    except LookupError:
        return []
    return sorted(set(mapping.objects.filter(service_code=code).values_list("channel__name", flat=True)))


def channels_using_price_list(code: str) -> list[str]:
    """The names of the channels whose "Price list" setting is the list with this code."""
    try:
        channel = apps.get_model("orders", "Channel")
    except LookupError:
        return []
    return sorted(channel.objects.filter(price_list_code=code).values_list("name", flat=True))

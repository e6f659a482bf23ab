"""Sales channels' names for marketing pages, which keep channel codes (``phone``) but show names (Televendas).

Channels belong to the orders app, which marketing does not import; the table is read through the app
registry, and a code no channel has (or no orders app at all) shows as the code itself.
"""

from django.apps import apps


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

"""Template helpers available in every template (registered as builtins)."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.http import urlencode

from oms.access import has_permission
from oms.i18n import from_json
from oms.money import CURRENCY_SYMBOLS, amount_text, default_currency, exponent, price_text, quantize

register = template.Library()


@register.filter
def money(amount, currency: str | None = None) -> str:
    """``{{ order.total|money:order.currency }}`` -> ``R$ 1.234,56`` in pt-BR, ``R$ 1,234.56`` in en."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    currency = currency or default_currency()
    formatted = number_format(quantize(value, currency), decimal_pos=exponent(currency), use_l10n=True,
                              force_grouping=True)
    return f"{CURRENCY_SYMBOLS.get(currency, currency)}\u00a0{formatted}"


@register.filter
def ltr(value) -> str:
    """``{{ customer.phone_display|ltr }}``: a phone number, tax id or signed amount kept left to right as one
    piece. In an Arabic line, "+55 11 98765-4321" would otherwise show its groups in reverse order, and a minus
    sign would move to the amount's far side."""
    return format_html('<bdi dir="ltr">{}</bdi>', value)


def _signed(sign: str, amount, currency: str | None) -> str:
    return ltr(f"{sign}{money(amount, currency)}")


@register.filter
def money_less(amount, currency: str | None = None) -> str:
    """``{{ order.discount_total|money_less:order.currency }}`` -> ``−R$ 12,00`` (a discount), in any direction."""
    return _signed("\u2212", amount, currency)


@register.filter
def money_more(amount, currency: str | None = None) -> str:
    """``{{ field.extra_price|money_more }}`` -> ``+R$ 5,00`` (a surcharge), in any direction."""
    return _signed("+", amount, currency)


@register.filter
def stored(value) -> str:
    """``{{ discount.reason|stored }}``: a text kept in a JSON snapshot, in the reader's language (``oms.i18n``)."""
    return from_json(value)


@register.filter
def can(user, permission: str) -> bool:
    """``{% if user|can:"approve_orders" %}``"""
    return has_permission(user, permission)


@register.simple_tag(takes_context=True)
def query_replace(context, **changes) -> str:
    """The current query string with some parameters replaced (for paging and sorting links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted((k, v) for k in params for v in params.getlist(k)))


@register.simple_tag(takes_context=True)
def sort_th(context, field: str, label: str) -> str:
    """A table header that sorts by ``field`` on the server, flipping direction on a second click. The list's order is
    the ``sort`` asked for, or the context's ``current_sort`` when the view says how it really sorted (its default
    when none was asked, or the one it fell back to)."""
    current = context.get("current_sort") or context["request"].GET.get("sort", "")
    descending = current == f"-{field}"
    target = field if descending or current != field else f"-{field}"
    arrow = "▲" if current == field else "▼" if descending else ""
    aria = "ascending" if current == field else "descending" if descending else "none"
    href = query_replace(context, sort=target, page=None)
    # The arrow is for the eye: aria-sort already tells a screen reader, which would read "black up-pointing triangle".
    arrow = format_html('<span aria-hidden="true">{}</span>', arrow) if arrow else ""
    return format_html('<th aria-sort="{}"><a href="{}">{} {}</a></th>', aria, href, label, arrow)


@register.filter
def role_label(role: str) -> str:
    """``{{ group.name|role_label }}``: a role's name in the reader's language."""
    from oms.permissions import role_label

    return role_label(role)


def from_to(start, end) -> str:
    """"start → end" pointing the way the text reads: ← in Arabic, where the start stands on the right. Each side
    is isolated: two Latin names ("Fornecedor X", "CD Cajamar") would otherwise form one left-to-right run in an
    Arabic line, and the arrow would point backwards. Used for moves, status changes and date ranges."""
    from django.utils.translation import get_language_bidi

    return format_html('<bdi>{}</bdi> {} <bdi>{}</bdi>', start, "←" if get_language_bidi() else "→", end)


@register.simple_tag
def arrow(start, end) -> str:
    """``{% arrow transfer.from_location transfer.to_location %}``: see ``from_to``."""
    return from_to(start, end)


@register.simple_tag
def back_arrow() -> str:
    """``<a href="…">{% back_arrow %} Promotions</a>``: a link back points to where lines start (→ in Arabic)."""
    from django.utils.translation import get_language_bidi

    return "→" if get_language_bidi() else "←"


@register.simple_tag
def forward_arrow() -> str:
    """A link onwards ("Price check →") points to where lines end (← in Arabic)."""
    from django.utils.translation import get_language_bidi

    return "←" if get_language_bidi() else "→"


@register.filter
def amount_input(value, currency: str | None = None) -> str:
    """``{{ p.refundable|amount_input:p.currency }}``: an amount to put in a text box, in the reader's number format
    without grouping (``5011,46`` in pt-BR, ``5011.46`` in English), as ``parse_amount`` reads it back."""
    return amount_text(value, currency)


@register.filter
def price_input(value) -> str:
    """``{{ line.unit_cost|price_input }}``: a unit price or cost to put in a text box, up to its fourth decimal."""
    return price_text(value)

"""Template filters of the payments pages."""

from django import template

from payments.forms import amount_text

register = template.Library()


@register.filter
def amount_input(value, currency: str | None = None) -> str:
    """``{{ p.refundable|amount_input:p.currency }}``: an amount to put in a text box, in the reader's number format
    without grouping (``5011,46`` in pt-BR, ``5011.46`` in English), as ``parse_amount`` reads it back."""
    return amount_text(value, currency)

"""Arrows of marketing pages that point along the line as it reads (right to left in Arabic).

``{% back_arrow %}`` starts a link back to the page before ("← Promotions"): it points to where the line
starts, so → in Arabic. ``{% forward_arrow %}`` points on, to where the line ends: → or ←.
"""

from django import template
from django.utils.translation import get_language_bidi

register = template.Library()


@register.simple_tag
def back_arrow() -> str:
    return "→" if get_language_bidi() else "←"


@register.simple_tag
def forward_arrow() -> str:
    return "←" if get_language_bidi() else "→"

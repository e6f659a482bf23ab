"""Helpers for reportlab documents.

reportlab's ``Paragraph`` parses its text as markup (``<font>``, ``<img src=...>``, ``<a>``), so every value
that comes from a user (names, addresses, notes) goes through ``text`` first and is printed literally.

Use ``oms.pdf.Paragraph`` rather than reportlab's: the parser turns each ``&lt;``/``&amp;`` entity into a
fragment of its own, so escaped text is written as several pieces ("A ", "&", " B"); this subclass joins
neighbouring fragments of the same style again, so the text of the PDF reads (and searches) as typed.
"""

from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph as _Paragraph
from reportlab.platypus.paraparser import ParaFrag


def text(value) -> str:
    """``value`` as Paragraph-safe text: ``&``, ``<`` and ``>`` escaped; None is empty."""
    return "" if value is None else escape(str(value))


def _style_of(frag) -> dict | None:
    attributes = {k: v for k, v in vars(frag).items() if k != "text"}
    if any(k in attributes for k in ("cbDefn", "lineBreak", "_selfClosingTag", "isBullet")):
        return None  # images, line breaks and the like stay fragments of their own
    return attributes


def _joined(frags: list) -> list:
    result = []
    for frag in frags:
        previous = result[-1] if result else None
        if (type(frag) is ParaFrag and type(previous) is ParaFrag and isinstance(frag.text, str)
                and isinstance(previous.text, str) and (style := _style_of(frag)) is not None
                and style == _style_of(previous)):
            result[-1] = previous.clone(text=previous.text + frag.text)
        else:
            result.append(frag)
    return result


class Paragraph(_Paragraph):
    """reportlab's Paragraph with neighbouring same-style text fragments joined (see the module docstring)."""

    def _setup(self, text, style, bulletText, frags, cleaner):
        super()._setup(text, style, bulletText, frags, cleaner)
        if frags is None:
            self.frags = _joined(self.frags)

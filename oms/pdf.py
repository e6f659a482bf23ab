"""Helpers for reportlab documents: every PDF is built with these, so each reads in English, Portuguese and Arabic.

reportlab's ``Paragraph`` parses its text as markup (``<font>``, ``<img src=...>``, ``<a>``), so every value
that comes from a user (names, addresses, notes) goes through ``text`` (or ``para``) and is printed literally.

reportlab's standard fonts have no Arabic letters, and it neither joins Arabic letters nor orders right-to-left
text. So documents use DejaVu Sans (``oms/fonts``, with its licence), ``visual`` puts text in drawing order
(arabic-reshaper joins the letters, python-bidi orders the runs), and in a right-to-left language paragraphs align
right and tables run from the right (``table``).

Use ``oms.pdf.Paragraph`` rather than reportlab's: the parser turns each ``&lt;``/``&amp;`` entity into a
fragment of its own, so escaped text is written as several pieces ("A ", "&", " B"); this subclass joins
neighbouring fragments of the same style again, so the text of the PDF reads (and searches) as typed.
"""

import re
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import arabic_reshaper
from bidi.algorithm import get_display  # the full algorithm, with mirrored brackets (its v2 API omits them)
from django.utils.translation import get_language, get_language_bidi, to_locale
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph as _Paragraph
from reportlab.platypus import SimpleDocTemplate, Table, TableStyle
from reportlab.platypus.paraparser import ParaFrag

FONTS = Path(__file__).resolve().parent / "fonts"
FONT, BOLD = "OMS-Sans", "OMS-Sans-Bold"
RIGHT_TO_LEFT_LETTERS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
CELL_PADDING = 12  # points: reportlab's table cells pad 6 on each side
CELL_FONT_SIZE = 9


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, FONTS / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(BOLD, FONTS / "DejaVuSans-Bold.ttf"))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def fonts() -> tuple[str, str]:
    """The regular and bold font names, registered, for drawing on a canvas directly."""
    _register_fonts()
    return FONT, BOLD


def right_to_left() -> bool:
    """The document is read right to left (the active language's direction)."""
    return bool(get_language_bidi())


def visual(value: str) -> str:
    """``value`` in the order it is drawn: Arabic letters joined and right-to-left runs reversed. Like a browser's
    ``dir="auto"``, the first letter sets the text's direction: "محمد العلي (VIP)" runs from the right, "Shirt M"
    stays as typed even in an Arabic document."""
    if not RIGHT_TO_LEFT_LETTERS.search(value):
        return value
    return get_display(arabic_reshaper.reshape(value))


def text(value) -> str:
    """``value`` as Paragraph-safe text in drawing order: ``&``, ``<`` and ``>`` escaped; None is empty."""
    return "" if value is None else escape(visual(str(value)))


def styles() -> dict[str, ParagraphStyle]:
    """The documents' paragraph styles (``normal``, ``title``, ``heading``, and ``cell`` for paragraphs in a
    ``table``) in the language's direction."""
    _register_fonts()
    sample = getSampleStyleSheet()
    align = TA_RIGHT if right_to_left() else TA_LEFT
    return {
        "normal": ParagraphStyle("oms-normal", parent=sample["Normal"], fontName=FONT, alignment=align),
        "title": ParagraphStyle("oms-title", parent=sample["Title"], fontName=BOLD, alignment=TA_CENTER),
        "heading": ParagraphStyle("oms-heading", parent=sample["Heading2"], fontName=BOLD, alignment=align),
        "cell": ParagraphStyle("oms-cell", parent=sample["Normal"], fontName=FONT, fontSize=CELL_FONT_SIZE,
                               leading=CELL_FONT_SIZE + 2, alignment=align),
    }


def para(value, style: ParagraphStyle, width: float) -> "Paragraph":
    """``value`` (a user's or a translated text) as a paragraph ``width`` points wide, printed literally.

    Right-to-left text is wrapped here, in reading order, and each line then put in drawing order: wrapped by
    reportlab after reordering, a long Arabic address would start with its last words."""
    value = "" if value is None else str(value)
    if RIGHT_TO_LEFT_LETTERS.search(value):
        lines = simpleSplit(value, style.fontName, style.fontSize, width)
        return Paragraph("<br/>".join(text(line) for line in lines), style)
    return Paragraph(text(value), style)


def language_tag() -> str:
    """The active language as the PDF's ``/Lang`` wants it (BCP 47: "pt-BR", "ar"), so a screen reader reads
    the document in its language."""
    return to_locale(get_language() or "en").replace("_", "-")


def new_document(title: str, pagesize=A4, margin: float = 15 * mm) -> tuple[BytesIO, SimpleDocTemplate]:
    """An empty document in memory: ``doc.build(story)``, then ``buffer.getvalue()`` is the PDF."""
    _register_fonts()
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=margin, title=title, lang=language_tag(), displayDocTitle=True)
    return buffer, doc


def new_canvas(path: str, title: str, **options) -> Canvas:
    """A canvas to draw a document on directly, declaring what ``new_document`` declares: its title (shown by the
    viewer instead of the file name) and its language."""
    canvas = Canvas(path, lang=language_tag(), **options)
    canvas.setTitle(title)
    canvas.setViewerPreference("DisplayDocTitle", "true")
    return canvas


def cell_width(width: float) -> float:
    """The text width inside a table column ``width`` points wide."""
    return width - CELL_PADDING


def table(rows: list[list], widths: list[float], *, numeric=(), totals: list[tuple[str, str]] = ()) -> Table:
    """A bordered table with a header row; cells are strings (drawn literally, in drawing order) or paragraphs
    (``para``). The ``numeric`` columns (indexes) align to the end of the line, the others to its start.
    ``totals``: (label, amount) rows under it, the label across every column but the amount's, the last in bold.
    Right to left, the first column is on the right."""
    _register_fonts()
    last = len(widths) - 1
    numeric = set(numeric)
    start, end = ("RIGHT", "LEFT") if right_to_left() else ("LEFT", "RIGHT")
    alignment = [end if column in numeric else start for column in range(len(widths))]
    # A spanned cell shows its first cell's content: the label goes there, the amount at the line's end.
    spanned = [""] * (last - 1)
    if right_to_left():
        rows = [*(row[::-1] for row in rows), *([amount, label, *spanned] for label, amount in totals)]
        widths, alignment, label_columns = widths[::-1], alignment[::-1], (1, last)
    else:
        rows = [*rows, *([label, *spanned, amount] for label, amount in totals)]
        label_columns = (0, last - 1)
    rows = [[visual(cell) if isinstance(cell, str) else cell for cell in row] for row in rows]
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), CELL_FONT_SIZE),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *[("ALIGN", (column, 0), (column, -1), align) for column, align in enumerate(alignment)],
    ]
    for row in range(len(rows) - len(totals), len(rows)):
        style += [("SPAN", (label_columns[0], row), (label_columns[1], row)),
                  ("ALIGN", (label_columns[0], row), (label_columns[1], row), end)]
    if totals:
        style.append(("FONTNAME", (0, -1), (-1, -1), BOLD))
    return Table(rows, colWidths=widths, repeatRows=1, style=TableStyle(style))


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

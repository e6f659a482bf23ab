"""Reading back the PDFs the OMS draws: their text as a reader's PDF viewer extracts it (pypdf)."""

from io import BytesIO

import arabic_reshaper
from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """The text of every page, white space (a wrapped line, a table cell) folded to one space."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages).split())


def pdf_fonts(data: bytes) -> set[str]:
    """The names of the fonts the pages use; an embedded subset without its prefix (``AAAAAA+DejaVuSans``)."""
    fonts = set()
    for page in PdfReader(BytesIO(data)).pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return fonts


def shaped(text: str) -> str:
    """Arabic ``text`` with its letters joined (presentation forms), in reading order: how a PDF viewer extracts a
    line that was drawn right to left."""
    return arabic_reshaper.reshape(text)


def pdf_declared(data: bytes) -> tuple[str, str, bool]:
    """What the PDF says of itself: its title, its language (``/Lang``) and whether a viewer shows the title."""
    reader = PdfReader(BytesIO(data))
    root = reader.trailer["/Root"]
    preferences = root.get("/ViewerPreferences") or {}
    return (reader.metadata.title if reader.metadata else "", str(root.get("/Lang", "")),
            bool(preferences.get("/DisplayDocTitle", False)))

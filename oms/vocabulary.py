"""Words the project translates its own way although Django's admin or django-import-export translate them too.

Django merges every catalogue into one per language, and the same message shows the same translation on every page:
the project's catalogue (``LOCALE_PATHS``) wins over all, then the installed apps in their order, where the admin
and django-import-export come before ours. Where their wording is wrong for our pages, the word is listed here so the
project's catalogue carries it and wins:

- "Import": django-import-export's Arabic is misspelt (إستيراد for استيراد);
- "History": the admin's Arabic is تاريخ, which reads as "date" in a column of dates;
- "Skipped": django-import-export's Portuguese reads "not used" and its Arabic is an order ("ignore!"), not the count
  of rows a job passed over.

``served_differently()`` lists the translations in our catalogues that no page ever shows, because another catalogue
wins for the same message; ``scripts/po_served.py`` reports and aligns them, tests/oms/test_languages.py keeps none.
"""

from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

PROJECT_WORDING = (gettext_noop("Import"), gettext_noop("History"), gettext_noop("Skipped"))

LANGUAGES = ("pt_BR", "ar")


def catalogues(language: str) -> list[Path]:
    """The project's own catalogue files for a language: the project's, then each app's."""
    root = Path(settings.BASE_DIR)
    folders = [root / "locale", *sorted(p for p in root.glob("*/locale") if ".venv" not in p.parts)]
    return [folder / language / "LC_MESSAGES" / "django.po" for folder in folders]


def served_differently(language: str):
    """(catalogue, entry, served) for each translated entry of ours that pages show with another translation."""
    import polib

    with translation.override(language.replace("_", "-").lower()):
        for path in catalogues(language):
            for entry in polib.pofile(str(path)).translated_entries():
                if entry.msgid_plural:
                    continue
                served = (translation.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt
                          else translation.gettext(entry.msgid))
                if served != entry.msgstr:
                    yield path, entry, served

"""Fills translations into a gettext catalogue from a JSON object ``{msgid: msgstr}``.

    python scripts/po_fill.py inventory/locale/pt_BR/LC_MESSAGES/django.po translations.json

Entries already translated are kept unless --overwrite is given; fuzzy flags are cleared for
entries that get a translation. Prints the msgids still untranslated.
"""

import argparse
import json
import sys

import polib


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("po_file")
    parser.add_argument("json_file")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    catalogue = polib.pofile(args.po_file)
    with open(args.json_file, encoding="utf-8") as handle:
        translations = json.load(handle)
    for entry in catalogue:
        if entry.msgid in translations and (args.overwrite or not entry.translated() or entry.fuzzy):
            value = translations[entry.msgid]
            if entry.msgid_plural:
                forms = value if isinstance(value, dict) else dict.fromkeys(entry.msgstr_plural, value)
                entry.msgstr_plural = {int(k): v for k, v in forms.items()}
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    catalogue.save()
    missing = [e.msgid for e in catalogue if not e.obsolete and not e.translated()]
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Lists the translations in the project's catalogues that no page shows, because another catalogue wins.

    python scripts/po_served.py          # list them
    python scripts/po_served.py --align  # give each the translation the pages show

Django merges all catalogues, so a message has one translation everywhere (see oms/vocabulary.py for the order).
When two apps translate a message differently, one of them is never seen. Either the meaning really differs (give
the message a context with pgettext / {% translate ... context ... %}), or it is two words for the same thing: align
the loser with the winner, after making the better word win (fix the winning catalogue, or list the word in
oms/vocabulary.py when the winner is Django's or a library's). Run `make messages` first: pages read the .mo files.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")


def main() -> int:
    import django

    django.setup()
    import polib

    from oms.vocabulary import LANGUAGES, served_differently

    parser = argparse.ArgumentParser()
    parser.add_argument("--align", action="store_true")
    args = parser.parse_args()
    found = 0
    for language in LANGUAGES:
        changed = {}
        for path, entry, served in served_differently(language):
            found += 1
            print(f"{path}: {entry.msgid!r} ({entry.msgctxt or '-'}) {entry.msgstr!r} is shown as {served!r}")
            changed.setdefault(path, {})[(entry.msgctxt, entry.msgid)] = served
        if args.align:
            for path, served_by_key in changed.items():
                catalogue = polib.pofile(str(path))
                for entry in catalogue:
                    if (entry.msgctxt, entry.msgid) in served_by_key:
                        entry.msgstr = served_by_key[(entry.msgctxt, entry.msgid)]
                catalogue.save()
    return 1 if found and not args.align else 0


if __name__ == "__main__":
    sys.exit(main())

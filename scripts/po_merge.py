"""Resolves a merge conflict in a gettext catalogue: keeps our side, then takes from the other branch the
translations of messages ours lacks.

    python scripts/po_merge.py <branch> <po file> [<po file> ...]

Run `makemessages` for the catalogue's app afterwards if the other branch added messages to its sources, then this
again: new messages come in untranslated and get the other branch's translations.
"""

import subprocess
import sys

import polib


def merge(branch: str, path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if "\n<<<<<<< " in text:  # still in conflict: start from our side
        text = subprocess.run(["git", "show", f":2:{path}"], capture_output=True, text=True, check=True).stdout
    ours = polib.pofile(text)
    theirs = polib.pofile(subprocess.run(["git", "show", f"{branch}:{path}"], capture_output=True, text=True,
                                         check=True).stdout)
    known = {(e.msgctxt, e.msgid): e for e in theirs.translated_entries()}
    taken = 0
    for entry in ours:
        if entry.obsolete or (entry.translated() and "fuzzy" not in entry.flags):
            continue
        other = known.get((entry.msgctxt, entry.msgid))
        if other is None or other.msgid_plural != entry.msgid_plural:
            continue
        entry.msgstr, entry.msgstr_plural = other.msgstr, dict(other.msgstr_plural)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        taken += 1
    ours.save(path)
    return taken


def main() -> int:
    branch, *paths = sys.argv[1:]
    for path in paths:
        print(f"{path}: {merge(branch, path)} translations taken from {branch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

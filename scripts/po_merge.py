"""Resolves a merge conflict in a gettext catalogue: keeps our side, then takes from the other branch the
translations of messages ours lacks, and the translations the other branch changed since the two sides parted
where ours still has the old one (a three-way merge per message).

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
    base = _catalogue_at(subprocess.run(["git", "merge-base", "HEAD", branch], capture_output=True, text=True,
                                        check=True).stdout.strip(), path)
    before = {(e.msgctxt, e.msgid): _translation(e) for e in base.translated_entries()} if base else {}
    taken = 0
    for entry in ours:
        key = (entry.msgctxt, entry.msgid)
        other = known.get(key)
        if entry.obsolete or other is None or other.msgid_plural != entry.msgid_plural:
            continue
        ours_done = entry.translated() and "fuzzy" not in entry.flags
        changed_only_there = before.get(key) == _translation(entry) != _translation(other)
        if ours_done and not changed_only_there:
            continue
        entry.msgstr, entry.msgstr_plural = other.msgstr, dict(other.msgstr_plural)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        taken += 1
    ours.save(path)
    return taken


def _translation(entry: polib.POEntry) -> tuple:
    return entry.msgstr, tuple(sorted(entry.msgstr_plural.items()))


def _catalogue_at(revision: str, path: str) -> polib.POFile | None:
    shown = subprocess.run(["git", "show", f"{revision}:{path}"], capture_output=True, text=True)
    return polib.pofile(shown.stdout) if shown.returncode == 0 else None


def main() -> int:
    branch, *paths = sys.argv[1:]
    for path in paths:
        print(f"{path}: {merge(branch, path)} translations taken from {branch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Journal entries of a period as CSV, in a generic layout or an accounting package's import layout.

* ``generic``: one row per line with entry number, date, reference, memo, account, debit, credit.
* ``dynamics_gp``: Microsoft Dynamics GP general-journal import (the eConnect ``GLTransaction``
  header and line fields flattened one row per line, as Integration Manager reads them):
  BACHNUMB (15), JRNENTRY, TRXDATE (MM/DD/YYYY), REFRENCE (30), CURNCYID, ACTNUMST, DEBITAMT,
  CRDTAMNT, DSCRIPTN (30).
* ``sage50``: Sage 50 / Peachtree General Journal import (GENERAL.CSV): Date (MM/DD/YY), Reference
  (20), Number of Distributions, G/L Account (15), Description (160), Amount (debit positive,
  credit negative).
"""

import csv
import io
from collections.abc import Iterator
from datetime import date

from oms.i18n import without_isolates
from oms.money import quantize
from oms.spreadsheets import neutralize
from payments.models import JournalEntry, JournalLine

LAYOUTS = {
    "generic": ["entry", "date", "reference", "memo", "currency", "account", "account_name", "debit", "credit",
                "description"],
    "dynamics_gp": ["BACHNUMB", "JRNENTRY", "TRXDATE", "REFRENCE", "CURNCYID", "ACTNUMST", "DEBITAMT", "CRDTAMNT",
                    "DSCRIPTN"],
    "sage50": ["Date", "Reference", "Number of Distributions", "G/L Account", "Description", "Amount"],
}


def _lines(since: date, until: date):
    return (
        JournalLine.objects.filter(entry__posted_on__gte=since, entry__posted_on__lte=until)
        .select_related("entry", "account")
        .order_by("entry__posted_on", "entry_id", "id")
    )


def _amount(value, currency: str) -> str:
    """Written to the entry's currency's decimals (0.005 KWD, 1500 JPY), as the ledger holds it: a fixed two
    decimals rounded fils away and wrote yen with cents."""
    return f"{quantize(value, currency):f}"


def _plain(text: str) -> str:
    """A memo, description or reference for another program: without the direction marks kept for Arabic pages,
    and never a formula (a person typed it: "=HYPERLINK(...)" stays text in a spreadsheet)."""
    return neutralize(without_isolates(text))


def export_rows(*, layout: str, since: date, until: date) -> Iterator[list[str]]:
    if layout not in LAYOUTS:
        raise ValueError(f"Unknown export layout {layout!r}")
    yield LAYOUTS[layout]
    lines = list(_lines(since, until))
    counts: dict[int, int] = {}
    for line in lines:
        counts[line.entry_id] = counts.get(line.entry_id, 0) + 1
    batch = f"OMS{since:%y%m%d}-{until:%m%d}"[:15]
    for line in lines:
        entry: JournalEntry = line.entry
        memo, description = _plain(entry.memo_text), _plain(line.description_text)
        text = description or memo
        currency = entry.currency
        if layout == "generic":
            yield [str(entry.pk), entry.posted_on.isoformat(), _plain(entry.reference), memo, currency,
                   _plain(line.account.code), _plain(line.account.name), _amount(line.debit, currency),
                   _amount(line.credit, currency), description]
        elif layout == "dynamics_gp":
            yield [batch, str(entry.pk), f"{entry.posted_on:%m/%d/%Y}", (_plain(entry.reference) or memo)[:30],
                   currency, _plain(line.account.code)[:75], _amount(line.debit, currency),
                   _amount(line.credit, currency), text[:30]]
        else:
            yield [f"{entry.posted_on:%m/%d/%y}", f"JE-{entry.pk}", str(counts[entry.pk]),
                   _plain(line.account.code)[:15], text[:160], _amount(line.debit - line.credit, currency)]

def export_csv(*, layout: str, since: date, until: date) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in export_rows(layout=layout, since=since, until=until):
        writer.writerow(row)
    return buffer.getvalue()

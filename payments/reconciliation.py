"""Processor settlement files: import, match to captures and refunds, post the bank deposit.

The file is CSV with a header row: ``date,type,reference,amount,fee,currency`` (``type`` is
``capture`` or ``refund``, ``reference`` the processor's capture/refund reference, ``date``
YYYY-MM-DD, amounts with a dot). A file with any bad row is refused whole, naming each problem.
Matched captures post Dr bank (net) + Dr fees / Cr clearing; matched refunds the reverse.
"""

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from oms.audit import audit_record
from oms.models import AuditEntry
from oms.money import ZERO
from oms.query import to_date
from payments.errors import SettlementFileError
from payments.ledger import Acct, LedgerLine, journal_post
from payments.models import Payment, PaymentTransaction, SettlementBatch, SettlementLine

COLUMNS = ["date", "type", "reference", "amount", "fee", "currency"]
MAX_ROWS = 50_000
CLEARING = {Payment.Method.CARD: Acct.CARD_CLEARING, Payment.Method.PAYPAL: Acct.PAYPAL_CLEARING}


def _parse(content: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if missing := [c for c in COLUMNS if c not in header]:
        raise SettlementFileError(_("Missing column(s): %(cols)s. Expected: %(all)s.") % {
            "cols": ", ".join(missing), "all": ",".join(COLUMNS)})
    rows, problems = [], []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        settled_on = to_date(row["date"])
        kind = row["type"].lower()
        try:
            amount, fee = Decimal(row["amount"]), Decimal(row["fee"] or "0")
        except InvalidOperation:
            amount = fee = None
        if settled_on is None:
            problems.append(_("row %(n)s: date “%(v)s” is not YYYY-MM-DD") % {"n": number, "v": row["date"]})
        if kind not in SettlementLine.Kind.values:
            problems.append(_("row %(n)s: type must be capture or refund") % {"n": number})
        if not row["reference"]:
            problems.append(_("row %(n)s: reference is empty") % {"n": number})
        if amount is None or amount <= 0 or fee < 0:
            problems.append(_("row %(n)s: amount and fee must be numbers (amount > 0)") % {"n": number})
        rows.append({"row_number": number, "settled_on": settled_on, "kind": kind, "gateway_reference":
                     row["reference"][:80], "amount": amount, "fee": fee, "currency": row["currency"].upper()})
        if len(rows) > MAX_ROWS:
            raise SettlementFileError(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
    if not rows:
        problems.append(_("the file has no rows"))
    if len({r["currency"] for r in rows}) > 1:
        problems.append(_("all rows must have the same currency"))
    if problems:
        raise SettlementFileError(_("Nothing was imported: %(problems)s.") % {"problems": "; ".join(problems[:20])})
    return rows


def settlement_import(*, file_name: str, content: bytes | str, acting_user,
                      gateway: str = "sandbox") -> SettlementBatch:
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SettlementFileError(_("The file is not UTF-8 text."))
    rows = _parse(content)
    refs = {r["gateway_reference"] for r in rows}
    txns = {
        (t.kind, t.gateway_reference): t
        for t in PaymentTransaction.objects.filter(gateway_reference__in=refs, result=PaymentTransaction.Result.SUCCESS,
                                                   kind__in=[PaymentTransaction.Kind.CAPTURE,
                                                             PaymentTransaction.Kind.REFUND])
        .select_related("payment")
    }
    with transaction.atomic(durable=True):
        batch = SettlementBatch.objects.create(file_name=file_name[:200], gateway=gateway, row_count=len(rows),
                                               currency=rows[0]["currency"] or "BRL", imported_by=acting_user,
                                               gross=sum((r["amount"] for r in rows), ZERO),
                                               fees=sum((r["fee"] for r in rows), ZERO))
        already = set(SettlementLine.objects.filter(transaction__in=[t.pk for t in txns.values()],
                                                    match=SettlementLine.Match.MATCHED)
                      .values_list("transaction_id", flat=True))
        lines, postings = [], []
        for r in rows:
            txn = txns.get((r["kind"], r["gateway_reference"]))
            if txn is None or txn.pk in already:
                match, txn = SettlementLine.Match.UNMATCHED, None
            elif txn.amount != r["amount"]:
                match = SettlementLine.Match.AMOUNT_DIFFERS
            else:
                match = SettlementLine.Match.MATCHED
                clearing = CLEARING.get(txn.payment.method, Acct.CARD_CLEARING)
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
            batch.journal_entry = journal_post(lines=_net(postings), memo=f"Settlement {file_name}"[:200],
                                               reference=f"settlement:{batch.pk}", currency=batch.currency,
                                               acting_user=acting_user, posted_on=max(r["settled_on"] for r in rows))
            batch.save(update_fields=["journal_entry"])
        audit_record(actor=acting_user, action=AuditEntry.Action.CREATE, obj=batch, verb="settlement_import",
                     changes={"rows": len(rows), "matched": sum(1 for x in lines if x.match == "matched")})
    return batch


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

"""The general ledger: chart of accounts, ``journal_post`` and ``verify_journal``.

Every money event posts one balanced entry in the same transaction as the event. Payments move
money between the money accounts (bank, processor clearing, receivables, gift-card liability) and
``2000 Customer order balances``; the orders app recognises the sale by moving it from 2000 to
revenue and tax (and cost of goods sold from inventory) when it ships. A deferred constraint trigger
in the database refuses any entry whose debits and credits differ, whoever writes it.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from oms.i18n import StoredText, as_stored, split
from oms.money import ZERO, default_currency, quantize
from payments.errors import UnbalancedEntry, UnknownAccount
from payments.models import Account, GiftCard, JournalEntry, JournalLine


class Acct:
    """Account codes used by the services (the chart is seeded by a migration and ``ensure_chart``)."""

    BANK = "1000"
    CARD_CLEARING = "1010"
    PIX_CLEARING = "1020"
    COD_IN_TRANSIT = "1030"
    CHECKS_TO_DEPOSIT = "1040"
    PAYPAL_CLEARING = "1050"
    RECEIVABLE = "1100"
    INVENTORY = "1200"
    CUSTOMER_BALANCES = "2000"
    GIFT_CARDS = "2100"
    STORE_CREDIT = "2110"
    SALES_TAX = "2200"
    ACCOUNTS_PAYABLE = "2300"
    EQUITY = "3000"
    SALES = "4000"
    SHIPPING_REVENUE = "4100"
    DISCOUNTS = "4500"
    RETURNS = "4900"
    COST_OF_GOODS = "5000"
    PROCESSING_FEES = "5100"
    GOODWILL = "6100"
    BAD_DEBT = "6200"


CHART = [
    (Acct.BANK, _("Bank"), Account.Kind.ASSET),
    (Acct.CARD_CLEARING, _("Card processor clearing"), Account.Kind.ASSET),
    (Acct.PIX_CLEARING, _("PIX and transfers in transit"), Account.Kind.ASSET),
    (Acct.COD_IN_TRANSIT, _("Cash on delivery with carriers"), Account.Kind.ASSET),
    (Acct.CHECKS_TO_DEPOSIT, _("Checks to deposit"), Account.Kind.ASSET),
    (Acct.PAYPAL_CLEARING, _("PayPal clearing"), Account.Kind.ASSET),
    (Acct.RECEIVABLE, _("Accounts receivable"), Account.Kind.ASSET),
    (Acct.INVENTORY, _("Inventory"), Account.Kind.ASSET),
    (Acct.CUSTOMER_BALANCES, _("Customer order balances"), Account.Kind.LIABILITY),
    (Acct.GIFT_CARDS, _("Gift card liability"), Account.Kind.LIABILITY),
    (Acct.STORE_CREDIT, _("Store credit liability"), Account.Kind.LIABILITY),
    (Acct.SALES_TAX, _("Sales tax payable"), Account.Kind.LIABILITY),
    (Acct.ACCOUNTS_PAYABLE, _("Accounts payable"), Account.Kind.LIABILITY),
    (Acct.EQUITY, _("Owner's equity"), Account.Kind.EQUITY),
    (Acct.SALES, _("Sales revenue"), Account.Kind.REVENUE),
    (Acct.SHIPPING_REVENUE, _("Shipping revenue"), Account.Kind.REVENUE),
    (Acct.DISCOUNTS, _("Sales discounts"), Account.Kind.REVENUE),
    (Acct.RETURNS, _("Sales returns"), Account.Kind.REVENUE),
    (Acct.COST_OF_GOODS, _("Cost of goods sold"), Account.Kind.EXPENSE),
    (Acct.PROCESSING_FEES, _("Payment processing fees"), Account.Kind.EXPENSE),
    (Acct.GOODWILL, _("Customer goodwill"), Account.Kind.EXPENSE),
    (Acct.BAD_DEBT, _("Bad debt"), Account.Kind.EXPENSE),
]


STANDARD_CODES = {code for code, _name, _kind in CHART}
STANDARD_NAMES = {code: name for code, name, _kind in CHART}


@cache
def _standard_names(code: str) -> frozenset[str]:
    """The chart's name for ``code`` in every language (an account is created with it in the language of the day)."""
    names = set()
    for language, _label in settings.LANGUAGES:
        with translation.override(language):
            names.add(str(STANDARD_NAMES[code]))
    return frozenset(names)


def account_name(code: str, name: str) -> str:
    """An account's name as the reader reads it: a standard account still named as the chart names it, in the
    reader's language; a renamed account as it was renamed."""
    if code in STANDARD_NAMES and name in _standard_names(code):
        return str(STANDARD_NAMES[code])
    return name


def ensure_chart() -> int:
    """Creates the accounts of the standard chart that are missing; returns how many were created."""
    existing = set(Account.objects.values_list("code", flat=True))
    missing = [Account(code=code, name=str(name), kind=kind) for code, name, kind in CHART if code not in existing]
    Account.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


@dataclass(frozen=True)
class LedgerLine:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    description: "str | StoredText" = ""  # a stored text is read in each reader's language (``oms.i18n``)


def dr(account: str, amount: Decimal, description: "str | StoredText" = "") -> LedgerLine:
    return LedgerLine(account, debit=Decimal(amount), description=description)


def cr(account: str, amount: Decimal, description: "str | StoredText" = "") -> LedgerLine:
    return LedgerLine(account, credit=Decimal(amount), description=description)


def _stored(text: "str | StoredText") -> tuple[str, dict | None]:
    """What the text columns keep: a stored text as its message id and parameters, a plain text (a person's, or an
    older caller's) as typed, cut to the column's 200 characters."""
    text, params = split(as_stored(text) if isinstance(text, Promise) else text)
    return text[:200], params


def _normalise(lines: Iterable, currency: str) -> list[LedgerLine]:
    result = []
    for line in lines:
        if not isinstance(line, LedgerLine):
            line = LedgerLine(**line) if isinstance(line, dict) else LedgerLine(*line)
        # A negative debit is a credit and vice versa; a line with both sides is netted.
        net = quantize(line.debit or ZERO, currency) - quantize(line.credit or ZERO, currency)
        if net == 0:
            continue
        result.append(LedgerLine(str(line.account), debit=max(net, ZERO), credit=max(-net, ZERO),
                                 description=line.description or ""))
    return result


def journal_post(*, lines: Sequence, memo: "str | StoredText", reference: str, acting_user,
                 currency: str | None = None, posted_on: date | None = None) -> JournalEntry:
    """Posts one balanced entry; ``lines`` are ``LedgerLine``s (or ``(account, debit, credit)`` tuples).

    ``memo`` and the lines' descriptions: ``stored_text(gettext_noop("..."), **params)`` for a system text, read
    later in each reader's language (``JournalEntry.memo_text``, ``JournalLine.description_text``); a plain string
    is kept and shown as it is.

    Composes inside the caller's transaction. Zero lines are dropped, a line with both sides is
    netted, and an entry whose debits and credits differ raises ``UnbalancedEntry`` (and the
    database refuses it too).
    """
    currency = currency or default_currency()
    normal = _normalise(lines, currency)
    debits = sum((line.debit for line in normal), ZERO)
    credits = sum((line.credit for line in normal), ZERO)
    if not normal or debits != credits:
        raise UnbalancedEntry(
            _("Debits (%(dr)s) and credits (%(cr)s) of “%(memo)s” differ.") % {"dr": debits, "cr": credits,
                                                                                 "memo": memo})
    codes = {line.account for line in normal}
    accounts = {a.code: a for a in Account.objects.filter(code__in=codes, is_active=True)}
    if (codes - set(accounts)) & STANDARD_CODES and ensure_chart():  # standard chart missing (e.g. a flushed db)
        accounts = {a.code: a for a in Account.objects.filter(code__in=codes, is_active=True)}
    if missing := sorted(codes - set(accounts)):
        raise UnknownAccount(_("Unknown or inactive account(s): %(codes)s") % {"codes": ", ".join(missing)})
    memo_msgid, memo_params = _stored(memo)
    with transaction.atomic(savepoint=False):
        entry = JournalEntry.objects.create(
            posted_on=posted_on or timezone.localdate(), currency=currency, memo=memo_msgid, memo_params=memo_params,
            reference=reference[:60], created_by=acting_user if getattr(acting_user, "pk", None) else None,
        )
        JournalLine.objects.bulk_create(
            JournalLine(entry=entry, account=accounts[line.account], debit=line.debit, credit=line.credit,
                        **dict(zip(("description", "description_params"), _stored(line.description), strict=True)))
            for line in normal
        )
    return entry


def verify_journal() -> list[str]:
    """Problems found in the ledger (empty when every entry balances); used by ``verify_ledgers``."""
    problems = []
    unbalanced = (
        JournalEntry.objects.annotate(dr=Sum("lines__debit"), cr=Sum("lines__credit"), n=Count("lines"))
        .filter(Q(n__lt=2) | ~Q(dr=F("cr")))
        .values_list("pk", "dr", "cr", "n")
    )
    for pk, debits, credits, count in unbalanced:
        problems.append(f"Journal entry {pk}: {count} line(s), debits {debits or ZERO} != credits {credits or ZERO}")
    mismatched = (
        GiftCard.objects.annotate(moved=Sum("transactions__amount"))
        .exclude(moved=F("balance"))
        .values_list("pk", "balance", "moved")
    )
    for pk, balance, moved in mismatched:
        problems.append(f"Gift card {pk}: balance {balance} but its transactions sum to {moved or ZERO}")
    problems += _verify_payments()
    return problems


def _verify_payments() -> list[str]:
    """Each payment's captured and refunded amounts equal the sum of its successful transactions."""
    from payments.models import Payment

    ok = Q(transactions__result="success")
    rows = (
        Payment.objects.annotate(
            got=Sum("transactions__amount", filter=ok & Q(transactions__kind__in=["capture", "confirm"])),
            back=Sum("transactions__amount", filter=ok & Q(transactions__kind="refund")))
        .values_list("pk", "captured_amount", "refunded_amount", "got", "back")
    )
    return [f"Payment {pk}: captured {captured} / refunded {refunded} "
            f"but its transactions say {got or ZERO} / {back or ZERO}"
            for pk, captured, refunded, got, back in rows
            if captured != (got or ZERO) or refunded != (back or ZERO)]


def trial_balance(*, currency: str | None = None, until: date | None = None, since: date | None = None):
    """Rows ``(account, debit_total, credit_total, balance)`` for every account with movements."""
    lines = JournalLine.objects.all()
    if currency:
        lines = lines.filter(entry__currency=currency)
    if until:
        lines = lines.filter(entry__posted_on__lte=until)
    if since:
        lines = lines.filter(entry__posted_on__gte=since)
    totals = {row["account"]: row for row in lines.values("account").annotate(dr=Sum("debit"), cr=Sum("credit"))}
    rows = []
    for account in Account.objects.filter(pk__in=totals).order_by("code"):
        debit, credit = totals[account.pk]["dr"] or ZERO, totals[account.pk]["cr"] or ZERO
        rows.append({"account": account, "debit": debit, "credit": credit, "balance": debit - credit})
    return rows

"""Customer segments: the rule language (ours) and the evaluator that reads order history (the orders app's).

Marketing keeps the rule definitions; evaluating them needs customers and orders, which ``marketing`` may
not import. The orders app registers an evaluator at start-up (in its ``AppConfig.ready``)::

    from marketing.segments import register_segment_evaluator
    register_segment_evaluator(OrdersSegmentEvaluator())

Until it does, segment pages say so and refreshing a segment is refused with a clear message.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext as _

from marketing.errors import InvalidConfiguration
from oms.errors import Refusal
from oms.numbers import INT_MAX, NumberError, parse_amount, parse_whole
from oms.query import impossible_date, quoted

# field -> (kind, allowed operators)
SEGMENT_FIELDS: dict[str, tuple[str, set[str]]] = {
    "total_spent": ("decimal", {"gte", "lte", "gt", "lt", "eq"}),
    "order_count": ("int", {"gte", "lte", "gt", "lt", "eq"}),
    "last_order_date": ("date", {"gte", "lte", "within_days", "not_within_days"}),
    "first_order_date": ("date", {"gte", "lte", "within_days", "not_within_days"}),
    "region": ("codes", {"in", "not_in"}),
    "channel": ("codes", {"in", "not_in"}),
    "source_code": ("codes", {"in", "not_in"}),
    "group": ("codes", {"in", "not_in"}),
}
# Codes kept in capitals wherever they are stored (address states, source codes): a rule's codes are too, so
# "sp" or "cat26" select the customers they name rather than nobody.
CAPITAL_CODE_FIELDS = {"region", "source_code"}
MAX_RULES = 50
MAX_CODES = 500  # codes in one "in" / "not_in" list
MAX_CODE_LENGTH = 40  # the longest code column (channels, customer groups)
MAX_DAYS = 36_500  # "within the last N days": a hundred years back is still a date the database can hold
MAX_JSON_DEPTH = 10  # a rule list is three levels deep; deeper JSON is refused before it is parsed (oms.jsontext)


def shown_value(value) -> str:
    """A value as a message may quote it: short, one line, no control characters."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            text = "…"
    return quoted("".join(ch if ch.isprintable() else "\ufffd" for ch in text[:60]))


class _BadValue(Refusal):
    pass


def _whole(value, *, maximum: int, name: str) -> int:
    """A whole number from 0 to ``maximum``, given as a JSON number or as text ("30")."""
    message = _("%(name)s must be a whole number from 0 to %(max)s, not %(value)s.") % {
        "name": name, "max": maximum, "value": shown_value(value)}
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _BadValue(message)
    try:
        return parse_whole(value, minimum=0, maximum=maximum, name=name)
    except NumberError:
        raise _BadValue(message) from None


def _rule_value(kind: str, op: str, value):
    """The value of one rule as the evaluator receives it, or ``_BadValue`` saying what is wrong."""
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value or len(value) > MAX_CODES:
            raise _BadValue(_('Give a list of 1 to %(max)s codes, e.g. ["SP", "RJ"].') % {"max": MAX_CODES})
        codes = []
        for code in value:
            if (not isinstance(code, str) or not code.strip() or len(code.strip()) > MAX_CODE_LENGTH
                    or not code.strip().isprintable()):
                raise _BadValue(_("%(code)s is not a code: a code has 1 to %(max)s letters, digits or signs.") % {
                    "code": shown_value(code), "max": MAX_CODE_LENGTH})
            codes.append(code.strip())
        return codes
    if op in ("within_days", "not_within_days"):
        return _whole(value, maximum=MAX_DAYS, name=_("The number of days"))
    if kind == "int":
        return _whole(value, maximum=INT_MAX, name=_("The number of orders"))
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _BadValue(_("The amount must be a number such as \"1000\" or \"1000.50\", not %(value)s.") % {
                "value": shown_value(value)})
        try:
            return str(parse_amount(str(value), name=_("The amount")))
        except NumberError as error:
            raise _BadValue(error.message) from None
    # kind == "date", op gte / lte
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return date.fromisoformat(value).isoformat()
    except ValueError:
        if isinstance(value, str) and (why := impossible_date(value)):
            raise _BadValue(_("The date %(value)s does not exist: %(why)s.") % {
                "value": shown_value(value), "why": why}) from None
        raise _BadValue(_("Give a date as YYYY-MM-DD, e.g. 2026-01-31, not %(value)s.") % {
            "value": shown_value(value)}) from None


def clean_rules(rules) -> tuple[list[dict], list[str]]:
    """The rules as the evaluator receives them (values normalised) and the problems found, as messages
    naming the rule. Only rules without problems may be saved: every saved segment can be evaluated."""
    if not isinstance(rules, list):
        return [], [_("Rules must be a list.")]
    if len(rules) > MAX_RULES:
        return [], [_("Give at most %(max)s rules (there are %(n)s).") % {"max": MAX_RULES, "n": len(rules)}]
    cleaned, problems = [], []
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or set(rule) != {"field", "op", "value"}:
            problems.append(_("Rule %(n)s: give exactly field, op and value.") % {"n": number})
            continue
        field_name, op = rule["field"], rule["op"]
        spec = SEGMENT_FIELDS.get(field_name) if isinstance(field_name, str) else None
        if spec is None:
            problems.append(_("Rule %(n)s: unknown field %(field)s (known: %(known)s).") % {
                "n": number, "field": shown_value(field_name), "known": ", ".join(sorted(SEGMENT_FIELDS))})
            continue
        kind, ops = spec
        if not isinstance(op, str) or op not in ops:
            problems.append(_("Rule %(n)s: operator %(op)s does not apply to %(field)s (use %(ops)s).") % {
                "n": number, "op": shown_value(op), "field": field_name, "ops": ", ".join(sorted(ops))})
            continue
        try:
            value = _rule_value(kind, op, rule["value"])
        except _BadValue as error:
            problems.append(_("Rule %(n)s (%(field)s %(op)s): %(problem)s") % {
                "n": number, "field": field_name, "op": op, "problem": error.message})
            continue
        if field_name in CAPITAL_CODE_FIELDS and op in ("in", "not_in"):
            value = [code.upper() for code in value]
        cleaned.append({"field": field_name, "op": op, "value": value})
    return (cleaned if not problems else []), problems


def validate_rules(rules) -> list[str]:
    """Problems with a rule list, as messages naming the rule (empty list: valid)."""
    return clean_rules(rules)[1]


def evaluable_rules(segment) -> list[dict]:
    """A stored segment's rules ready for the evaluator, or ``InvalidConfiguration`` naming what is wrong (rows
    saved before the rules were fully checked may hold values no query can take)."""
    rules, problems = clean_rules(segment.rules)
    if problems:
        raise InvalidConfiguration(
            _("The rules of segment %(name)s cannot be evaluated: %(problems)s Edit the rules and save them again.")
            % {"name": segment.name, "problems": " ".join(problems)})
    return rules


@dataclass(frozen=True)
class SegmentCustomer:
    """One row of a segment export."""

    customer_id: int
    name: str
    email: str
    region: str = ""
    group: str = ""
    order_count: int = 0
    total_spent: Decimal = Decimal(0)
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None
    source_codes: list[str] = field(default_factory=list)


class SegmentEvaluator(Protocol):
    def count(self, *, rules: list[dict]) -> int: ...

    def customers(self, *, rules: list[dict]) -> Iterator[SegmentCustomer]: ...


_evaluator: SegmentEvaluator | None = None


def register_segment_evaluator(evaluator: SegmentEvaluator | None) -> None:
    global _evaluator
    _evaluator = evaluator


def segment_evaluator() -> SegmentEvaluator | None:
    return _evaluator


EXPORT_HEADER = ["customer_id", "name", "email", "region", "group", "order_count", "total_spent", "first_order_at",
                 "last_order_at", "source_codes"]


def export_rows(customers: Iterable[SegmentCustomer]) -> Iterator[list]:
    yield EXPORT_HEADER
    for c in customers:
        yield [c.customer_id, c.name, c.email, c.region, c.group, c.order_count, c.total_spent,
               c.first_order_at.isoformat() if c.first_order_at else "",
               c.last_order_at.isoformat() if c.last_order_at else "", " ".join(c.source_codes)]

"""Customer segments: the rule language (ours) and the evaluator that reads order history (the orders app's).

Marketing keeps the rule definitions; evaluating them needs customers and orders, which ``marketing`` may
not import. The orders app registers an evaluator at start-up (in its ``AppConfig.ready``)::

    from marketing.segments import register_segment_evaluator
    register_segment_evaluator(OrdersSegmentEvaluator())

Until it does, segment pages say so and refreshing a segment is refused with a clear message.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.utils.translation import gettext as _

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


def validate_rules(rules) -> list[str]:
    """Problems with a rule list, as messages naming the rule (empty list: valid)."""
    if not isinstance(rules, list):
        return [_("Rules must be a list.")]
    problems = []
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or set(rule) != {"field", "op", "value"}:
            problems.append(_("Rule %(n)s: give exactly field, op and value.") % {"n": number})
            continue
        spec = SEGMENT_FIELDS.get(rule["field"])
        if spec is None:
            problems.append(_("Rule %(n)s: unknown field %(field)s (known: %(known)s).") % {
                "n": number, "field": rule["field"], "known": ", ".join(sorted(SEGMENT_FIELDS))})
            continue
        kind, ops = spec
        if rule["op"] not in ops:
            problems.append(_("Rule %(n)s: operator %(op)s does not apply to %(field)s (use %(ops)s).") % {
                "n": number, "op": rule["op"], "field": rule["field"], "ops": ", ".join(sorted(ops))})
            continue
        value = rule["value"]
        ok = True
        if kind == "codes" or rule["op"] in ("in", "not_in"):
            ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value) and bool(value)
        elif rule["op"] in ("within_days", "not_within_days") or kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        elif kind == "decimal":
            try:
                ok = Decimal(str(value)) >= 0
            except (InvalidOperation, ValueError):
                ok = False
        elif kind == "date":
            try:
                date.fromisoformat(str(value))
            except ValueError:
                ok = False
        if not ok:
            problems.append(_("Rule %(n)s: the value %(value)s is not valid for %(field)s %(op)s.") % {
                "n": number, "value": value, "field": rule["field"], "op": rule["op"]})
    return problems


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

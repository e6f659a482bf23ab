"""Segment rules saved before their codes were resolved: a customer group or channel written in another case than
the customers' group or the channel's code ("VIP" where customers have "vip", "PHONE") selected nobody. Each is
spelled as the one code it differs from only in case, as saving a segment now does
(``marketing.services.segment_rules_resolved``); a code that matches none, or more than one, is kept as written.
Backwards it changes nothing: the old spelling selected nobody."""

from django.db import migrations


def _spelled(values: list, known: set[str]) -> list:
    by_case: dict[str, list[str]] = {}
    for code in known:
        by_case.setdefault(code.casefold(), []).append(code)
    spelled = []
    for value in values:
        if isinstance(value, str):
            value = value.strip()
            matches = by_case.get(value.casefold(), [])
            if value not in matches and len(matches) == 1:
                value = matches[0]
        if value not in spelled:
            spelled.append(value)
    return spelled


def resolve_segment_codes(apps, schema_editor):
    Segment = apps.get_model("marketing", "Segment")
    segments = [s for s in Segment.objects.only("pk", "rules") if isinstance(s.rules, list)]
    if not segments:
        return
    Customer = apps.get_model("orders", "Customer")
    Channel = apps.get_model("orders", "Channel")
    known = {
        "group": set(Customer.objects.exclude(group_code="").values_list("group_code", flat=True).distinct()),
        "channel": set(Channel.objects.values_list("code", flat=True)),
    }
    for segment in segments:
        rules = [
            {**rule, "value": _spelled(rule["value"], known[rule["field"]])}
            if isinstance(rule, dict) and rule.get("field") in known and isinstance(rule.get("value"), list)
            else rule
            for rule in segment.rules
        ]
        if rules != segment.rules:
            Segment.objects.filter(pk=segment.pk).update(rules=rules)


class Migration(migrations.Migration):

    dependencies = [
        ("marketing", "0007_no_negative_thresholds"),
        ("orders", "0022_customer_request_key"),
    ]

    operations = [
        migrations.RunPython(resolve_segment_codes, migrations.RunPython.noop, elidable=True),
    ]

"""Sourcing reasons stored before distances were localised held the distance as a float formatted by the message
("%(km).1f km"), so it read "32.4 km" in every language. They become the new messages with the distance as a stored
number ("32,4 km" for a Brazilian reader), as the reasons written from now on are."""

from decimal import Decimal

from django.db import migrations

RENAMED = {
    "%(name)s: %(km).1f km, arrives %(day)s": "%(name)s: %(km)s km, arrives %(day)s",
    "%(km).1f km closer than %(other)s": "%(km)s km closer than %(other)s",
}


def _km(value):
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return {"number": str(round(Decimal(str(value)), 1)), "places": 1}
        except ArithmeticError:
            return value
    return value


def _converted(msgid: str, params):
    """(msgid, params) with every old distance message in it, nested ones too, rewritten."""
    if isinstance(params, dict):
        params = {name: ({**value, **dict(zip(("msgid", "params"), _converted(value["msgid"], value.get("params")),
                                              strict=True))}
                         if isinstance(value, dict) and "msgid" in value else value)
                  for name, value in params.items()}
        if msgid in RENAMED and "km" in params:
            return RENAMED[msgid], {**params, "km": _km(params["km"])}
    return msgid, params


def localise_distances(apps, schema_editor):
    SourcingDecision = apps.get_model("orders", "SourcingDecision")
    rows = SourcingDecision.objects.filter(reason_params__isnull=False).only("reason", "reason_params")
    for row in rows.iterator(chunk_size=1000):
        reason, params = _converted(row.reason, row.reason_params)
        if (reason, params) != (row.reason, row.reason_params):
            row.reason, row.reason_params = reason, params
            row.save(update_fields=["reason", "reason_params"])


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0020_verbose_names_for_translation"),
    ]

    operations = [
        migrations.RunPython(localise_distances, migrations.RunPython.noop),
    ]

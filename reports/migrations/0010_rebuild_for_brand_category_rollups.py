from django.db import migrations


def rebuild_rollups(apps, schema_editor):
    """Brands and categories are now rolled up per order (an order of two SKUs of one brand is one order of it);
    rolled-up days have no such rows yet: forget them, so reports read live until the beat job's next refresh
    rebuilds every day (``complete_through`` empty means a full refresh)."""
    apps.get_model("reports", "RollupState").objects.update(complete_through=None)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0009_reportjob_error_for_people"),
    ]

    operations = [
        migrations.RunPython(rebuild_rollups, migrations.RunPython.noop),
    ]

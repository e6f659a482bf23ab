"""Failed jobs written before ``error_params`` showed the exception to people ("OverflowError: date value out
of range"): they now read the message the worker writes today, in each reader's language."""

import re

from django.db import migrations

TECHNICAL = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b")
FAILED_MESSAGE = ("The file could not be made because of an unexpected error. Try again; if it fails again, tell an "
                  "administrator the report number (#%(job)s).")


def forwards(apps, schema_editor):
    ReportJob = apps.get_model("reports", "ReportJob")
    for pk, error in ReportJob.objects.filter(error_params__isnull=True).exclude(error="").values_list("pk",
                                                                                                      "error"):
        if TECHNICAL.match(error):
            ReportJob.objects.filter(pk=pk).update(error=FAILED_MESSAGE, error_params={"job": pk})


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0008_reportjob_error_params"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]

from django.db import migrations

# A file's gross added its refunds to its captures; it takes them off now (gross less fees is the deposit).
GROSS_LESS_REFUNDS = """
UPDATE payments_settlementbatch b
SET gross = COALESCE((SELECT SUM(CASE WHEN l.kind = 'refund' THEN -l.amount ELSE l.amount END)
                      FROM payments_settlementline l WHERE l.batch_id = b.id), 0)
"""


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0011_invoice_movements'),
    ]

    operations = [
        migrations.RunSQL(GROSS_LESS_REFUNDS, migrations.RunSQL.noop),
    ]

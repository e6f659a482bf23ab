"""What arrived of each transfer line; transfers received before it arrived as shipped."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0008_document_request_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='transferline',
            name='quantity_received',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='received'),
        ),
        migrations.RunSQL(
            "UPDATE inventory_transferline SET quantity_received = quantity WHERE transfer_id IN "
            "(SELECT id FROM inventory_transfer WHERE status = 'received')",
            migrations.RunSQL.noop,
        ),
    ]

"""An order line may be reserved at several locations: ``OrderLineAllocation`` rows replace ``OrderLine.location``.

Existing lines holding (or having shipped) stock get one row for their whole quantity at their old location.
"""

import django.db.models.deletion
from django.db import migrations, models

HELD = ("reserved", "allocated", "shipped", "delivered", "returned")


def copy_locations(apps, schema_editor):
    OrderLine = apps.get_model("orders", "OrderLine")
    OrderLineAllocation = apps.get_model("orders", "OrderLineAllocation")
    rows = OrderLine.objects.filter(location__isnull=False, status__in=HELD).values_list(
        "pk", "location_id", "quantity").order_by("pk")
    batch = []
    for line_id, location_id, quantity in rows.iterator(chunk_size=2000):
        batch.append(OrderLineAllocation(line_id=line_id, location_id=location_id, quantity=quantity))
        if len(batch) >= 2000:
            OrderLineAllocation.objects.bulk_create(batch)
            batch = []
    if batch:
        OrderLineAllocation.objects.bulk_create(batch)


def copy_back(apps, schema_editor):
    OrderLine = apps.get_model("orders", "OrderLine")
    OrderLineAllocation = apps.get_model("orders", "OrderLineAllocation")
    for line_id, location_id in OrderLineAllocation.objects.order_by("line_id", "-quantity", "location_id") \
            .values_list("line_id", "location_id"):
        OrderLine.objects.filter(pk=line_id, location__isnull=True).update(location_id=location_id)


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0003_importjob_mode"),
        ("orders", "0005_fulfilment_transfer_kind"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrderLineAllocation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("quantity", models.PositiveIntegerField()),
                ("line", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="allocations",
                                           to="orders.orderline")),
                ("location", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                               to="inventory.location")),
            ],
            options={
                "ordering": ["line_id", "-quantity", "location_id"],
                "constraints": [
                    models.UniqueConstraint(fields=("line", "location"), name="orderlineallocation_line_location_unique"),
                    models.CheckConstraint(condition=models.Q(("quantity__gt", 0)),
                                           name="orderlineallocation_quantity_positive"),
                ],
            },
        ),
        migrations.RunPython(copy_locations, copy_back),
        migrations.RemoveField(model_name="orderline", name="location"),
    ]

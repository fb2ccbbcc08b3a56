"""One alert throttle for every subsystem: the dead-letter alert table becomes AlertThrottle
(keyed "task:<name>", "breaker:<name>"), and the breaker mirror no longer keeps its own."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("resilience", "0003_dead_letter")]

    operations = [
        migrations.RenameModel("DeadLetterAlert", "AlertThrottle"),
        migrations.RenameField("alertthrottle", "task_name", "key"),
        migrations.AlterField(
            "alertthrottle", "key", models.CharField(max_length=300, unique=True)
        ),
        migrations.RemoveField("breakerstate", "last_alert_at"),
    ]

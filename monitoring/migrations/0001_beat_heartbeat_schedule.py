"""Schedule the beat heartbeat: every 60 s on `maintenance`, dropped if not run within 50 s."""

from django.db import migrations

from interviewsite.periodic_tasks import periodic_task_install, periodic_task_remove

NAME = "monitoring: beat heartbeat"
TASK = "monitoring.tasks.beat_heartbeat"


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_install(
        apps,
        name=NAME,
        task=TASK,
        every=60,
        period="seconds",
        expire_seconds=50,
        description="Proves beat and a maintenance worker are alive (see /health/).",
        replace=True,
    )


def uninstall(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_remove(apps, name=NAME)


class Migration(migrations.Migration):
    dependencies = [("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(install, uninstall)]

"""Schedule the stuck sweep on beat: every 5 minutes, expiring after 4 so missed runs never
pile up behind a stopped worker. Staff can change it under Periodic tasks in the admin."""

from django.db import migrations

from interviewsite.periodic_tasks import periodic_task_install, periodic_task_remove

TASK_NAME = "Stuck interviews and evaluations sweep"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_install(
        apps,
        name=TASK_NAME,
        task="interviews.tasks.sweep_stuck",
        every=5,
        period="minutes",
        expire_seconds=240,
    )


def unschedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_remove(apps, name=TASK_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0002_sweep_run_and_requeue"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

"""Schedule the stuck sweep on beat: every 5 minutes, expiring after 4 so missed runs never
pile up behind a stopped worker. Staff can change it under Periodic tasks in the admin."""

from django.db import migrations

TASK_NAME = "Stuck interviews and evaluations sweep"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_5_min, _ = interval_model.objects.get_or_create(every=5, period="minutes")
    task_model.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "interviews.tasks.sweep_stuck",
            "interval": every_5_min,
            "queue": "maintenance",
            "exchange": "maintenance",
            "routing_key": "maintenance",
            "expire_seconds": 240,
        },
    )


def unschedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0002_sweep_run_and_requeue"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

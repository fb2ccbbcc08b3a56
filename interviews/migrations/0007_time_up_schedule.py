"""Schedule the time-up check on beat: every 15 s on `maintenance`, dropped if not run within
12 s (the next run does the same work), so a timed interview ends within about 15 s of its limit
and grace whether or not a socket is open. Staff can change it under Periodic tasks."""

from django.db import migrations
from django.utils import timezone

NAME = "Timed interviews: complete at the limit"
TASK = "interviews.tasks.complete_timed_out"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_15_s, _ = interval_model.objects.get_or_create(every=15, period="seconds")
    task_model.objects.update_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "interval": every_15_s,
            "queue": "maintenance",
            "exchange": "maintenance",
            "routing_key": "maintenance",
            "expire_seconds": 12,
            "enabled": True,
            "description": "Completes timed interviews past their limit (reason time_up).",
        },
    )
    # Historical models send no signals: tell a running beat that its schedule changed.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def unschedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0006_interview_consent"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

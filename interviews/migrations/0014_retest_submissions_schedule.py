"""Schedule the retest of untested submissions on beat: every minute on `maintenance`, dropped
if not run within 50 s (the next run does the same work). Submissions the code engine could not
run (down, breaker open) are tested once it is back. Staff can change it under Periodic tasks."""

from django.db import migrations
from django.utils import timezone

NAME = "Coding submissions: test the ones not run yet"
TASK = "interviews.tasks.retest_submissions"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = interval_model.objects.get_or_create(every=60, period="seconds")
    task_model.objects.update_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "interval": every_minute,
            "queue": "maintenance",
            "exchange": "maintenance",
            "routing_key": "maintenance",
            "expire_seconds": 50,
            "enabled": True,
            "description": "Sends coding submissions the engine could not run to be tested.",
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
        ("interviews", "0013_coding_questions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

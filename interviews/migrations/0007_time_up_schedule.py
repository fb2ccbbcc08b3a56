"""Schedule the time-up check on beat: every 15 s on `maintenance`, dropped if not run within
12 s (the next run does the same work), so a timed interview ends within about 15 s of its limit
and grace whether or not a socket is open. Staff can change it under Periodic tasks."""

from django.db import migrations

from interviewsite.periodic_tasks import periodic_task_install, periodic_task_remove

NAME = "Timed interviews: complete at the limit"
TASK = "interviews.tasks.complete_timed_out"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_install(
        apps,
        name=NAME,
        task=TASK,
        every=15,
        period="seconds",
        expire_seconds=12,
        description="Completes timed interviews past their limit (reason time_up).",
        replace=True,
    )


def unschedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_remove(apps, name=NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0006_interview_consent"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

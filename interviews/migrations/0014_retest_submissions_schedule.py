"""Schedule the retest of untested submissions on beat: every minute, dropped if not run within
50 s (the next run does the same work). Submissions the code engine could not run (down,
breaker open) are tested once it is back."""

from django.db import migrations

from interviewsite.periodic_tasks import periodic_task_install, periodic_task_remove

NAME = "Coding submissions: test the ones not run yet"
TASK = "interviews.tasks.retest_submissions"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_install(
        apps,
        name=NAME,
        task=TASK,
        every=60,
        period="seconds",
        expire_seconds=50,
        description="Sends coding submissions the engine could not run to be tested.",
    )


def unschedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_remove(apps, name=NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0013_coding_questions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

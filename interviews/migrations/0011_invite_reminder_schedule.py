"""Schedule the invite reminders on beat: every hour, expiring after 50 minutes so missed runs
never pile up. Each link gets one reminder whatever runs it (a unique constraint), so a late or
doubled run sends nothing twice. Staff can change it under Periodic tasks in the admin."""

from django.db import migrations

from interviewsite.periodic_tasks import periodic_task_install, periodic_task_remove

TASK_NAME = "Invite reminders before expiry"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_install(
        apps,
        name=TASK_NAME,
        task="interviews.tasks.send_invite_reminders",
        every=1,
        period="hours",
        expire_seconds=3000,
    )


def unschedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_remove(apps, name=TASK_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0010_invite_emails"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

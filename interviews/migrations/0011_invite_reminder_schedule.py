"""Schedule the invite reminders on beat: every hour, expiring after 50 minutes so missed runs
never pile up. Each link gets one reminder whatever runs it (a unique constraint), so a late or
doubled run sends nothing twice. Staff can change it under Periodic tasks in the admin."""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "Invite reminders before expiry"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _ = interval_model.objects.get_or_create(every=1, period="hours")
    task_model.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "interviews.tasks.send_invite_reminders",
            "interval": hourly,
            "queue": "maintenance",
            "exchange": "maintenance",
            "routing_key": "maintenance",
            "expire_seconds": 3000,
        },
    )
    # Historical models send no signals: tell a running beat that its schedule changed.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def unschedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0010_invite_emails"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

"""Schedule the vector backfill on beat: every 10 minutes, expiring after 9 so missed runs never
pile up (retrieval/services/vectors_backfill.py). A run outside hybrid mode does nothing. Staff
can change it under Periodic tasks in the admin."""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "Vectors for passages stored during an embeddings outage"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_10_minutes, _ = interval_model.objects.get_or_create(every=10, period="minutes")
    task_model.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "retrieval.tasks.backfill_passage_vectors",
            "interval": every_10_minutes,
            "queue": "maintenance",
            "exchange": "maintenance",
            "routing_key": "maintenance",
            "expire_seconds": 540,
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
        ("retrieval", "0004_fts5_knowledge_base_column"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

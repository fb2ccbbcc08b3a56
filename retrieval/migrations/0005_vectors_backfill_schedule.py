"""Schedule the vector backfill on beat: every 10 minutes, expiring after 9 so missed runs never
pile up (retrieval/services/vectors_backfill.py). A run outside hybrid mode does nothing. Staff
can change it under Periodic tasks in the admin."""

from django.db import migrations

from interviewsite.periodic_tasks import periodic_task_install, periodic_task_remove

TASK_NAME = "Vectors for passages stored during an embeddings outage"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_install(
        apps,
        name=TASK_NAME,
        task="retrieval.tasks.backfill_passage_vectors",
        every=10,
        period="minutes",
        expire_seconds=540,
    )


def unschedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_remove(apps, name=TASK_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("retrieval", "0004_fts5_knowledge_base_column"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

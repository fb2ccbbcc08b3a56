# The question cache's tables and its beat schedules (purge, pre-warm).
#
# Both schedules expire before their next run, so runs missed behind a stopped worker never
# pile up. Staff can change them under Periodic tasks in the admin.

from django.db import migrations, models

from interviewsite.periodic_tasks import periodic_task_install, periodic_task_remove

# name -> (task, every N minutes, expire_seconds)
SCHEDULES = {
    "Question cache: purge expired questions": (
        "resilience.tasks.question_cache.purge_expired_questions",
        60,
        50 * 60,
    ),
    "Question cache: pre-warm": (
        "resilience.tasks.question_cache.prewarm_questions",
        30,
        25 * 60,
    ),
}


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name, (task, minutes, expire_seconds) in SCHEDULES.items():
        periodic_task_install(
            apps,
            name=name,
            task=task,
            every=minutes,
            period="minutes",
            expire_seconds=expire_seconds,
        )


def unschedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name in SCHEDULES:
        periodic_task_remove(apps, name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("resilience", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="CachedQuestion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=64)),
                (
                    "difficulty",
                    models.CharField(
                        choices=[("easy", "Easy"), ("medium", "Medium"), ("hard", "Hard")],
                        max_length=8,
                    ),
                ),
                ("language", models.CharField(max_length=16)),
                ("topic", models.CharField(max_length=200)),
                ("fingerprint", models.CharField(max_length=32)),
                ("text", models.TextField()),
                ("metadata", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "cached question",
                "ordering": ("-created_at", "-id"),
                "indexes": [
                    models.Index(fields=["key", "expires_at"], name="cached_question_lookup"),
                    models.Index(fields=["expires_at"], name="cached_question_expiry"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("key", "fingerprint"), name="cached_question_unique_variant"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("difficulty__in", ["easy", "medium", "hard"])),
                        name="cached_question_difficulty_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("expires_at__gt", models.F("created_at"))),
                        name="cached_question_expires_after_creation",
                    ),
                ],
            },
        ),
        migrations.RunPython(schedule, unschedule),
    ]

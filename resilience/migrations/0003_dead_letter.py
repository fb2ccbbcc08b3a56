# The dead-letter queue's table and its retention schedule.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from interviewsite.periodic_tasks import periodic_task_install, periodic_task_remove

RETENTION_TASK_NAME = "Dead-letter queue retention"


def schedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Purge hourly, expiring after 50 minutes."""
    periodic_task_install(
        apps,
        name=RETENTION_TASK_NAME,
        task="resilience.tasks.dead_letters.purge_dead_letters",
        every=1,
        period="hours",
        expire_seconds=3000,
    )


def unschedule(apps, schema_editor):  # type: ignore[no-untyped-def]
    periodic_task_remove(apps, name=RETENTION_TASK_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("resilience", "0002_question_cache"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeadLetterAlert",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("task_name", models.CharField(max_length=255, unique=True)),
                ("last_sent_at", models.DateTimeField()),
                ("suppressed", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="DeadLetter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("task_name", models.CharField(db_index=True, max_length=255)),
                ("task_id", models.CharField(blank=True, max_length=255)),
                ("queue", models.CharField(blank=True, max_length=255)),
                ("args", models.JSONField(blank=True, default=list)),
                ("kwargs", models.JSONField(blank=True, default=dict)),
                ("exception_type", models.CharField(db_index=True, max_length=255)),
                ("exception_message", models.TextField(blank=True)),
                ("traceback", models.TextField(blank=True)),
                ("attempts", models.PositiveIntegerField(default=1)),
                (
                    "failure_count",
                    models.PositiveIntegerField(
                        default=1,
                        help_text="Terminal failures recorded in this entry (1 + failed retries).",
                    ),
                ),
                ("first_failed_at", models.DateTimeField()),
                ("last_failed_at", models.DateTimeField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("retried", "Retried"),
                            ("discarded", "Discarded"),
                            ("resolved", "Resolved"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                (
                    "critical",
                    models.BooleanField(
                        default=False,
                        help_text="The task was listed in CRITICAL_TASKS when it failed.",
                    ),
                ),
                (
                    "retry_task_id",
                    models.CharField(
                        blank=True,
                        help_text="Celery id of the latest retry sent from here.",
                        max_length=255,
                    ),
                ),
                ("retry_count", models.PositiveIntegerField(default=0)),
                ("retried_at", models.DateTimeField(blank=True, null=True)),
                ("discarded_at", models.DateTimeField(blank=True, null=True)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                (
                    "discarded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "retried_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "dead letter",
                "ordering": ["-last_failed_at", "-pk"],
                "indexes": [
                    models.Index(
                        fields=["status", "task_name", "last_failed_at"], name="dead_letter_by_task"
                    ),
                    models.Index(
                        fields=["status", "last_failed_at"], name="dead_letter_status_age"
                    ),
                    models.Index(
                        condition=models.Q(("status", "retried")),
                        fields=["retry_task_id"],
                        name="dead_letter_retry_task",
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("status__in", ["pending", "retried", "discarded", "resolved"])
                        ),
                        name="dead_letter_status_valid",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("task_id", ""), _negated=True),
                        fields=("task_id",),
                        name="dead_letter_task_id_unique",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "retried"), _negated=True),
                            models.Q(("retry_task_id", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="dead_letter_retried_has_task",
                    ),
                ],
            },
        ),
        migrations.RunPython(schedule, unschedule),
    ]

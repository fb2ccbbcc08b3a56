"""Give every existing interview a position: one per distinct plan (role, topic, difficulty,
language, question count, time limit), titled after the role. The interviews keep their own
copy of the plan, so nothing is lost either way; reversing unlinks them and deletes only the
positions this migration made (their description says so)."""

from django.db import migrations

MADE_HERE = "Created from existing interviews when positions were introduced."
PLAN = ("role", "topic", "difficulty", "language", "question_count", "time_limit_seconds")


def link_positions(apps, schema_editor):  # type: ignore[no-untyped-def]
    interview_model = apps.get_model("interviews", "Interview")
    position_model = apps.get_model("interviews", "Position")
    unlinked = interview_model.objects.filter(position__isnull=True)
    for plan in unlinked.values(*PLAN).distinct().order_by(*PLAN):
        position = position_model.objects.create(
            title=plan["role"],
            description=MADE_HERE,
            topics=[plan["topic"]],
            difficulty=plan["difficulty"],
            language=plan["language"],
            question_count=plan["question_count"],
            time_limit_seconds=plan["time_limit_seconds"],
        )
        unlinked.filter(**plan).update(position=position)


def unlink_positions(apps, schema_editor):  # type: ignore[no-untyped-def]
    interview_model = apps.get_model("interviews", "Interview")
    position_model = apps.get_model("interviews", "Position")
    made = position_model.objects.filter(description=MADE_HERE)
    interview_model.objects.filter(position__in=made).update(position=None)
    made.delete()


class Migration(migrations.Migration):
    dependencies = [("interviews", "0008_positions")]

    operations = [migrations.RunPython(link_positions, unlink_positions)]

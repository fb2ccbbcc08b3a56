"""The two staff roles as Django groups (docs/architecture.md, "Roles"):

- Reviewer: reads positions, interviews and their reports, evaluations, decisions and the audit
  trail, and records decisions; nothing of operations.
- Operator: circuit breakers, the dead-letter queue, the question cache, periodic tasks and the
  sweep runs; nothing of candidates.

Staff get a role by being put in its group (and `is_staff`). Re-running adds what is missing
and never removes a permission an administrator added; reversing deletes the two groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Reviewer": {
        "interviews": [
            "view_position",
            "view_interview",
            "view_turn",
            "view_evaluation",
            "view_decision",
            "view_auditevent",
            "view_inviteemail",
            "record_decision",
        ],
    },
    "Operator": {
        "resilience": [
            "view_breakerconfig",
            "change_breakerconfig",
            "view_breakerstate",
            "view_breakerevent",
            "view_deadletter",
            "change_deadletter",
            "view_cachedquestion",
            "delete_cachedquestion",
        ],
        "django_celery_beat": [
            "view_periodictask",
            "change_periodictask",
            "add_periodictask",
            "view_intervalschedule",
            "add_intervalschedule",
            "view_crontabschedule",
            "add_crontabschedule",
            "view_clockedschedule",
        ],
        "interviews": ["view_sweeprun"],
    },
}


def create_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Permissions are normally made after the last migration; these groups need them now.
    for label in ("interviews", "resilience", "django_celery_beat"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, by_app in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for app_label, codenames in by_app.items():
            found = permission_model.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
            missing = set(codenames) - set(found.values_list("codename", flat=True))
            if missing:
                raise RuntimeError(f"{name}: no such permissions in {app_label}: {sorted(missing)}")
            group.permissions.add(*found)


def delete_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0011_invite_reminder_schedule"),
        ("resilience", "0004_alert_throttle"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]

"""The beat schedules that data migrations install, in one place: every periodic task runs on
the `maintenance` queue and expires before its next run, so runs missed behind a stopped worker
never pile up. Staff can change them under Periodic tasks in the admin afterwards.

Called with a migration's historical models (`apps`), so it stays valid for old migrations.
"""

from typing import Any

from django.utils import timezone

QUEUE = "maintenance"


def periodic_task_install(
    apps: Any,
    *,
    name: str,
    task: str,
    every: int,
    period: str,
    expire_seconds: int,
    description: str = "",
    replace: bool = False,
) -> None:
    """Schedule `task` every `every` `period`s under `name`. An existing row of that name is
    kept as staff left it, unless `replace`."""
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(every=every, period=period)
    defaults = {
        "task": task,
        "interval": interval,
        "queue": QUEUE,
        "exchange": QUEUE,
        "routing_key": QUEUE,
        "expire_seconds": expire_seconds,
        "description": description,
    }
    if replace:
        task_model.objects.update_or_create(name=name, defaults={**defaults, "enabled": True})
    else:
        task_model.objects.get_or_create(name=name, defaults=defaults)
    # Historical models send no signals: tell a running beat that its schedule changed.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def periodic_task_remove(apps: Any, *, name: str) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

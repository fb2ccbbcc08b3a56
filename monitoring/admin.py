"""Admin registrations this app makes: the periodic tasks' run action that reports what it did
(monitoring/periodic_tasks_admin.py). Imported explicitly so autodiscovery finds it."""

from monitoring import periodic_tasks_admin

__all__ = ["periodic_tasks_admin"]

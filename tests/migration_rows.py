"""Rows that data migrations create, made again for a test that reads them.

A transactional test that ran earlier in the same process flushes every table, and under
pytest-xdist tests of other files run in any order. The migration's own forward function makes
the rows again (each is idempotent), so a test still checks exactly what the migration installs.
"""

import importlib

from django.apps import apps


def ensure_migration_rows(app_label: str, migration: str, forward: str) -> None:
    module = importlib.import_module(f"{app_label}.migrations.{migration}")
    getattr(module, forward)(apps, None)

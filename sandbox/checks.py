from typing import Any

from django.core import checks

from sandbox.conf import _read, settings_problems


def check_sandbox_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(p, id="sandbox.E001") for p in settings_problems(_read())]

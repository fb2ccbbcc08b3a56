import shutil
from typing import Any

from django.core import checks

from sandbox.conf import _read, settings_problems


def check_sandbox_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    conf = _read()
    messages: list[checks.CheckMessage] = [
        checks.Error(p, id="sandbox.E001") for p in settings_problems(conf)
    ]
    if conf.engine.endswith(".LocalEngine") and conf.isolation != "none":
        from sandbox.engines.local import namespaces_available

        if not namespaces_available(shutil.which("unshare") or ""):
            # Only a warning here: web processes never run code; the sandbox workers must.
            messages.append(
                checks.Warning(
                    "This process cannot create namespaces (not root, or no unshare): a sandbox "
                    "worker started like it runs candidate code with resource limits only, "
                    "not isolated (docs/sandbox.md, 'Isolation').",
                    hint="Run sandbox workers as root, or set SANDBOX_ISOLATION=namespaces to "
                    "make them refuse to run code without isolation.",
                    id="sandbox.W001",
                )
            )
    return messages

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Code sandbox"

    def ready(self) -> None:
        from sandbox.checks import check_sandbox_settings
        from sandbox.conf import reset_sandbox_settings

        checks.register(check_sandbox_settings)
        # Tests override SANDBOX_* settings; the next run must see them.
        setting_changed.connect(reset_sandbox_settings, dispatch_uid="sandbox.reset_settings")

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Code sandbox"

    def ready(self) -> None:
        from celery.signals import celeryd_after_setup

        from sandbox.checks import check_sandbox_settings, unisolated_worker_warn
        from sandbox.conf import reset_sandbox_settings

        checks.register(check_sandbox_settings)
        celeryd_after_setup.connect(unisolated_worker_warn, dispatch_uid="sandbox.unisolated")
        # Tests override SANDBOX_* settings; the next run must see them.
        setting_changed.connect(reset_sandbox_settings, dispatch_uid="sandbox.reset_settings")

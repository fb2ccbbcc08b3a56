"""System checks of the interviews app, registered in InterviewsConfig.ready()."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from interviews.llm.gateway import provider_problems


def check_llm_providers(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """LLM_PROVIDERS names known providers, each listed once, and each remote one has a key."""
    return [
        Error(
            problem,
            hint="See docs/operations.md, 'LLM providers'.",
            id="interviews.E001",
        )
        for problem in provider_problems()
    ]


CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"


def check_invite_email(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """In production (a DATABASE_URL) invites printed to a log reach nobody: say so."""
    if settings.DATABASE_URL and settings.EMAIL_BACKEND == CONSOLE_EMAIL:
        return [
            Warning(
                "Invite emails are printed to the worker's log (console backend): candidates "
                "will not receive them.",
                hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, "
                "DEFAULT_FROM_EMAIL); see docs/operations.md, 'Invite emails'.",
                id="interviews.W001",
            )
        ]
    return []

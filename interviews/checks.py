"""System checks of the interviews app, registered in InterviewsConfig.ready()."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error

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

"""The interviews app's settings as one typed value, read once per process (field names are
the settings' names in lower case; their defaults are the only ones in the code:
interviewsite/appconf.py)."""

from dataclasses import dataclass, field
from functools import cache

from interviewsite.appconf import register_type_check, reset_on_change, settings_from


@dataclass(frozen=True, slots=True)
class InterviewsSettings:
    # A task's hard limit: an evaluation claim older than this has no worker behind it.
    celery_task_time_limit: int = 300
    openai_api_key: str = field(default="", repr=False)  # required when LLM_PROVIDERS has openai
    anthropic_api_key: str = field(default="", repr=False)  # likewise for anthropic
    # "Run tests" and "Submit" per interview per window, across all its sockets.
    code_runs_per_window: int = 10
    code_runs_window_seconds: float = 60.0


@cache
def interviews_settings() -> InterviewsSettings:
    return settings_from(InterviewsSettings)


reset_interviews_settings = reset_on_change(interviews_settings, "interviews.conf")
register_type_check(interviews_settings, "interviews.E050")

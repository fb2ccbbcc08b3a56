"""Which interviewer provider serves a request.

`LLM_PROVIDERS` is validated here once per process so a typo fails at start-up with a clear
message rather than in the middle of an interview.
"""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from interviews.llm.base import InterviewerProvider

KNOWN_PROVIDERS = ("offline",)


@cache
def get_interviewer() -> InterviewerProvider:
    unknown = [p for p in settings.LLM_PROVIDERS if p not in KNOWN_PROVIDERS]
    if unknown:
        raise ImproperlyConfigured(
            f"LLM_PROVIDERS names unknown provider(s) {unknown}; known: {list(KNOWN_PROVIDERS)}"
        )
    from interviews.llm.offline import OfflineInterviewer  # loads the question bank

    return OfflineInterviewer()

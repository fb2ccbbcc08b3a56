"""Which interviewer serves a request: the failover chain built from LLM_PROVIDERS.

`LLM_PROVIDERS` is validated by a system check at start-up (interviews/checks.py) and again
when the chain is built, so a typo or a missing key fails with a clear message rather than in
the middle of an interview. The chain is built once per process and rebuilt when a test
changes an LLM setting.
"""

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from interviews.conf import interviews_settings
from interviews.llm.bank import QuestionBank
from interviews.llm.base import InterviewerProvider
from interviews.llm.budget import Deadline, llm_step
from interviews.llm.cache_adapter import QuestionCacheBank
from interviews.llm.chain import ChainConfig, InterviewerChain
from interviews.llm.guarded import GuardedProvider, RetryPolicy

KNOWN_PROVIDERS = ("openai", "anthropic", "offline")
# Provider -> the setting that must hold its API key.
API_KEY_SETTINGS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
# A change to any of these makes the next get_interviewer() build a new chain.
CHAIN_SETTINGS = frozenset(
    {
        "LLM_PROVIDERS",
        "LLM_TIMEOUT_SECONDS",
        "MAX_RETRY_ATTEMPTS",
        "RETRY_BASE_DELAY",
        "RETRY_MAX_DELAY",
        "OPENAI_BASE_URL",
        "OPENAI_API_KEY",
        "OPENAI_MODEL",
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_MODEL",
    }
)

_lock = threading.Lock()
_interviewer: InterviewerChain | None = None


def provider_problems() -> list[str]:
    """Everything wrong with LLM_PROVIDERS and the provider settings, as sentences."""
    names = list(settings.LLM_PROVIDERS)
    if not names:
        return ["LLM_PROVIDERS is empty; list at least one of " + ", ".join(KNOWN_PROVIDERS) + "."]
    problems = []
    unknown = [n for n in names if n not in KNOWN_PROVIDERS]
    if unknown:
        problems.append(
            f"LLM_PROVIDERS names unknown provider(s) {', '.join(map(repr, unknown))}; "
            f"known providers are {', '.join(KNOWN_PROVIDERS)}."
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"LLM_PROVIDERS lists {', '.join(map(repr, duplicates))} more than once.")
    conf = interviews_settings()
    for name, key_setting in API_KEY_SETTINGS.items():
        if name in names and not str(getattr(conf, key_setting.lower())).strip():
            problems.append(
                f"LLM_PROVIDERS includes {name!r} but {key_setting} is empty; set the key or "
                f"remove {name!r} from LLM_PROVIDERS."
            )
    if float(settings.LLM_TIMEOUT_SECONDS) <= 0:
        problems.append("LLM_TIMEOUT_SECONDS must be more than 0 seconds.")
    return problems


def validate_providers() -> None:
    problems = provider_problems()
    if problems:
        raise ImproperlyConfigured(" ".join(problems))


def build_remote(name: str, *, retry: RetryPolicy) -> GuardedProvider:
    """The remote provider `name`, wrapped once in its breaker and `retry`."""
    timeout = float(settings.LLM_TIMEOUT_SECONDS)
    if name == "openai":
        from interviews.llm.providers.openai import OpenAIInterviewer

        openai = OpenAIInterviewer(
            base_url=settings.OPENAI_BASE_URL,
            api_key=settings.OPENAI_API_KEY,
            model=settings.OPENAI_MODEL,
            timeout=timeout,
        )
        return GuardedProvider(openai, retry=retry)
    if name == "anthropic":
        from interviews.llm.providers.anthropic import AnthropicInterviewer

        anthropic = AnthropicInterviewer(
            base_url=settings.ANTHROPIC_BASE_URL,
            api_key=settings.ANTHROPIC_API_KEY,
            model=settings.ANTHROPIC_MODEL,
            timeout=timeout,
        )
        return GuardedProvider(anthropic, retry=retry)
    raise ImproperlyConfigured(f"unknown remote LLM provider {name!r}")


def remote_providers(*, retry: RetryPolicy) -> list[GuardedProvider]:
    """The remote providers of LLM_PROVIDERS, in order, each with `retry`."""
    return [build_remote(n, retry=retry) for n in settings.LLM_PROVIDERS if n in API_KEY_SETTINGS]


def build_provider(name: str) -> InterviewerProvider:
    if name == "offline":
        from interviews.llm.offline import OfflineInterviewer, load_bank

        # Parsing the bank takes a second or two: pay it when the chain is built (first use in
        # the process), not in the middle of an outage while a candidate waits on a question.
        load_bank()
        return OfflineInterviewer()
    return build_remote(name, retry=RetryPolicy.from_settings())


def question_bank() -> QuestionBank:
    """Where the chain looks when every provider failed: the question cache (resilience),
    which also keeps every question an LLM writes (docs/architecture.md, "Question cache")."""
    return QuestionCacheBank()


def build_interviewer() -> InterviewerChain:
    validate_providers()
    return InterviewerChain(
        [build_provider(name) for name in settings.LLM_PROVIDERS],
        config=ChainConfig.from_settings(),
        question_bank=question_bank(),
    )


def get_interviewer() -> InterviewerChain:
    global _interviewer
    interviewer = _interviewer
    if interviewer is None:
        with _lock:
            if _interviewer is None:
                _interviewer = build_interviewer()
            interviewer = _interviewer
    return interviewer


def reset_interviewer(*, setting: str = "", **kwargs: Any) -> None:
    """Forget the chain (a `setting_changed` receiver; tests may call it directly)."""
    global _interviewer
    if not setting or setting in CHAIN_SETTINGS:
        with _lock:
            _interviewer = None


@contextlib.contextmanager
def interviewer_step() -> Iterator[Deadline]:
    """One budget of LLM_TIMEOUT_SECONDS for every gateway call made inside the block.

    Wrap the decision of the interviewer's next turn in it (a follow-up that turns out not to
    be needed, then the next question) so that together they never exceed one timeout.
    """
    with llm_step(float(settings.LLM_TIMEOUT_SECONDS)) as deadline:
        yield deadline

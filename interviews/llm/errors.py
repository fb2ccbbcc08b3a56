"""Typed failures of the LLM gateway.

The breakers classify exceptions (resilience.breakers.classify): anything not recognised as an
HTTP client error counts as a failure of the dependency, which is what these are meant to be.
"""


class LLMError(Exception):
    """Base class for gateway failures."""


class MalformedReply(LLMError):
    """The provider answered, but not with what the schema asks for (even after one repair).

    `problem` says what was wrong, in words safe to send back to the model: it never quotes
    the reply or the candidate's text.
    """

    def __init__(self, problem: str, *, provider: str = "", repairable: bool = True) -> None:
        super().__init__(f"{provider or 'provider'} reply rejected: {problem}")
        self.problem = problem
        self.provider = provider
        # False for a broken response envelope: a repair prompt cannot fix the transport.
        self.repairable = repairable


class DeadlineExceeded(LLMError):
    """The step's time budget ran out before this provider could be asked (again)."""


class ProvidersUnavailable(LLMError):
    """No provider in LLM_PROVIDERS could do the job; Celery retries the evaluation later.

    `retry_after` is set when every provider was skipped because its breaker is open: the
    seconds until the first of them admits a trial (nothing was tried, so no attempt is spent).
    """

    def __init__(
        self, task: str, failures: dict[str, str], *, retry_after: float | None = None
    ) -> None:
        detail = "; ".join(f"{name}: {why}" for name, why in failures.items()) or "none listed"
        super().__init__(f"no provider could {task} ({detail})")
        self.task = task
        self.failures = dict(failures)
        self.retry_after = retry_after


class ProviderUnavailable(LLMError):
    """One provider cannot answer now (its breaker is open, it failed, or time ran out); the
    chain moves on to the next. `retry_after`: seconds until an open breaker's next trial."""

    def __init__(self, why: str, *, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.retry_after = retry_after

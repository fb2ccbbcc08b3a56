"""Exceptions raised by breakers."""


class BreakerOpen(Exception):
    """The breaker rejected the call without running it.

    `retry_after` is the number of seconds until the breaker admits a trial call (for a forced-open
    breaker: the configured recovery timeout, as a hint to look again then).
    """

    def __init__(self, name: str, retry_after: float, *, forced: bool = False) -> None:
        # The message is built only when shown: rejections are frequent while a breaker is open.
        super().__init__(name, retry_after)
        self.name = name
        self.retry_after = max(retry_after, 0.0)
        self.forced = forced

    def __str__(self) -> str:
        why = "forced open" if self.forced else "open"
        return f"circuit breaker {self.name!r} is {why}; retry in {self.retry_after:.1f}s"

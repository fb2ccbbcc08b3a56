"""A call through a breaker that stays in flight until the test finishes it (in a thread)."""

import threading

from django.db import connections

from resilience.breakers import Breaker, BreakerOpen


class HeldCall:
    """Starts `breaker.call` at once; the call's body waits until `finish()`.

    `rejected` is the BreakerOpen when the breaker did not admit it. Every clock read of the
    breaker happens while the test waits (on entry, and in `finish`), so an injected clock
    stays exact.
    """

    def __init__(self, breaker: Breaker) -> None:
        self.rejected: BreakerOpen | None = None
        self._error: BaseException | None = None
        self._entered = threading.Event()
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(breaker,), daemon=True)
        self._thread.start()
        while not self._entered.wait(0.01) and self._thread.is_alive():
            pass

    def finish(self, error: BaseException | None = None) -> None:
        """End the call: return normally, or raise `error` from its body."""
        self._error = error
        self._release.set()
        self._thread.join(10)

    def _run(self, breaker: Breaker) -> None:
        try:
            breaker.call(self._body)
        except BreakerOpen as exc:
            self.rejected = exc
        except BaseException:  # the body's own error, raised on purpose by the test
            pass
        finally:
            connections.close_all()  # this thread's, if the store used the database

    def _body(self) -> None:
        self._entered.set()
        self._release.wait(10)
        if self._error is not None:
            raise self._error

"""One breaker per name per process. ResilienceConfig.ready hands in where policies come from
and what hears of transitions (`configure`), so the breaker code imports neither the models nor
the services, which import it."""

import threading
from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

from resilience.breakers.breaker import Breaker, Listener
from resilience.breakers.config import NAME_PATTERN
from resilience.breakers.policies import PolicySource, StaticPolicies
from resilience.breakers.stores.base import BreakerStore

_lock = threading.Lock()
_breakers: dict[str, Breaker] = {}
_store: BreakerStore | None = None
_policies: PolicySource | None = None
_new_policies: Callable[[], PolicySource] = StaticPolicies  # the built-in defaults
_listener: Listener | None = None


def configure(*, listener: Listener, policies: Callable[[], PolicySource]) -> None:
    """Set what every breaker reports transitions to, and what makes its policy source."""
    global _listener, _new_policies
    _listener, _new_policies = listener, policies
    reset_registry()


def get_breaker(name: str) -> Breaker:
    """The process-wide breaker called `name`."""
    global _store, _policies
    with _lock:
        if name not in _breakers:
            if not NAME_PATTERN.match(name):
                raise ValueError(
                    f"invalid breaker name {name!r}: lower-case letters, digits, '.', '_' and '-'"
                )
            # BREAKER_STORE is validated by the system check (resilience/breakers/checks.py).
            _store = _store or import_string(settings.BREAKER_STORE).from_settings()
            _policies = _policies or _new_policies()
            _breakers[name] = Breaker(name, store=_store, policies=_policies, listener=_listener)
        return _breakers[name]


def expire_policies() -> None:
    """Make this process reload breaker configuration on its next call."""
    if _policies is not None:
        _policies.expire()


def reset_registry() -> None:
    """Forget every breaker, the store and the cached policies (tests, settings changes)."""
    global _store, _policies
    with _lock:
        _breakers.clear()
        _store = None
        _policies = None

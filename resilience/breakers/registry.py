"""One breaker per name per process. ResilienceConfig.ready hands in the services' listener and
row factory (`configure`): this package never imports the services, which import it."""

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

from resilience.breakers.breaker import Breaker, Listener
from resilience.breakers.config import NAME_PATTERN
from resilience.breakers.policies import DatabasePolicies
from resilience.breakers.stores.base import BreakerStore

if TYPE_CHECKING:
    from resilience.models import BreakerConfig

_lock = threading.Lock()
_breakers: dict[str, Breaker] = {}
_store: BreakerStore | None = None
_policies: DatabasePolicies | None = None
_listener: Listener | None = None
_ensure_config: "Callable[[str], BreakerConfig] | None" = None


def configure(*, listener: Listener, ensure_config: "Callable[[str], BreakerConfig]") -> None:
    """Set what every breaker reports transitions to, and how a config row is created."""
    global _listener, _ensure_config
    _listener, _ensure_config = listener, ensure_config
    reset_registry()


def get_breaker(name: str) -> Breaker:
    """The process-wide breaker called `name` (its config row is created on first use)."""
    global _store, _policies
    with _lock:
        if name not in _breakers:
            if not NAME_PATTERN.match(name):
                raise ValueError(
                    f"invalid breaker name {name!r}: lower-case letters, digits, '.', '_' and '-'"
                )
            # BREAKER_STORE is validated by the system check (resilience/checks.py).
            _store = _store or import_string(settings.BREAKER_STORE).from_settings()
            _policies = _policies or DatabasePolicies(ensure=_ensure_config)
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

"""Breaker writes: configuration, operator overrides, the event log, the mirror and alerts.

The admin's actions and forms call these; so may scripts and the incident runbook
(docs: operations, "Circuit breakers").
"""

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction
from django.utils import timezone

from resilience import metrics
from resilience.alerts.services import Actor, actor_user, alert_claim, alert_deliver
from resilience.background import breaker_side_effects
from resilience.breakers.config import EDITABLE_FIELDS, Mode
from resilience.breakers.models import (
    BreakerConfig,
    BreakerEvent,
    BreakerEventKind,
    BreakerState,
    BreakerStateChoice,
)
from resilience.breakers.policies import default_policy
from resilience.breakers.registry import expire_policies, get_breaker
from resilience.breakers.state import Reason, State, Transition
from resilience.breakers.stores.base import BreakerStore

logger = logging.getLogger(__name__)

STATE_CHOICE = {
    State.CLOSED: BreakerStateChoice.CLOSED,
    State.OPEN: BreakerStateChoice.OPEN,
    State.HALF_OPEN: BreakerStateChoice.HALF_OPEN,
}
MODE_EVENT = {
    Mode.NORMAL: BreakerEventKind.NORMAL,
    Mode.FORCED_OPEN: BreakerEventKind.FORCED_OPEN,
    Mode.FORCED_CLOSED: BreakerEventKind.FORCED_CLOSED,
    Mode.METRICS_ONLY: BreakerEventKind.METRICS_ONLY,
}


# --- configuration ------------------------------------------------------------------------


def breaker_config_ensure(*, name: str) -> BreakerConfig:
    """The breaker's config row, created from the settings defaults on first use."""
    config = BreakerConfig.objects.filter(name=name).first()
    if config is not None:
        return config
    policy = default_policy(name)
    config = BreakerConfig(name=name, **{key: getattr(policy, key) for key in EDITABLE_FIELDS})
    try:
        with transaction.atomic():
            config.save()
    except IntegrityError:
        # Another process created it first.
        return BreakerConfig.objects.get(name=name)
    logger.info("circuit breaker %s: configuration created with defaults", name)
    return config


def breaker_config_update(
    *, config: BreakerConfig, user: Actor, changed_fields: Sequence[str], created: bool = False
) -> BreakerConfig:
    """Validate and save an edited config row, and log who changed what."""
    config.full_clean()
    if created:
        kind = BreakerEventKind.CONFIG_CHANGED
    elif "mode" in changed_fields:
        kind = MODE_EVENT[Mode(config.mode)]
    else:
        kind = BreakerEventKind.CONFIG_CHANGED
    details: dict[str, Any] = {
        "created": created,
        "changed": {key: getattr(config, key) for key in changed_fields if key in EDITABLE_FIELDS},
    }
    with transaction.atomic():
        config.save()
        BreakerEvent.objects.create(
            breaker_name=config.name, kind=kind, user=actor_user(user), details=details
        )
        transaction.on_commit(expire_policies)
    return config


def breaker_force_open(*, name: str, user: Actor, reason: str = "") -> BreakerConfig:
    """Reject every call until someone restores normal mode (incident response)."""
    return _mode_set(name=name, mode=Mode.FORCED_OPEN, user=user, reason=reason)


def breaker_force_closed(*, name: str, user: Actor, reason: str = "") -> BreakerConfig:
    """Let every call through and record nothing, whatever the dependency does."""
    return _mode_set(name=name, mode=Mode.FORCED_CLOSED, user=user, reason=reason)


def breaker_restore_normal(*, name: str, user: Actor, reason: str = "") -> BreakerConfig:
    """End an override: the breaker opens and closes by itself again, from its stored state."""
    return _mode_set(name=name, mode=Mode.NORMAL, user=user, reason=reason)


def _mode_set(*, name: str, mode: Mode, user: Actor, reason: str) -> BreakerConfig:
    with transaction.atomic():
        breaker_config_ensure(name=name)
        config = BreakerConfig.objects.select_for_update().get(name=name)
        previous = config.mode
        config.mode = mode
        config.save(update_fields=["mode", "updated_at"])
        BreakerEvent.objects.create(
            breaker_name=name,
            kind=MODE_EVENT[mode],
            user=actor_user(user),
            reason=reason[:200],
            details={"previous_mode": previous},
        )
        transaction.on_commit(expire_policies)
    logger.warning("circuit breaker %s: mode %s -> %s by %s", name, previous, mode, user)
    return config


def breaker_reset(
    *, name: str, user: Actor, reason: str = "", store: BreakerStore | None = None
) -> Transition:
    """Back to CLOSED with empty counters in the shared store, logged with the user."""
    breaker = get_breaker(name)
    store = store or breaker.store
    transition = store.reset(name, breaker.policy)
    breaker.forget_view()
    BreakerEvent.objects.create(
        breaker_name=name,
        kind=BreakerEventKind.RESET,
        from_state=STATE_CHOICE[transition.from_state],
        to_state=STATE_CHOICE[transition.to_state],
        reason=reason[:200],
        user=actor_user(user),
        details=transition.counters,
    )
    _mirror_update(transition)
    logger.warning("circuit breaker %s: reset by %s", name, user)
    return transition


# --- transitions --------------------------------------------------------------------------


def breaker_transition_notify(transition: Transition) -> None:
    """The breakers' listener: persist off the hot path (the call is not kept waiting).

    A transition seen inside the caller's transaction is persisted after that transaction
    commits, like every other side effect in this project: on SQLite the background thread
    could not write before then anyway (the caller holds the only write lock), and tests that
    never commit leave no rows behind. If the caller rolls back, the transition is still in the
    log line and the metrics, not in the event table. Reading `in_atomic_block` does not touch
    the database, so this is safe from async code.
    """
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        transaction.on_commit(partial(_persist_later, transition))
    else:
        _persist_later(transition)


def _persist_later(transition: Transition) -> None:
    breaker_side_effects.submit(breaker_transition_persist, transition=transition)


def breaker_transition_persist(*, transition: Transition) -> None:
    """Event row, state mirror, and the alert if a critical breaker opened. Never raises."""
    try:
        BreakerEvent.objects.create(
            breaker_name=transition.name,
            kind=BreakerEventKind.TRANSITION,
            from_state=STATE_CHOICE[transition.from_state],
            to_state=STATE_CHOICE[transition.to_state],
            reason=transition.reason.slug,
            details=transition.counters,
        )
        if not transition.local:
            # A process-local fallback state is not the breaker's shared state.
            _mirror_update(transition)
    except DatabaseError:
        logger.exception("circuit breaker %s: cannot record transition", transition.name)
    if transition.to_state != State.OPEN:
        return
    try:
        critical = (
            BreakerConfig.objects.filter(name=transition.name)
            .values_list("critical", flat=True)
            .first()
        )
        if critical:
            breaker_alert_send(transition=transition)
    except DatabaseError:
        logger.exception("circuit breaker %s: cannot send its alert", transition.name)


def breaker_alert_send(*, transition: Transition) -> bool:
    """Alert staff that a critical breaker opened (resilience.alerts: once per breaker per
    ALERT_INTERVAL across processes); False when deduplicated. Never raises for delivery."""
    if not BreakerConfig.objects.filter(name=transition.name).exists():
        return False
    suppressed = alert_claim(key=f"breaker:{transition.name}")
    if suppressed is None:
        logger.info("circuit breaker %s: opened again; alert suppressed", transition.name)
        return False
    now = timezone.now()
    where = " (process-local: the shared store was unreachable)" if transition.local else ""
    more = f" ({suppressed} more openings since the last alert)" if suppressed else ""
    body = (
        f"Circuit breaker {transition.name} opened at {now:%Y-%m-%d %H:%M:%S %Z}{where}.\n"
        f"Reason: {transition.reason.slug}\n"
        f"Calls in window: {transition.calls}, failures: {transition.failures}, "
        f"slow: {transition.slow}, consecutive failures: {transition.consecutive_failures}\n"
        f"Openings in a row: {transition.trips}; next trial in {transition.open_for:.0f}s.{more}\n"
    )
    payload = {"breaker": transition.name, "state": "open", "at": now.isoformat()}
    payload |= transition.counters | {"suppressed_since_last_alert": suppressed}
    webhook = alert_deliver(
        what=f"circuit breaker {transition.name}",
        subject=f"Circuit breaker {transition.name} opened{where}{more}",
        body=body,
        payload=payload,
        counter=metrics.BREAKER_ALERTS,
    )
    BreakerEvent.objects.create(
        breaker_name=transition.name,
        kind=BreakerEventKind.ALERT,
        reason=transition.reason.slug,
        details={"webhook": webhook, **transition.counters},
    )
    return True


def _mirror_update(t: Transition) -> None:
    config_id = BreakerConfig.objects.filter(name=t.name).values_list("pk", flat=True).first()
    if config_id is None:
        return
    values = {
        "state": STATE_CHOICE[t.to_state],
        "gen": t.gen,
        "reason": t.reason.slug,
        "calls": t.calls,
        "failures": t.failures,
        "slow": t.slow,
        "consecutive_failures": t.consecutive_failures,
        "trips": t.trips,
        "changed_at": timezone.now(),
    }
    # Transitions seen by different processes may be written out of order: a newer generation
    # wins (a reset always does: it is an operator's statement of the current state).
    rows = BreakerState.objects.filter(config_id=config_id)
    if t.reason != Reason.RESET:
        rows = rows.filter(gen__lt=t.gen)
    if not rows.update(**values):
        BreakerState.objects.get_or_create(config_id=config_id, defaults=values)

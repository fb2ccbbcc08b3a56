"""Staff alerts, for every subsystem: mail to ADMINS and a JSON POST to ALERT_WEBHOOK_URL.

Breakers alert when a critical breaker opens, the dead-letter queue when a critical task fails
for good. Both go through here: one throttle (at most one alert per key per ALERT_INTERVAL,
across processes, counting what was held back for the next alert), one sender, one timeout.
Also the one definition of who did something (`Actor`, `actor_user`) for the audit rows.
"""

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone
from prometheus_client import Counter

from resilience.alerts.models import AlertThrottle
from resilience.conf import resilience_settings

if TYPE_CHECKING:
    from django.contrib.auth.models import User as AuthUser

logger = logging.getLogger(__name__)

ALERT_INTERVAL = timedelta(minutes=15)  # at most one alert per key in this time
# Seconds. Alerts are sent off the guarded call (a background thread, a failing task's
# worker), but a dead webhook must not hold that thread or worker for long.
WEBHOOK_TIMEOUT = 3.0

Actor = AbstractBaseUser | AnonymousUser | None  # request.user, or None for the system


def actor_user(actor: Actor) -> "AuthUser | None":
    """The user to record on an audit row: a real account, never the anonymous user."""
    return actor if isinstance(actor, get_user_model()) else None


def alert_claim(*, key: str) -> int | None:
    """Take this interval's alert for `key`: the alerts held back since the last one, or None
    if one already went out within ALERT_INTERVAL. The row lock makes processes that claim at
    the same moment send one alert between them."""
    now = timezone.now()
    with transaction.atomic():
        row, created = AlertThrottle.objects.select_for_update().get_or_create(
            key=key, defaults={"last_sent_at": now}
        )
        if created:
            return 0
        if row.last_sent_at > now - ALERT_INTERVAL:
            row.suppressed += 1
            row.save(update_fields=["suppressed"])
            return None
        suppressed = row.suppressed
        row.last_sent_at, row.suppressed = now, 0
        row.save(update_fields=["last_sent_at", "suppressed"])
    return suppressed


def alert_deliver(
    *,
    what: str,
    subject: str,
    body: str,
    payload: dict[str, Any],
    counter: Counter | None = None,
) -> bool:
    """Mail ADMINS and POST `payload` to ALERT_WEBHOOK_URL (if set). Failures are logged as
    "<what>: alert mail/webhook failed" and counted in `counter` {channel, result}, never
    raised: the alert is best effort. True if a webhook was configured."""
    try:
        mail_admins(subject, body, fail_silently=False)
        _count(counter, "mail", "sent")
    except Exception:
        # Any mail backend's error: it must not stop the webhook.
        _count(counter, "mail", "failed")
        logger.exception("%s: alert mail failed", what)
    url = resilience_settings().alert_webhook_url
    if not url:
        return False
    try:
        httpx.post(url, json=payload, timeout=WEBHOOK_TIMEOUT).raise_for_status()
        _count(counter, "webhook", "sent")
    except httpx.HTTPError:
        _count(counter, "webhook", "failed")
        logger.exception("%s: alert webhook failed", what)
    return True


def _count(counter: Counter | None, channel: str, result: str) -> None:
    if counter is not None:
        counter.labels(channel=channel, result=result).inc()

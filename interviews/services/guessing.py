"""Invite-token guessing limit: failed token attempts per client address, per minute.

A token is 256 random bits, so guessing one is hopeless; the limit exists so that trying is
visibly refused and logged rather than silently served. Counts live in the Django cache
(Redis in production), so every web process shares them, and they are kept per address in a
fixed one-minute window: cheap (one INCR per attempt), and a blocked client only has to wait
for the next minute. An IPv6 client counts per /64, the block one subscriber usually holds.

Every attempt is counted before its token is looked at (INCR, then compare), so concurrent
attempts can never get more than the limit past the check. Only guesses keep their count (a
token that matches nothing, a room that does not exist); an expired, revoked or finished
interview's link is a real link and is answered as such, and it and a success give their
count back (DECR). Over the limit every attempt from that address is refused, a valid token
included, so a lucky guess is never served while guessing goes on.

The client address is the connection's peer (REMOTE_ADDR / the ASGI scope's client). Behind a
proxy, uvicorn rewrites it from X-Forwarded-For for the addresses in FORWARDED_ALLOW_IPS
(docs/architecture.md, "Security"); without that every client would share the proxy's count.
"""

import ipaddress
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from interviews.models import Interview
from interviews.services.rate_limits import CounterUnavailable, window_count
from interviews.services.tokens import (
    InviteProblem,
    InviteRejected,
    interview_authenticate,
    interview_by_invite,
)

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
KEY_PREFIX = "token-failures"
GUESSES = frozenset({InviteProblem.BAD_TOKEN, InviteProblem.UNKNOWN_INTERVIEW})


class TooManyTokenFailures(Exception):
    """Raised before a token is even looked at, while the client's address is over the limit.

    Carries the attributes the error envelope reads (monitoring/errors.py), so a view can let
    it propagate and the client gets a 429 with Retry-After.
    """

    http_status = 429
    code = "rate_limited"
    retryable = True
    message = "Too many invalid invite links from your network; please wait a minute."

    def __init__(self, retry_after: float) -> None:
        super().__init__(self.message)
        self.retry_after = retry_after


def client_key(address: str | None) -> str:
    """The address the count is kept for: IPv4 as is, IPv6 by its /64, else "unknown"."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


Clock = Callable[[], float]


def attempts_key(client: str) -> str:
    """The counter `client`'s attempts are kept under, one per window (rate_limits.window_key)."""
    return f"{KEY_PREFIX}:{client}"


def token_attempt_admit(*, client: str, clock: Clock = time.time) -> str | None:
    """Count this attempt for `client` (a client_key) before its token is looked at, and raise
    TooManyTokenFailures if that takes it over this minute's limit.

    INCR, then compare: the increment is atomic in Redis, so however many attempts arrive at
    once, at most the limit of them get past; checking first and counting after the lookup
    let every attempt in flight through. An attempt that turns out not to be a guess gives
    its slot back (token_attempt_settle). Returns the window's key, or None when not counted.
    """
    limit = settings.TOKEN_FAILURES_PER_MINUTE
    if limit <= 0:
        return None
    try:
        # One round trip: the count and the key's expiry with its window (plus slack for
        # clocks that differ a little between web processes), services/rate_limits.py.
        counted = window_count(key=attempts_key(client), window_seconds=WINDOW_SECONDS, now=clock())
    except CounterUnavailable:
        # A cache outage must not lock every candidate out: fail open, and say so.
        logger.warning("token failure count unavailable; not limiting", exc_info=True)
        return None
    if counted.count > limit:
        logger.warning(
            "invite token attempt refused: %s has reached %s failures this minute",
            client,
            limit,
            extra={"client": client, "failures": counted.count},
        )
        raise TooManyTokenFailures(retry_after=counted.retry_after)
    return counted.key


def token_attempt_settle(
    *, key: str | None, client: str, where: str, problem: InviteProblem | None
) -> None:
    """After the lookup: a guess keeps its count and is logged (never the token); anything
    else (a real link, expired or not, or a lookup that failed) gives its slot back."""
    if problem is not None and problem in GUESSES:
        failures = 0
        try:
            failures = int(cache.get(key, 0)) if key is not None else 0
        except (RedisError, OSError, ValueError):
            logger.warning("token failure count unavailable", exc_info=True)
        logger.warning(
            "invite token refused on %s from %s: %s (%s this minute)",
            where,
            client,
            problem.code,
            failures,
            extra={"client": client, "failures": failures, "problem": problem.code},
        )
        return
    if key is None:
        return
    try:
        cache.decr(key)
    except (RedisError, OSError, ValueError):
        logger.warning("token attempt not given back (cache unavailable)", exc_info=True)


def _guarded(client: str, where: str, attempt: Callable[[], Interview], clock: Clock) -> Interview:
    key = token_attempt_admit(client=client, clock=clock)
    problem: InviteProblem | None = None
    try:
        return attempt()
    except InviteRejected as exc:
        problem = exc.problem
        raise
    finally:
        token_attempt_settle(key=key, client=client, where=where, problem=problem)


def invite_open(*, token: str, client_address: str | None, clock: Clock = time.time) -> Interview:
    """The invite page's lookup, limited per client address (see the module docstring)."""
    client = client_key(client_address)
    return _guarded(client, "invite page", lambda: interview_by_invite(token=token), clock)


def invite_authenticate(
    *, room_id: str, token: str, client_address: str | None, clock: Clock = time.time
) -> Interview:
    """The WebSocket's authentication, limited per client address."""
    client = client_key(client_address)
    return _guarded(
        client, "websocket", lambda: interview_authenticate(room_id=room_id, token=token), clock
    )

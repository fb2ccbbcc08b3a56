"""Who may see the detailed health reports and the metrics.

/health/, /health/workers/ and /health/infrastructure/: staff, or a client presenting
HEALTH_TOKEN (`Authorization: Bearer <token>`, or `?token=` for probes that cannot set
headers). /metrics: METRICS_TOKEN as a Bearer token, or a client address in
METRICS_ALLOWED_IPS. Tokens are compared in constant time; an empty token setting disables
that way in.
"""

import functools
import hmac
import ipaddress
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from monitoring.errors import ErrorInfo, error_response

View = Callable[..., Any]


def bearer_token(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def token_matches(presented: str | None, expected: str) -> bool:
    if not expected or not presented:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def _health_token(request: HttpRequest) -> str | None:
    return bearer_token(request) or request.GET.get("token") or None


def _refused(request: HttpRequest, *, token: str | None, signed_in: bool) -> HttpResponse:
    if signed_in and token is None:
        info = ErrorInfo.standard(403, "staff only, or send HEALTH_TOKEN")
        return error_response(request, info, privileged=settings.DEBUG)
    info = ErrorInfo.standard(401, "invalid token" if token else "no credentials")
    response = error_response(request, info, privileged=settings.DEBUG)
    response["WWW-Authenticate"] = 'Bearer realm="health"'
    return response


def staff_or_health_token(view: View) -> View:
    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            token = _health_token(request)
            if token_matches(token, settings.HEALTH_TOKEN):
                return await view(request, *args, **kwargs)
            user = await request.auser()
            if user.is_staff:
                return await view(request, *args, **kwargs)
            return _refused(request, token=token, signed_in=user.is_authenticated)

        return async_guarded

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        token = _health_token(request)
        if token_matches(token, settings.HEALTH_TOKEN) or request.user.is_staff:
            return view(request, *args, **kwargs)
        return _refused(request, token=token, signed_in=request.user.is_authenticated)

    return guarded


@functools.lru_cache(maxsize=8)
def _networks(
    allowed: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in allowed if entry)


def metrics_allowed(request: HttpRequest) -> bool:
    if token_matches(bearer_token(request), settings.METRICS_TOKEN):
        return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(client in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))

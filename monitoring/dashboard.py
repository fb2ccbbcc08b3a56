"""The staff operations dashboard: one admin page for breakers, cache, DLQ, queues and stuck work.

The page renders its panels once, then its script re-fetches only the panels fragment every
few seconds (no full reload, no build step). Each panel that shows a model's rows follows that
model's view permission as its admin decides it (view or change); the queues-and-workers panel
shows what /health/workers/ shows any staff member. Breaker buttons POST (CSRF-protected) to a view
that calls the same breaker services as the admin actions, with the staff user recorded.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from interviews.admin.humanize import when_label
from interviews.models import Evaluation, Interview
from monitoring import health
from monitoring.operations import BreakerRow, breaker_rows, stuck_work
from monitoring.selectors import evaluations_by_status
from resilience.breakers.config import NAME_PATTERN, Mode
from resilience.breakers.services import (
    breaker_force_closed,
    breaker_force_open,
    breaker_restore_normal,
)
from resilience.dlq.models import DeadLetter
from resilience.models import BreakerConfig
from resilience.question_cache.models import CachedQuestion

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 10
BREAKER_ACTIONS: dict[str, tuple[Callable[..., BreakerConfig], str]] = {
    "force_open": (breaker_force_open, "forced open"),
    "force_closed": (breaker_force_closed, "forced closed"),
    "restore": (breaker_restore_normal, "back to normal"),
}


def _evaluations_by_status() -> dict[str, int] | None:
    try:
        return evaluations_by_status()
    except DatabaseError:
        logger.exception("dashboard: cannot count evaluations")
        return None


def can_view(request: HttpRequest, model: type[Model]) -> bool:
    """The model admin's own view rule (view or change permission), so the dashboard and the
    admin never disagree."""
    return bool(admin.site.get_model_admin(model).has_view_permission(request))


def panels_context(request: HttpRequest) -> dict[str, Any]:
    """Everything the panels the user may see show, read fresh (each source fails on its own);
    a panel the user may not see is not read at all."""
    from monitoring.dashboard_sources import dead_letter_summary, question_cache_summary

    can = {
        "breakers": can_view(request, BreakerConfig),
        "interviews": can_view(request, Interview),
        "evaluations": can_view(request, Evaluation),
        "cache": can_view(request, CachedQuestion),
        "dead_letters": can_view(request, DeadLetter),
    }
    return {
        "can": can,
        "breakers": [_breaker_view(b) for b in breaker_rows()] if can["breakers"] else [],
        "stuck": stuck_work() if can["interviews"] else None,
        "evaluations": _evaluations_by_status() if can["evaluations"] else None,
        "cache": question_cache_summary() if can["cache"] else None,
        "dead_letters": dead_letter_summary() if can["dead_letters"] else None,
        "refreshed_at": when_label(timezone.now(), relative=False),
    }


# What a breaker's state and mode mean, in words (the raw slugs stay in data attributes).
STATE_WORDS = {
    "closed": "Closed: calls go through",
    "open": "Open: calls are refused",
    "half_open": "Half-open: a few trial calls",
    "unknown": "Unknown",
}


def _breaker_view(row: BreakerRow) -> dict[str, Any]:
    forced = row.mode != Mode.NORMAL
    if not row.is_open:
        next_trial = "—"
    elif forced:
        # A forced breaker has no trial: it stays open until someone ends the forced mode.
        next_trial = "none while forced"
    else:
        next_trial = f"{max(row.retry_after, 0):.0f} s" if row.retry_after >= 1 else "now"
    return {
        "row": row,
        "state_words": STATE_WORDS.get(row.state, row.state),
        "mode_words": Mode(row.mode).label if row.mode in Mode.values else row.mode,
        "forced": forced,
        "next_trial": next_trial,
        "last_transition": when_label(row.last_transition_at),
    }


@never_cache
def dashboard_workers(request: HttpRequest) -> HttpResponse:
    """The queues-and-workers panel alone: asking the workers waits up to
    WORKERS_REPLY_TIMEOUT, so the page loads it after it is shown instead of before."""
    return render(
        request, "monitoring/dashboard_workers.html", {"workers": health.workers_payload()}
    )


@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Operations dashboard",
        "refresh_seconds": REFRESH_SECONDS,
        **panels_context(request),
    }
    return render(request, "monitoring/dashboard.html", context)


@never_cache
def dashboard_panels(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/dashboard_panels.html", panels_context(request))


@never_cache
@require_POST
def breaker_action(request: HttpRequest, name: str, action: str) -> HttpResponse:
    if not request.user.has_perm("resilience.change_breakerconfig"):
        raise PermissionDenied("changing circuit breakers needs the change permission")
    if action not in BREAKER_ACTIONS or not NAME_PATTERN.fullmatch(name):
        raise Http404("no such breaker action")
    if not BreakerConfig.objects.filter(name=name).exists():
        raise Http404(f"no circuit breaker named {name!r}")
    service, done = BREAKER_ACTIONS[action]
    reason = request.POST.get("reason", "")[:200] or "from the operations dashboard"
    service(name=name, user=request.user, reason=reason)
    messages.success(request, f"Circuit breaker {name} {done}.")
    return HttpResponseRedirect(reverse("ops_dashboard"))


def admin_urls() -> list[Any]:
    """URL patterns for the admin namespace's neighbour (see interviewsite/urls.py)."""
    from django.urls import path

    wrap = admin.site.admin_view
    return [
        path("", wrap(dashboard), name="ops_dashboard"),
        path("panels/", wrap(dashboard_panels), name="ops_dashboard_panels"),
        path("workers/", wrap(dashboard_workers), name="ops_dashboard_workers"),
        path(
            "breakers/<str:name>/<str:action>/",
            wrap(breaker_action),
            name="ops_dashboard_breaker_action",
        ),
    ]

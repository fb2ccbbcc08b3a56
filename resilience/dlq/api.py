"""The dead-letter queue's staff JSON API: `GET /api/admin/dlq/`, `POST /api/admin/dlq/`.

It asks the dead-letter admin (resilience/dlq/admin.py) who may do what, so the API
and the admin never disagree: view (or change) to list, change to retry or discard, delete to
clear. Staff without the permission get 403, as they do on the admin page.

Errors raise exceptions: PermissionDenied reaches the project's handler403, and DlqApiError
carries `http_status`, `code` and `retryable`, which the project's error middleware turns into
the error envelope (this app cannot import it: dependencies point the other way).
"""

import json
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.views import View

from resilience.dlq.models import DeadLetter, DeadLetterStatus
from resilience.dlq.selectors import dead_letter_stats, dead_letters_filter
from resilience.dlq.services import (
    RETRYABLE,
    dead_letters_clear,
    dead_letters_discard,
    dead_letters_retry,
)
from resilience.text import first_text_problem, json_strings

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_IDS = 10_000
# The admin permission each action needs.
ACTIONS = {"retry": "change", "discard": "change", "clear": "delete"}


class DlqApiError(Exception):
    http_status = 400
    code = "bad_request"
    retryable = False

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.http_status = code, message, status


def _entry(row: DeadLetter) -> dict[str, Any]:
    return {
        "id": row.pk,
        "task": row.task_name,
        "task_id": row.task_id,
        "queue": row.queue,
        "args": row.args,
        "kwargs": row.kwargs,
        "exception_type": row.exception_type,
        "exception_message": row.exception_message,
        "traceback": row.traceback,
        "attempts": row.attempts,
        "failure_count": row.failure_count,
        "first_failed_at": row.first_failed_at.isoformat(),
        "last_failed_at": row.last_failed_at.isoformat(),
        "status": row.status,
        "critical": row.critical,
        "retry_task_id": row.retry_task_id or None,
        "retry_count": row.retry_count,
        "retried_at": row.retried_at.isoformat() if row.retried_at else None,
        "retried_by": row.retried_by.get_username() if row.retried_by else None,
        "discarded_at": row.discarded_at.isoformat() if row.discarded_at else None,
        "discarded_by": row.discarded_by.get_username() if row.discarded_by else None,
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
    }


def _statuses(raw: str) -> tuple[str, ...]:
    if raw == "all":
        return ()
    wanted = tuple(s for s in raw.split(",") if s)
    unknown = [s for s in wanted if s not in DeadLetterStatus.values]
    if unknown or not wanted:
        raise DlqApiError(
            "invalid_status",
            f"status must be 'all' or a comma-separated list of {', '.join(DeadLetterStatus)}.",
        )
    return wanted


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise DlqApiError("invalid_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return int(raw)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # RecursionError: arrays or objects nested deeper than the interpreter's stack.
        raise DlqApiError("invalid_json", "The request body must be a JSON object.") from exc
    if not isinstance(body, dict):
        raise DlqApiError("invalid_json", "The request body must be a JSON object.")
    problem = first_text_problem(json_strings(body))
    if problem is not None:
        raise DlqApiError("invalid_text", f"A string in the request body {problem}.")
    return body


def _selected_ids(body: dict[str, Any], statuses: tuple[str, ...]) -> list[int]:
    """The entry ids an action applies to: `ids`, or every entry matching `queue`/`task`
    with `all: true` (so an empty filter never hits the whole queue by accident)."""
    ids, select_all = body.get("ids"), body.get("all")
    if (ids is None) == (select_all is not True):
        raise DlqApiError(
            "invalid_selection",
            'Give either "ids": [<entry id>, ...] or "all": true (with optional "queue"/"task").',
        )
    if ids is not None:
        if (
            not isinstance(ids, list)
            or not ids
            or len(ids) > MAX_IDS
            or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)
        ):
            raise DlqApiError(
                "invalid_ids", f'"ids" must be a list of 1 to {MAX_IDS} positive integers.'
            )
        found = set(DeadLetter.objects.filter(pk__in=ids).values_list("pk", flat=True))
        missing = sorted(set(ids) - found)
        if missing:
            raise DlqApiError("unknown_ids", f"No dead-letter entries with ids {missing[:20]}.")
        return list(ids)
    rows = dead_letters_filter(
        queue=_text(body, "queue"), task=_text(body, "task"), statuses=statuses
    )
    return list(rows.values_list("pk", flat=True)[:MAX_IDS])


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise DlqApiError(f"invalid_{key}", f'"{key}" must be a string.')
    return value


def _allowed(request: HttpRequest, permission: str) -> bool:
    """The dead-letter admin's own answer for `permission` (view, change or delete)."""
    model_admin = admin.site.get_model_admin(DeadLetter)
    check = getattr(model_admin, f"has_{permission}_permission")
    return bool(check(request))


def _require(request: HttpRequest, permission: str) -> None:
    if not _allowed(request, permission):
        raise PermissionDenied(f"This needs the {permission} permission on dead letters.")


class DeadLetterApi(View):
    http_method_names = ["get", "post"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if not (user is not None and user.is_authenticated and user.is_staff):
            raise PermissionDenied("The dead-letter API is for staff only.")
        if request.method == "POST" and not any(
            _allowed(request, permission) for permission in set(ACTIONS.values())
        ):
            # Refused before the body is read: no write permission, nothing to validate.
            raise PermissionDenied("This needs the change or delete permission on dead letters.")
        return super().dispatch(request, *args, **kwargs)

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        raise DlqApiError("method_not_allowed", "Use GET or POST.", status=405)

    def get(self, request: HttpRequest) -> JsonResponse:
        _require(request, "view")
        queue, task = request.GET.get("queue", ""), request.GET.get("task", "")
        statuses = _statuses(request.GET.get("status", DeadLetterStatus.PENDING))
        limit = _limit(request.GET.get("limit"))
        rows = dead_letters_filter(queue=queue, task=task, statuses=statuses)
        stats = dead_letter_stats(queryset=dead_letters_filter(queue=queue, task=task))
        return JsonResponse(
            {
                "stats": stats.as_dict(),
                "count": rows.count(),
                "entries": [_entry(row) for row in rows[:limit]],
            }
        )

    def post(self, request: HttpRequest) -> JsonResponse:
        body = _body(request)
        action = body.get("action")
        if action not in ACTIONS:
            raise DlqApiError(
                "unknown_action", f'"action" must be one of {", ".join(ACTIONS)}; got {action!r}.'
            )
        _require(request, ACTIONS[action])
        if action == "retry":
            report = dead_letters_retry(ids=_selected_ids(body, RETRYABLE), actor=request.user)
            return JsonResponse(
                {
                    "action": action,
                    "retried": [
                        {"id": pk, "retry_task_id": task_id}
                        for pk, task_id in report.retried.items()
                    ],
                    "skipped": report.skipped,
                    "send_failed": report.send_failed,
                }
            )
        if action == "discard":
            ids = _selected_ids(body, (DeadLetterStatus.PENDING,))
            return JsonResponse(
                {"action": action, "discarded": dead_letters_discard(ids=ids, actor=request.user)}
            )
        rows = dead_letters_filter(queue=_text(body, "queue"), task=_text(body, "task"))
        return JsonResponse(
            {"action": action, "deleted": dead_letters_clear(queryset=rows, actor=request.user)}
        )

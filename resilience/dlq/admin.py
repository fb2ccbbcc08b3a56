"""Dead-letter queue admin, after Sidekiq's morgue: the failures, a stats header, retry and
discard (selected rows, or everything the current filter matches after a confirmation)."""

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from resilience.dlq.models import DeadLetter
from resilience.dlq.selectors import (
    dead_letter_stats,
    dead_letter_task_names,
    dead_letters_count_by_task,
)
from resilience.dlq.services import RETRYABLE, RetryReport, dead_letters_discard, dead_letters_retry

PREVIEW_CHARS = 80


class TaskNameFilter(admin.SimpleListFilter):
    title = "task"
    parameter_name = "task"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name.rsplit(".", 1)[-1]) for name in dead_letter_task_names()]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[DeadLetter]
    ) -> QuerySet[DeadLetter]:
        return queryset.filter(task_name=self.value()) if self.value() else queryset


def _retry_message(request: HttpRequest, report: RetryReport) -> None:
    if report.retried:
        messages.success(request, f"Retried {len(report.retried)} task(s) with new task ids.")
    if report.skipped:
        messages.warning(
            request, f"Skipped {len(report.skipped)} entry(ies) already retried or resolved."
        )
    if report.send_failed:
        messages.error(
            request,
            f"The broker refused {len(report.send_failed)} retry(ies); they are pending again.",
        )


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = (
        "failed_at",
        "queue",
        "task_name",
        "args_preview",
        "error_summary",
        "status",
        "attempts",
        "critical",
    )
    list_display_links = ("failed_at", "task_name")
    list_filter = ("status", TaskNameFilter, "exception_type", "critical", "queue")
    search_fields = ("task_name", "task_id", "retry_task_id", "exception_type", "exception_message")
    date_hierarchy = "last_failed_at"
    list_per_page = 50
    actions = ("retry_selected", "discard_selected")
    _identity = ("task_name", "task_id", "queue", "status", "critical")
    _arguments = ("args_pretty", "kwargs_pretty")
    _failure = (
        "exception_type",
        "exception_message",
        "traceback_pretty",
        "attempts",
        "failure_count",
        "first_failed_at",
        "last_failed_at",
    )
    _operator = (
        "retry_task_id",
        "retry_count",
        "retried_at",
        "retried_by",
        "discarded_at",
        "discarded_by",
        "resolved_at",
    )
    fieldsets = (
        (None, {"fields": _identity}),
        ("Arguments", {"fields": _arguments}),
        ("Failure", {"fields": _failure}),
        ("Operator", {"fields": _operator}),
    )
    readonly_fields = _identity + _arguments + _failure + _operator

    # --- permissions: the queue is written by the system and changed only by actions -----
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # --- queries ------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[DeadLetter]:
        rows = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and match.url_name == "resilience_deadletter_change":
            return rows.select_related("retried_by", "discarded_by")
        return rows.defer("traceback")  # lists never show it, and it is the heavy column

    # --- columns ------------------------------------------------------------------------
    @admin.display(description="failed at", ordering="last_failed_at")
    def failed_at(self, obj: DeadLetter) -> Any:
        return obj.last_failed_at

    @admin.display(description="args")
    def args_preview(self, obj: DeadLetter) -> str:
        parts = [json.dumps(a) for a in obj.args]
        parts += [f"{k}={json.dumps(v)}" for k, v in obj.kwargs.items()]
        return Truncator(", ".join(parts)).chars(PREVIEW_CHARS)

    @admin.display(description="error", ordering="exception_type")
    def error_summary(self, obj: DeadLetter) -> str:
        return Truncator(obj.error).chars(120)

    @admin.display(description="args")
    def args_pretty(self, obj: DeadLetter) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.args, indent=2))

    @admin.display(description="kwargs")
    def kwargs_pretty(self, obj: DeadLetter) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.kwargs, indent=2, sort_keys=True))

    @admin.display(description="traceback")
    def traceback_pretty(self, obj: DeadLetter) -> str:
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', obj.traceback or "—")

    # --- actions ------------------------------------------------------------------------
    @admin.action(
        description="Retry selected (same arguments, new task id)", permissions=["change"]
    )
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        _retry_message(request, dead_letters_retry(ids=ids, actor=request.user))

    @admin.action(description="Discard selected", permissions=["change"])
    def discard_selected(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        count = dead_letters_discard(
            ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        messages.success(request, f"Discarded {count} pending entry(ies).")

    # --- views --------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        retry_matching = path(
            "retry-matching/",
            self.admin_site.admin_view(self.retry_matching_view),
            name="resilience_deadletter_retry_matching",
        )
        return [retry_matching, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        query = request.GET.urlencode()
        context = {
            "dlq_stats": dead_letter_stats(),
            "retry_matching_url": reverse("admin:resilience_deadletter_retry_matching")
            + (f"?{query}" if query else ""),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Everything is read-only: there is nothing to save.
        context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return super().changeform_view(request, object_id, form_url, context)

    def retry_matching_view(self, request: HttpRequest) -> HttpResponse:
        """Retry every retryable entry the changelist's current filter and search match; GET
        shows what would be retried, POST (the confirmation) does it."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        back = reverse("admin:resilience_deadletter_changelist")
        back += f"?{request.GET.urlencode()}" if request.GET else ""
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            messages.error(request, "That filter is not valid; nothing was retried.")
            return HttpResponseRedirect(back)
        matching = changelist.get_queryset(request).filter(status__in=RETRYABLE)
        if request.method == "POST":
            ids = list(matching.values_list("pk", flat=True))
            _retry_message(request, dead_letters_retry(ids=ids, actor=request.user))
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "title": "Retry all matching dead letters?",
            "opts": self.model._meta,
            "by_task": dead_letters_count_by_task(queryset=matching),
            "back_url": back,
        }
        return TemplateResponse(
            request, "admin/resilience/deadletter/retry_matching_confirmation.html", context
        )

"""Question cache admin: the entries, a statistics panel, and clearing by difficulty/language.

Clearing goes through the same service as the rest of the code (it validates the filters and
works with any backend); the entry list shows the database backend's table.
"""

import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from resilience.question_cache.keys import Difficulty, InvalidCacheInput
from resilience.question_cache.models import CachedQuestion
from resilience.question_cache.selectors import QuestionCacheStats, question_cache_stats
from resilience.question_cache.services import (
    question_cache_clear,
    question_cache_counters_reset,
)

logger = logging.getLogger(__name__)


class ClearForm(forms.Form):
    difficulty = forms.ChoiceField(
        choices=[("", "any difficulty"), *Difficulty.choices], required=False
    )
    language = forms.CharField(
        max_length=16, required=False, help_text="e.g. en; empty for any language"
    )


class ExpiredFilter(admin.SimpleListFilter):
    title = "expiry"
    parameter_name = "expired"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Live"), ("yes", "Expired (awaiting purge)")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[CachedQuestion]
    ) -> QuerySet[CachedQuestion]:
        if self.value() == "yes":
            return queryset.filter(expires_at__lte=timezone.now())
        if self.value() == "no":
            return queryset.filter(expires_at__gt=timezone.now())
        return queryset


@admin.register(CachedQuestion)
class CachedQuestionAdmin(admin.ModelAdmin):
    change_list_template = "admin/resilience/cachedquestion/change_list.html"
    list_display = ("short_text", "difficulty", "language", "topic", "created_at", "expires_at")
    list_filter = ("difficulty", "language", ExpiredFilter)
    search_fields = ("topic", "text")
    date_hierarchy = "created_at"
    readonly_fields = (
        "key",
        "difficulty",
        "language",
        "topic",
        "fingerprint",
        "text",
        "metadata",
        "created_at",
        "expires_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[CachedQuestion]:
        return super().get_queryset(request).defer("metadata")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # questions come from the LLM (live traffic or the pre-warm task)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="question")
    def short_text(self, entry: CachedQuestion) -> str:
        return entry.text if len(entry.text) <= 100 else f"{entry.text[:99]}…"

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "clear/",
                view(require_POST(self.clear_view)),
                name="resilience_question_cache_clear",
            ),
            path(
                "reset-counters/",
                view(require_POST(self.reset_counters_view)),
                name="resilience_question_cache_reset_counters",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {
            **(extra_context or {}),
            "cache_stats": self._stats(),
            "clear_form": ClearForm(),
            "can_clear": self.has_delete_permission(request),
        }
        return super().changelist_view(request, extra_context=extra)

    def clear_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_delete_permission(request):
            messages.error(request, "You may not clear the question cache.")
            return self._back()
        form = ClearForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Nothing cleared: {form.errors.as_text()}")
            return self._back()
        difficulty = form.cleaned_data["difficulty"] or None
        language = form.cleaned_data["language"].strip() or None
        try:
            deleted = question_cache_clear(difficulty=difficulty, language=language)
        except InvalidCacheInput as exc:
            messages.error(request, f"Nothing cleared: {exc}.")
            return self._back()
        scope = " ".join(filter(None, [difficulty, language])) or "every"
        messages.success(request, f"Cleared {deleted} cached question(s) ({scope}).")
        return self._back()

    def reset_counters_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_delete_permission(request):
            messages.error(request, "You may not reset the question cache counters.")
        elif question_cache_counters_reset():
            messages.success(request, "Hit and miss counters reset.")
        else:
            messages.error(request, "The counters could not be reached (is the cache up?).")
        return self._back()

    def _back(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:resilience_cachedquestion_changelist"))

    def _stats(self) -> QuestionCacheStats | None:
        try:
            return question_cache_stats()
        except Exception:
            # The panel is informational; the entry list below still works or fails on its own.
            logger.exception("question cache admin: cannot read the statistics")
            return None

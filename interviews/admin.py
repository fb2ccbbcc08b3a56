"""Staff views of interviews. Creating an interview goes through the same service as the CLI,
and the invite link is shown once (only its hash is stored); "new invite link" reissues it."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from interviews.forms import InterviewCreateForm
from interviews.models import (
    Evaluation,
    EvaluationStatus,
    Interview,
    InterviewStatus,
    Turn,
    TurnSource,
)
from interviews.services.interviews import (
    interview_create,
    interview_reissue_token,
    interview_revoke_token,
)


class TurnInline(admin.TabularInline):
    model = Turn
    fields = ("seq", "kind", "question_index", "text", "source_label", "provider", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("seq",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="source")
    def source_label(self, turn: Turn) -> str:
        if turn.source in (TurnSource.FALLBACK, TurnSource.CACHE):
            return f"⚠ {turn.get_source_display()}"
        return turn.get_source_display() if turn.source else ""


def render_report(evaluation: Evaluation) -> str:
    """The evaluation as staff read it; no score is shown unless the evaluation is done."""
    if evaluation.status != EvaluationStatus.DONE:
        return format_html(
            "<strong>{}</strong> — no score. {}", evaluation.get_status_display(), evaluation.reason
        )
    report = evaluation.report
    label = (
        f"Offline heuristic (confidence {evaluation.confidence:.0%}), not an LLM judgement"
        if report.get("heuristic")
        else evaluation.method
    )
    rows = format_html_join(
        "",
        "<li><strong>Q{}: {}/5</strong>{} — {}<br><em>{}</em>{}</li>",
        (
            (
                q["index"],
                q["score"],
                " (fallback question)" if q.get("fallback") else "",
                q["rationale"],
                q["question"],
                format_html_join("", "<br>“{}”", ((quote,) for quote in q["evidence"])),
            )
            for q in report.get("questions", [])
        ),
    )
    return format_html(
        "<p><strong>{} / 5 — {}</strong> · {}</p><ul>{}</ul><p>Strengths: {}</p><p>Concerns: {}</p>"
        "<p>Unverifiable quotes dropped: {}</p>",
        evaluation.overall_score,
        evaluation.get_recommendation_display(),
        label,
        rows,
        "; ".join(report.get("strengths", [])) or "—",
        "; ".join(report.get("concerns", [])) or "—",
        report.get("dropped_quotes", 0),
    )


SETUP_FIELDS = (
    "candidate_name",
    "candidate_email",
    "role",
    "topic",
    "language",
    "difficulty",
    "question_count",
    "time_limit_seconds",
)


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    list_display = (
        "candidate_name",
        "role",
        "topic",
        "difficulty",
        "status",
        "progress",
        "evaluation_status",
        "created_at",
    )
    list_filter = ("status", "difficulty")
    search_fields = ("candidate_name", "candidate_email", "role", "topic", "room_id")
    list_select_related = ("evaluation",)
    inlines = [TurnInline]
    actions = ["action_new_invite", "action_revoke_invite"]
    readonly_fields = (
        "room_id",
        "status",
        "last_seq",
        "current_index",
        "token_expires_at",
        "token_revoked_at",
        "created_at",
        "started_at",
        "completed_at",
        "last_activity_at",
        "evaluation_report",
    )
    fields = (
        ("candidate_name", "candidate_email"),
        ("role", "topic", "language", "difficulty"),
        ("question_count", "time_limit_seconds"),
        *readonly_fields,
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Once a candidate has joined, the interview's setup is part of the record.
        if obj is not None and obj.status != InterviewStatus.SCHEDULED:
            return (*SETUP_FIELDS, *self.readonly_fields)
        return self.readonly_fields

    def get_urls(self) -> list[Any]:
        create = path(
            "create/", self.admin_site.admin_view(self.create_view), name="interviews_create"
        )
        return [create, *super().get_urls()]

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("admin:interviews_create")

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = InterviewCreateForm(request.POST or None)
        invite = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            minutes = data.pop("time_limit_minutes")
            created = interview_create(
                **data,
                time_limit_seconds=minutes * 60 if minutes else None,
                created_by_id=request.user.pk,
            )
            invite = created.as_payload()
            form = InterviewCreateForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Create interview",
            "form": form,
            "invite": invite,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/interviews/create_interview.html", context)

    @admin.display(description="progress")
    def progress(self, interview: Interview) -> str:
        return f"{interview.current_index}/{interview.question_count}"

    @admin.display(description="evaluation")
    def evaluation_status(self, interview: Interview) -> str:
        evaluation = getattr(interview, "evaluation", None)
        if evaluation is None:
            return "—"
        if evaluation.status == EvaluationStatus.DONE:
            return f"{evaluation.overall_score} ({evaluation.get_recommendation_display()})"
        return evaluation.get_status_display()

    @admin.display(description="evaluation")
    def evaluation_report(self, interview: Interview) -> str:
        evaluation = getattr(interview, "evaluation", None)
        return render_report(evaluation) if evaluation else "Not evaluated yet."

    @admin.action(description="Issue a new invite link (the old one stops working)")
    def action_new_invite(self, request: HttpRequest, queryset: QuerySet[Interview]) -> None:
        for interview in queryset:
            link = interview_reissue_token(interview=interview).as_payload()["invite_url"]
            messages.success(request, format_html("{}: <code>{}</code>", interview, link))

    @admin.action(description="Revoke invite link")
    def action_revoke_invite(self, request: HttpRequest, queryset: QuerySet[Interview]) -> None:
        for interview in queryset:
            interview_revoke_token(interview=interview)
        messages.success(request, f"Revoked {queryset.count()} invite link(s).")


@admin.register(Turn)
class TurnAdmin(admin.ModelAdmin):
    list_display = ("interview", "seq", "kind", "source", "provider", "created_at")
    list_filter = ("kind", "source")
    list_select_related = ("interview",)
    search_fields = ("text", "interview__room_id")
    readonly_fields = [f.name for f in Turn._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("interview", "status", "score", "method", "attempts", "finished_at")
    list_filter = ("status", "method")
    list_select_related = ("interview",)
    readonly_fields = ("interview_link", "status", "method", "attempts", "report_html", "reason")
    exclude = ("report",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="score")
    def score(self, evaluation: Evaluation) -> str:
        # Never a number for an evaluation that is not done.
        return str(evaluation.overall_score) if evaluation.status == EvaluationStatus.DONE else "—"

    @admin.display(description="interview")
    def interview_link(self, evaluation: Evaluation) -> str:
        url = reverse("admin:interviews_interview_change", args=[evaluation.interview_id])
        return format_html('<a href="{}">{}</a>', url, evaluation.interview)

    @admin.display(description="report")
    def report_html(self, evaluation: Evaluation) -> str:
        return render_report(evaluation)

"""Staff views of interviews. Creating an interview goes through the same service as the CLI,
and the invite link is shown once (only its hash is stored); "new invite link" reissues it."""

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from interviews.admin_decisions import decision_view, render_decisions
from interviews.forms import InterviewCreateForm
from interviews.models import (
    Evaluation,
    EvaluationStatus,
    Interview,
    InterviewStatus,
    Turn,
)
from interviews.selectors import interview_ending, interview_question_labels, turn_degraded
from interviews.services.answer_flags import FLAG_LABELS
from interviews.services.evaluation import EvaluationRerunRefused, evaluation_rerun
from interviews.services.interviews import (
    interview_create,
    interview_reissue_token,
    interview_revoke_token,
)


class TurnInline(admin.TabularInline):
    model = Turn
    fields = ("turn", "kind", "question_index", "text", "source_label", "provider", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("seq",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="seq")
    def turn(self, turn: Turn) -> str:
        # The anchor every evidence quote in the report links to.
        return format_html('<span id="turn-{}">#{}</span>', turn.seq, turn.seq)

    @admin.display(description="source")
    def source_label(self, turn: Turn) -> str:
        if turn_degraded(turn=turn):
            return f"⚠ {turn.get_source_display()}"
        return turn.get_source_display() if turn.source else ""


def render_report(evaluation: Evaluation) -> str:
    """The evaluation as staff read it; no score is shown unless the evaluation is done."""
    done = evaluation.status == EvaluationStatus.DONE
    report = evaluation.report if done else {}
    # Who wrote each question, read from its turns: the report itself does not say.
    labels = interview_question_labels(interview=evaluation.interview) if done else {}
    questions = [
        {
            **q,
            "labels": labels.get(q.get("index", 0), []),
            # Reports stored before schema 2 keep bare quotes and bare flag codes.
            "evidence": [e if isinstance(e, dict) else {"text": e} for e in q.get("evidence", [])],
            "flag_reasons": q.get("flag_reasons")
            or [{"flag": f, "label": FLAG_LABELS.get(f, f)} for f in q.get("flags", [])],
        }
        for q in report.get("questions", [])
    ]
    context = {
        "evaluation": evaluation,
        # How the interview ended (time up, and how many questions were answered).
        "ending": interview_ending(interview=evaluation.interview),
        "done": done,
        "report": report,
        "questions": questions,
        "confidence_pct": round((evaluation.confidence or 0) * 100),
    }
    return render_to_string("admin/interviews/evaluation_report.html", context)


def rerun_evaluations(request: HttpRequest, interviews: Iterable[Interview]) -> None:
    """Re-run each interview's evaluation through the service; one message per outcome."""
    started, refused = 0, []
    for interview in interviews:
        try:
            evaluation_rerun(interview=interview, actor=request.user)
        except EvaluationRerunRefused as exc:
            refused.append(f"{interview}: {exc}")
        else:
            started += 1
    if started:
        messages.success(request, f"Re-running {started} evaluation(s); refresh in a minute.")
    for why in refused:
        messages.warning(request, f"Not re-run — {why}")


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
    actions = ["action_new_invite", "action_revoke_invite", "action_rerun_evaluation"]
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
        "consent",
        "evaluation_report",
        "decision_trail",
    )
    fields = (
        ("candidate_name", "candidate_email"),
        ("role", "topic", "language", "difficulty"),
        ("question_count", "time_limit_seconds"),
        *readonly_fields,
    )

    @admin.display(description="candidate's consent")
    def consent(self, interview: Interview) -> str:
        if interview.consent_at is None:
            return "Not given (the interview has not been started from its start page)."
        return (
            f"Given {interview.consent_at:%Y-%m-%d %H:%M:%S %Z} "
            f"to notice version {interview.consent_notice_version}"
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
        rerun = path(
            "<int:pk>/rerun-evaluation/",
            self.admin_site.admin_view(require_POST(self.rerun_evaluation_view)),
            name="interviews_rerun_evaluation",
        )
        decide = path(
            "<int:pk>/decision/",
            self.admin_site.admin_view(partial(decision_view, self.admin_site)),
            name="interviews_decision",
        )
        return [create, rerun, decide, *super().get_urls()]

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("admin:interviews_create")

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied("creating interviews needs the add permission")
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

    def rerun_evaluation_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The change page's "Re-run evaluation" button: the bulk action for one interview."""
        interview = get_object_or_404(Interview, pk=pk)
        if not self.has_change_permission(request, interview):
            raise PermissionDenied("re-running an evaluation needs the change permission")
        rerun_evaluations(request, [interview])
        return redirect("admin:interviews_interview_change", interview.pk)

    @admin.display(description="progress")
    def progress(self, interview: Interview) -> str:
        return f"{interview.current_index}/{interview.question_count}"

    @admin.display(description="evaluation (advisory)")
    def evaluation_status(self, interview: Interview) -> str:
        evaluation = getattr(interview, "evaluation", None)
        if evaluation is None:
            return "—"
        if evaluation.status == EvaluationStatus.DONE:
            return f"{evaluation.overall_score} ({evaluation.get_recommendation_display()})"
        return evaluation.get_status_display()

    @admin.display(description="evaluation (advisory)")
    def evaluation_report(self, interview: Interview) -> str:
        evaluation = getattr(interview, "evaluation", None)
        return render_report(evaluation) if evaluation else "Not evaluated yet."

    @admin.display(description="decision (human)")
    def decision_trail(self, interview: Interview) -> str:
        return render_decisions(interview)

    @admin.action(description="Issue a new invite link (the old one stops working)")
    def action_new_invite(self, request: HttpRequest, queryset: QuerySet[Interview]) -> None:
        for interview in queryset:
            link = interview_reissue_token(interview=interview).as_payload()["invite_url"]
            messages.success(request, format_html("{}: <code>{}</code>", interview, link))

    @admin.action(description="Re-run evaluation", permissions=["change"])
    def action_rerun_evaluation(self, request: HttpRequest, queryset: QuerySet[Interview]) -> None:
        rerun_evaluations(request, queryset)

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
    # Read-only: an evaluation changes only through the service (re-run), never by hand, so
    # nobody can type a score onto an evaluation that has none.
    fields = (
        "interview_link",
        "status",
        "score",
        "method",
        "attempts",
        "reason",
        "report_html",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    actions = ["action_rerun_evaluation"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evaluation]:
        # The report is only rendered on the change page, never in the list.
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match and (match.url_name or "").endswith("changelist"):
            return queryset.defer("report")
        return queryset

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="score (advisory)")
    def score(self, evaluation: Evaluation) -> str:
        # Never a number for an evaluation that is not done.
        if evaluation.status != EvaluationStatus.DONE:
            return "—"
        return f"{evaluation.overall_score} ({evaluation.get_recommendation_display()})"

    @admin.display(description="interview")
    def interview_link(self, evaluation: Evaluation) -> str:
        url = reverse("admin:interviews_interview_change", args=[evaluation.interview_id])
        return format_html('<a href="{}">{}</a>', url, evaluation.interview)

    @admin.display(description="report")
    def report_html(self, evaluation: Evaluation) -> str:
        return render_report(evaluation)

    @admin.action(description="Re-run evaluation", permissions=["change"])
    def action_rerun_evaluation(self, request: HttpRequest, queryset: QuerySet[Evaluation]) -> None:
        rerun_evaluations(request, (e.interview for e in queryset.select_related("interview")))

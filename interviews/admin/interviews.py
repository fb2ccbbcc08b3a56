"""Staff views of interviews. Creating an interview goes through the same service as the CLI,
and the invite link is shown once (only its hash is stored); "new invite link" reissues it."""

from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from interviews.admin.decisions import decision_view, render_decisions
from interviews.admin.humanize import minutes_label, when_label
from interviews.admin.positions import invite_one
from interviews.admin.report_page import report_view
from interviews.admin.reports import render_report, rerun_evaluations
from interviews.forms import InviteForm
from interviews.models import (
    EvaluationStatus,
    Interview,
    InterviewStatus,
    InviteEmail,
    InviteEmailKind,
    Turn,
)
from interviews.selectors import turn_degraded
from interviews.services.interviews import interview_reissue_token, interview_revoke_token
from interviews.services.invites import invite_email_queue


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


class InviteEmailInline(admin.TabularInline):
    model = InviteEmail
    fields = ("kind", "to", "status", "attempts", "error", "created_at", "sent_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Emails to the candidate"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Editable until the candidate joins; after that the record is what it was.
CANDIDATE_FIELDS = ("candidate_name", "candidate_email")
TECHNICAL_FIELDS = (
    "room_id",
    "last_seq",
    "current_index",
    "token_expires_at",
    "token_revoked_at",
    "last_activity_at",
)


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    list_display = (
        # Few columns, so the list fits beside the admin's two sidebars at 1280 px; the
        # position is a filter, the dates a drill-down, and each position's Candidates page
        # has the full table.
        "candidate_name",
        "status",
        "progress",
        "evaluation_status",
        "report_link",
    )
    date_hierarchy = "created_at"
    list_filter = ("status", "position", "difficulty")
    search_fields = ("candidate_name", "candidate_email", "role", "topic", "room_id")
    list_select_related = ("evaluation", "position")
    inlines = [InviteEmailInline, TurnInline]
    actions = ["action_new_invite", "action_revoke_invite", "action_rerun_evaluation"]
    readonly_fields = (
        "evaluation_report",
        "decision_trail",
        "position",
        "status",
        "progress",
        "link_expires",
        "role",
        "topic",
        "difficulty",
        "language",
        "question_count",
        "time_limit",
        "created_at",
        "started_at",
        "completed_at",
        "consent",
        *TECHNICAL_FIELDS,
    )
    fieldsets = (
        ("Evaluation (advisory)", {"fields": ("evaluation_report",)}),
        ("Decision (human)", {"fields": ("decision_trail",)}),
        (
            "Candidate",
            {
                "fields": (
                    CANDIDATE_FIELDS,
                    ("position", "status", "progress"),
                    "link_expires",
                    "consent",
                )
            },
        ),
        (
            "Interview plan (from the position)",
            {
                "fields": (
                    ("role", "topic"),
                    ("difficulty", "language"),
                    ("question_count", "time_limit"),
                )
            },
        ),
        ("Times", {"fields": (("created_at", "started_at", "completed_at"),)}),
        ("Technical details", {"classes": ("collapse",), "fields": TECHNICAL_FIELDS}),
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
        if obj is not None and obj.status != InterviewStatus.SCHEDULED:
            return (*CANDIDATE_FIELDS, *self.readonly_fields)
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
        report = path(
            "<int:pk>/report/",
            self.admin_site.admin_view(partial(report_view, self.admin_site)),
            name="interviews_report",
        )
        return [create, rerun, decide, report, *super().get_urls()]

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("admin:interviews_create")

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied("creating interviews needs the add permission")
        form = InviteForm(request.POST or None)
        created = invite_one(request, form) if request.method == "POST" else []
        context = {
            **self.admin_site.each_context(request),
            "title": "Invite a candidate",
            "one": form,
            "created": [c.as_payload() | {"interview": c.interview} for c in created],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/interviews/invite.html", context)

    def rerun_evaluation_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The change page's "Re-run evaluation" button: the bulk action for one interview."""
        interview = get_object_or_404(Interview, pk=pk)
        if not self.has_change_permission(request, interview):
            raise PermissionDenied("re-running an evaluation needs the change permission")
        rerun_evaluations(request, [interview])
        return redirect("admin:interviews_interview_change", interview.pk)

    @admin.display(description="progress")
    def progress(self, interview: Interview) -> str:
        # Questions answered, not asked: a candidate who has answered nothing is at 0.
        answered = interview.current_index
        if not interview.is_finished and answered:
            answered -= 1
        return f"{answered}/{interview.question_count}"

    @admin.display(description="link expires", ordering="token_expires_at")
    def link_expires(self, interview: Interview) -> str:
        if interview.token_revoked_at:
            return f"revoked {when_label(interview.token_revoked_at)}"
        return when_label(interview.token_expires_at)

    @admin.display(description="")
    def report_link(self, interview: Interview) -> str:
        url = reverse("admin:interviews_report", args=[interview.pk])
        return format_html('<a href="{}">Report</a>', url)

    @admin.display(description="time limit")
    def time_limit(self, interview: Interview) -> str:
        return minutes_label(interview.time_limit_seconds)

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
            emailed = invite_email_queue(interview=interview, kind=InviteEmailKind.INVITE)
            sent = f" (emailed to {emailed.to})" if emailed else ""
            messages.success(request, format_html("{}: <code>{}</code>{}", interview, link, sent))

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


@admin.register(InviteEmail)
class InviteEmailAdmin(admin.ModelAdmin):
    """Every invitation and reminder and what became of it; failed ones are also in the
    dead-letter queue, where operators retry them."""

    list_display = ("created_at", "interview", "kind", "to", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    list_select_related = ("interview",)
    search_fields = ("to", "interview__candidate_name")
    readonly_fields = (
        "interview",
        "kind",
        "to",
        "for_expiry",
        "status",
        "attempts",
        "error",
        "created_at",
        "sent_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

"""Evaluations, read-only: an evaluation changes only through the service (re-run)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from interviews.admin.reports import render_report, rerun_evaluations
from interviews.models import Evaluation, EvaluationStatus


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

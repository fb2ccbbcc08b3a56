"""One page per candidate, for reading and printing: the evaluation first, then the
conversation, the time, the consent and the decisions; technical fields folded away."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from interviews.admin.decisions import render_decisions
from interviews.admin.humanize import minutes_label, when_label
from interviews.admin.reports import render_report
from interviews.models import Evaluation, Interview
from interviews.selectors_report import interview_conversation, interview_time_taken


def report_view(admin_site: object, request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("interviews.view_interview"):
        raise PermissionDenied("reading a report needs the view-interview permission")
    interview = get_object_or_404(Interview.objects.select_related("position"), pk=pk)
    evaluation = Evaluation.objects.filter(interview=interview).first()
    if evaluation is not None:
        evaluation.interview = interview  # the report reads it; no second query
    taken = interview_time_taken(interview=interview)
    context = {
        **admin_site.each_context(request),  # type: ignore[attr-defined]
        "title": f"{interview.candidate_name} — {interview.role}",
        "interview": interview,
        "evaluation_html": render_report(evaluation) if evaluation else "",
        "conversation": interview_conversation(interview=interview),
        "time_taken": minutes_label(taken.total_seconds()) if taken else "not started",
        "time_limit": minutes_label(interview.time_limit_seconds),
        "started": when_label(interview.started_at, relative=False),
        "completed": when_label(interview.completed_at, relative=False),
        "invited": when_label(interview.created_at, relative=False),
        "link_expires": when_label(interview.token_expires_at),
        "consent_at": when_label(interview.consent_at, relative=False),
        "decisions_html": render_decisions(interview),
        "opts": Interview._meta,
    }
    return TemplateResponse(request, "admin/interviews/report.html", context)

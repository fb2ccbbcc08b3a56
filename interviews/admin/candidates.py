"""A position's candidates side by side: the sortable, filterable list, its CSV export, and the
comparison of 2-4 of them. Thin views over interviews/selectors_candidates.py."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone

from interviews.admin.humanize import when_label
from interviews.exports import csv_text
from interviews.models import DecisionOutcome, InterviewStatus, Position, Recommendation
from interviews.selectors_candidates import (
    SORTS,
    CandidateFilters,
    ComparisonRefused,
    candidates_compare,
    position_candidates,
)

CSV_HEADER = [
    "Candidate",
    "Email",
    "Status",
    "Advisory score",
    "Recommendation (advisory)",
    "Flags",
    "Decision",
    "Invited (UTC)",
    "Finished (UTC)",
]


def _position(request: HttpRequest, pk: int) -> Position:
    if not request.user.has_perm("interviews.view_interview"):
        raise PermissionDenied("comparing candidates needs the view-interview permission")
    return get_object_or_404(Position, pk=pk)


def candidates_view(admin_site: object, request: HttpRequest, pk: int) -> HttpResponse:
    position = _position(request, pk)
    filters = CandidateFilters.from_query(request.GET)
    rows = position_candidates(position=position, filters=filters)
    query = request.GET.copy()
    query.pop("sort", None)
    query.pop("dir", None)
    context = {
        **admin_site.each_context(request),  # type: ignore[attr-defined]
        "title": f"Candidates for “{position}”",
        "position": position,
        "rows": [
            {
                "row": r,
                "invited": when_label(r.interview.created_at, relative=False),
                "finished": when_label(r.interview.completed_at, relative=False),
            }
            for r in rows
        ],
        "filters": filters,
        "sorts": SORTS,
        "filter_query": query.urlencode(),
        "statuses": InterviewStatus.choices,
        "recommendations": Recommendation.choices,
        "outcomes": DecisionOutcome.choices,
        "export_query": request.GET.urlencode(),
        "opts": Position._meta,
    }
    return TemplateResponse(request, "admin/interviews/candidates.html", context)


def candidates_export_view(admin_site: object, request: HttpRequest, pk: int) -> HttpResponse:
    position = _position(request, pk)
    rows = position_candidates(position=position, filters=CandidateFilters.from_query(request.GET))
    stamp = "%Y-%m-%d %H:%M"
    body = csv_text(
        CSV_HEADER,
        (
            [
                r.interview.candidate_name,
                r.interview.candidate_email,
                r.interview.get_status_display(),
                r.score if r.score is not None else "",
                r.recommendation,
                "; ".join(r.flags),
                r.decision,
                timezone.localtime(r.interview.created_at).strftime(stamp),
                timezone.localtime(r.interview.completed_at).strftime(stamp)
                if r.interview.completed_at
                else "",
            ]
            for r in rows
        ),
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="candidates-position-{position.pk}.csv"'
    )
    return response


def compare_view(admin_site: object, request: HttpRequest, pk: int) -> HttpResponse:
    position = _position(request, pk)
    comparison, problem = None, ""
    try:
        ids = [int(v) for v in request.GET.getlist("ids")]
        comparison = candidates_compare(position=position, interview_ids=ids)
    except ValueError as exc:  # ComparisonRefused, or an id that is not a number
        problem = str(exc) if isinstance(exc, ComparisonRefused) else "Unknown candidate ids."
    context = {
        **admin_site.each_context(request),  # type: ignore[attr-defined]
        "title": f"Comparing candidates for “{position}”",
        "position": position,
        "comparison": comparison,
        "problem": problem,
        "opts": Position._meta,
    }
    return TemplateResponse(
        request, "admin/interviews/compare.html", context, status=400 if problem else 200
    )

"""The admin's decision page and the decision trail on the interview page: thin wiring around
interviews/services/decisions.py (the service decides who may decide and what may be stored)."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.dateparse import parse_datetime

from interviews.admin.humanize import when_label
from interviews.forms import DecisionForm
from interviews.models import (
    AuditEvent,
    Decision,
    DecisionOutcome,
    Evaluation,
    EvaluationStatus,
    Interview,
    Recommendation,
)
from interviews.selectors import interview_audit_trail, interview_decision_current
from interviews.services.decisions import DecisionRefused, decision_allowed, decision_record


def _readable(value: dict[str, Any] | None) -> list[tuple[str, str]]:
    """An audit value as (label, text) pairs in words: stored timestamps as dates, codes as
    their labels."""
    pairs = []
    for key, raw in (value or {}).items():
        text = str(raw)
        moment = parse_datetime(text) if isinstance(raw, str) else None
        if moment is not None:
            text = when_label(moment, relative=False)
        elif key in ("outcome", "ai_recommendation", "status") and raw:
            text = LABELS.get(str(raw), text)
        pairs.append((key.replace("_", " "), text or "—"))
    return pairs


LABELS = {
    **dict(DecisionOutcome.choices),
    **dict(Recommendation.choices),
    **dict(EvaluationStatus.choices),
}


def render_decisions(interview: Interview) -> str:
    """The decision that stands and the audit trail, for the interview's change page."""
    trail = list(interview_audit_trail(interview=interview))
    context = {
        "decision": interview_decision_current(interview=interview),
        "trail": [
            {
                "event": event,
                "when": when_label(event.at, relative=False),
                "value": _readable(event.value),
                "previous": _readable(event.previous),
            }
            for event in trail
        ],
    }
    return render_to_string("admin/interviews/decision_trail.html", context)


def decision_view(admin_site: object, request: HttpRequest, pk: int) -> HttpResponse:
    interview = get_object_or_404(Interview, pk=pk)
    if not decision_allowed(user=request.user):
        raise PermissionDenied("You do not have permission to record hiring decisions.")
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decision_record(interview_id=interview.pk, reviewer=request.user, **form.cleaned_data)
        except DecisionRefused as exc:
            form.add_error(exc.field or None, str(exc))
        else:
            messages.success(request, f"Decision recorded: {form.cleaned_data['outcome']}.")
            return redirect("admin:interviews_interview_change", interview.pk)
    evaluation = Evaluation.objects.filter(interview=interview).first()
    context = {
        **admin_site.each_context(request),  # type: ignore[attr-defined]
        "title": f"Decision on {interview}",
        "interview": interview,
        "form": form,
        "evaluation": evaluation,
        "advised": evaluation is not None and evaluation.status == EvaluationStatus.DONE,
        "decisions_html": render_decisions(interview),
        "opts": Interview._meta,
    }
    return TemplateResponse(request, "admin/interviews/decision.html", context)


class _ReadOnly(admin.ModelAdmin):
    """The record is appended by the service only: nobody adds, edits or deletes a row here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(_ReadOnly):
    list_display = ("created_at", "interview", "outcome", "ai_recommendation", "reviewer")
    list_filter = ("outcome",)
    list_select_related = ("interview", "reviewer")
    search_fields = ("interview__candidate_name", "interview__room_id", "note")


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnly):
    list_display = ("at", "interview", "action", "actor")
    list_filter = ("action",)
    list_select_related = ("interview", "actor")
    search_fields = ("interview__candidate_name", "interview__room_id")

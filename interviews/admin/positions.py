"""Positions in the admin, and inviting candidates to one: a single candidate, or many from a
CSV. The views only read the form and call interviews/services/invites.py; every rule (what a
good row is, all or nothing, one email per link) is the service's."""

from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from interviews.admin.candidates import candidates_export_view, candidates_view, compare_view
from interviews.admin.humanize import minutes_label
from interviews.forms import InviteCsvForm, InviteForm, PositionForm
from interviews.llm.grounding import position_knowledge_refresh
from interviews.models import Position
from interviews.services.interviews import CreatedInterview
from interviews.services.invites import (
    InvitesRefused,
    invite_row_check,
    invite_rows_parse,
    invites_create,
)
from interviews.services.positions import position_topic_notes


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    form = PositionForm
    list_display = (
        "title",
        "topic_list",
        "difficulty",
        "question_count",
        "time_limit",
        "interview_count",
        "invite_link",
    )
    list_filter = ("difficulty", "language")
    search_fields = ("title", "description")
    readonly_fields = ("offline_note",)
    fieldsets = (
        (None, {"fields": ("title", "description")}),
        (
            "Interview plan",
            {
                "fields": (
                    "bank_topics",
                    "other_topics",
                    "offline_note",
                    "difficulty",
                    "language",
                    "question_count",
                    "coding_count",
                    "coding_language",
                    "time_limit_minutes",
                )
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Position]:
        return super().get_queryset(request).annotate(n_interviews=Count("interviews"))

    def get_urls(self) -> list[Any]:
        invite = path(
            "<int:pk>/invite/",
            self.admin_site.admin_view(self.invite_view),
            name="interviews_position_invite",
        )
        candidates = path(
            "<int:pk>/candidates/",
            self.admin_site.admin_view(partial(candidates_view, self.admin_site)),
            name="interviews_position_candidates",
        )
        export = path(
            "<int:pk>/candidates.csv",
            self.admin_site.admin_view(partial(candidates_export_view, self.admin_site)),
            name="interviews_position_candidates_csv",
        )
        compare = path(
            "<int:pk>/compare/",
            self.admin_site.admin_view(partial(compare_view, self.admin_site)),
            name="interviews_position_compare",
        )
        return [invite, candidates, export, compare, *super().get_urls()]

    def save_model(self, request: HttpRequest, obj: Position, form: Any, change: bool) -> None:
        if not change:
            obj.created_by_id = request.user.pk
        super().save_model(request, obj, form, change)
        for note in position_topic_notes(topics=obj.topics):
            messages.warning(request, note)
        problem = position_knowledge_refresh(position=obj)
        if problem:
            messages.error(request, problem)

    @admin.display(description="topics")
    def topic_list(self, position: Position) -> str:
        return ", ".join(position.topics)

    @admin.display(description="time limit")
    def time_limit(self, position: Position) -> str:
        return minutes_label(position.time_limit_seconds)

    @admin.display(description="interviews", ordering="n_interviews")
    def interview_count(self, position: Position) -> int:
        return getattr(position, "n_interviews", 0)

    @admin.display(description="")
    def invite_link(self, position: Position) -> str:
        invite = reverse("admin:interviews_position_invite", args=[position.pk])
        candidates = reverse("admin:interviews_position_candidates", args=[position.pk])
        return format_html(
            '<a href="{}">Candidates</a> · <a href="{}">Invite</a>', candidates, invite
        )

    @admin.display(description="What the offline interviewer will do")
    def offline_note(self, position: Position) -> str:
        notes = position_topic_notes(topics=position.topics) if position.pk else []
        return " ".join(notes) or "Every topic is in the question bank."

    def invite_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("interviews.add_interview"):
            raise PermissionDenied("inviting candidates needs the add-interview permission")
        position = get_object_or_404(Position, pk=pk)
        one = InviteForm(initial={"position": position}, fixed_position=True)
        many = InviteCsvForm()
        created, problems = [], []
        if request.method == "POST":
            try:
                if "csv" in request.POST:
                    many = InviteCsvForm(request.POST, request.FILES)
                    if many.is_valid():
                        rows = invite_rows_parse(data=many.cleaned_data["file"].read())
                        created = invites_create(
                            position=position, rows=rows, created_by_id=request.user.pk
                        )
                else:
                    data = request.POST.copy()
                    data["position"] = str(position.pk)  # this page invites to this position
                    one = InviteForm(data, fixed_position=True)
                    created = invite_one(request, one)
            except InvitesRefused as exc:
                problems = exc.problems
        context = {
            **self.admin_site.each_context(request),
            "title": f"Invite candidates to “{position}”",
            "position": position,
            "time_limit": minutes_label(position.time_limit_seconds),
            "notes": position_topic_notes(topics=position.topics),
            "one": one,
            "many": many,
            "created": [c.as_payload() | {"interview": c.interview} for c in created],
            "problems": problems,
            "opts": Position._meta,
        }
        return TemplateResponse(request, "admin/interviews/invite.html", context)


def invite_one(request: HttpRequest, form: InviteForm) -> list[CreatedInterview]:
    """The single-candidate form, through the same service as a CSV of one row."""
    if not form.is_valid():
        return []
    data = form.cleaned_data
    row, problem = invite_row_check(
        line=0, name=data["candidate_name"], email=data["candidate_email"], email_required=False
    )
    if row is None:
        form.add_error("candidate_name", problem or "Not a valid candidate.")
        return []
    return invites_create(position=data["position"], rows=[row], created_by_id=request.user.pk)

"""Reads for comparing a position's candidates: the list (status, advisory score and
recommendation, flags, the decision that stands, dates), filtered and sorted, and 2-4 candidates
side by side per question and rubric point. A fixed number of queries however many there are."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from interviews.models import (
    Decision,
    DecisionOutcome,
    EvaluationStatus,
    Interview,
    Position,
)
from interviews.services.answer_flags import FLAG_LABELS

COMPARE_MIN, COMPARE_MAX = 2, 4
SORTS = ("name", "status", "score", "recommendation", "flags", "decision", "invited", "finished")


@dataclass(frozen=True)
class CandidateRow:
    interview: Interview
    score: Decimal | None  # advisory, and only for a done evaluation
    recommendation: str  # its label, "" when there is none
    evaluation_status: str  # label
    flags: list[str]  # flag labels, each once
    decision: str  # the outcome label of the decision that stands, "" when none

    def sort_key(self, sort: str) -> Any:
        i = self.interview
        keys: dict[str, Any] = {
            "name": i.candidate_name.casefold(),
            "status": i.get_status_display(),
            "score": self.score if self.score is not None else Decimal(-1),
            "recommendation": self.recommendation,
            "flags": len(self.flags),
            "decision": self.decision,
            "invited": i.created_at,
            "finished": i.completed_at or datetime.max.replace(tzinfo=i.created_at.tzinfo),
        }
        return keys[sort]


@dataclass(frozen=True)
class CandidateFilters:
    status: str = ""
    recommendation: str = ""
    decision: str = ""  # an outcome, or "none"
    flagged: str = ""  # "yes" or "no"
    sort: str = "invited"
    descending: bool = True

    @classmethod
    def from_query(cls, query: Any) -> "CandidateFilters":
        sort = query.get("sort", "invited")
        return cls(
            status=query.get("status", ""),
            recommendation=query.get("recommendation", ""),
            decision=query.get("decision", ""),
            flagged=query.get("flagged", ""),
            sort=sort if sort in SORTS else "invited",
            descending=query.get("dir", "desc") != "asc",
        )


def _interviews(position: Position) -> QuerySet[Interview]:
    latest = Decision.objects.filter(interview=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        position.interviews.select_related("evaluation")
        .annotate(decision_outcome=Subquery(latest.values("outcome")[:1]))
        .order_by("-created_at")
    )


def _row(interview: Interview) -> CandidateRow:
    evaluation = getattr(interview, "evaluation", None)
    done = evaluation is not None and evaluation.status == EvaluationStatus.DONE
    flags: list[str] = []
    if done and evaluation is not None:
        for q in evaluation.report.get("questions", []):
            for code in q.get("flags", []):
                label = FLAG_LABELS.get(code, code)
                if label not in flags:
                    flags.append(label)
    outcome = getattr(interview, "decision_outcome", None) or ""
    return CandidateRow(
        interview=interview,
        score=evaluation.overall_score if done and evaluation else None,
        recommendation=evaluation.get_recommendation_display() if done and evaluation else "",
        evaluation_status=evaluation.get_status_display() if evaluation else "Not evaluated",
        flags=flags,
        decision=DecisionOutcome(outcome).label if outcome else "",
    )


def position_candidates(*, position: Position, filters: CandidateFilters) -> list[CandidateRow]:
    """The position's candidates, filtered and sorted (two queries)."""
    interviews = _interviews(position)
    if filters.status:
        interviews = interviews.filter(status=filters.status)
    if filters.recommendation:
        interviews = interviews.filter(
            evaluation__status=EvaluationStatus.DONE,
            evaluation__recommendation=filters.recommendation,
        )
    rows = [_row(i) for i in interviews]
    if filters.decision == "none":
        rows = [r for r in rows if not r.decision]
    elif filters.decision:
        label = DecisionOutcome(filters.decision).label
        rows = [r for r in rows if r.decision == label]
    if filters.flagged in ("yes", "no"):
        rows = [r for r in rows if bool(r.flags) == (filters.flagged == "yes")]
    return sorted(rows, key=lambda r: r.sort_key(filters.sort), reverse=filters.descending)


@dataclass
class ComparedCell:
    question: str = ""
    score: int | None = None
    flags: list[str] = field(default_factory=list)
    # (rubric point, covered, the first sentence that covers it)
    rubric: list[tuple[str, bool, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    candidates: list[CandidateRow]
    rows: list[tuple[int, list[ComparedCell]]]  # question index → one cell per candidate


class ComparisonRefused(ValueError):
    pass


def candidates_compare(*, position: Position, interview_ids: list[int]) -> Comparison:
    """2-4 of the position's candidates side by side, per question and rubric point."""
    ids = list(dict.fromkeys(interview_ids))
    if not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
        raise ComparisonRefused(
            f"Choose {COMPARE_MIN} to {COMPARE_MAX} candidates to compare ({len(ids)} chosen)."
        )
    found = {i.pk: i for i in _interviews(position).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ComparisonRefused(f"Not candidates for this position: {missing}.")
    candidates = [_row(found[pk]) for pk in ids]
    by_candidate: list[dict[int, ComparedCell]] = []
    for row in candidates:
        evaluation = getattr(row.interview, "evaluation", None)
        cells: dict[int, ComparedCell] = {}
        if row.score is not None and evaluation is not None:
            for q in evaluation.report.get("questions", []):
                cells[int(q.get("index", 0))] = ComparedCell(
                    question=str(q.get("question", "")),
                    score=q.get("score"),
                    flags=[FLAG_LABELS.get(c, c) for c in q.get("flags", [])],
                    rubric=[
                        (
                            str(p.get("point", "")),
                            bool(p.get("quotes")),
                            str((p.get("quotes") or [{}])[0].get("text", "")),
                        )
                        for p in q.get("rubric", [])
                    ],
                )
        by_candidate.append(cells)
    indexes = sorted({i for cells in by_candidate for i in cells}) or list(
        range(1, position.question_count + 1)
    )
    rows = [(i, [cells.get(i, ComparedCell()) for cells in by_candidate]) for i in indexes]
    return Comparison(candidates=candidates, rows=rows)

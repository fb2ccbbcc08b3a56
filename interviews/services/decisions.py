"""The human decision on an interview, and the audit trail of every decision and re-run.

The evaluation (AI or heuristic) only advises; a reviewer with the `interviews.record_decision`
permission decides: advance, hold or reject, with a note. Going against the evaluation's advice
(rejecting a hire, advancing a no) needs a reason, so the record says why. Each decision is a
new row and an audit event naming who, when, what and what it replaced; nothing is edited or
deleted, so the trail is the history. Decisions for one interview are serialised on the
interview's row lock, so two reviewers deciding at once both land, in an order the trail shows,
each with the other as its previous value.
"""

import logging
from typing import Any

from django.db import transaction

from interviews.models import (
    NOTE_MAX_CHARS,
    AuditAction,
    AuditEvent,
    Decision,
    DecisionOutcome,
    Evaluation,
    EvaluationStatus,
    Interview,
    Recommendation,
)
from resilience.text import text_unstorable_at

logger = logging.getLogger(__name__)

PERMISSION = "interviews.record_decision"
# The evaluation's advice each outcome goes against: a decision listed here needs a reason.
AGAINST = {
    DecisionOutcome.ADVANCE: frozenset({Recommendation.LEAN_NO, Recommendation.NO_HIRE}),
    DecisionOutcome.REJECT: frozenset({Recommendation.HIRE, Recommendation.STRONG_HIRE}),
    DecisionOutcome.HOLD: frozenset(),
}


class DecisionRefused(Exception):
    """The decision cannot be recorded; `field` names the input at fault ("" for none)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def decision_allowed(*, user: Any) -> bool:
    """The one rule for who may decide: the admin view and the service both ask it."""
    return bool(user is not None and user.is_active and user.has_perm(PERMISSION))


def decision_goes_against(*, outcome: str, ai_recommendation: str) -> bool:
    return ai_recommendation in AGAINST.get(DecisionOutcome(outcome), frozenset())


def _clean(value: str, field: str, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise DecisionRefused(field, f"The {field} is required.")
    if len(text) > NOTE_MAX_CHARS:
        raise DecisionRefused(
            field, f"The {field} is {len(text)} characters; at most {NOTE_MAX_CHARS} are kept."
        )
    if (at := text_unstorable_at(text)) is not None:
        raise DecisionRefused(
            field,
            f"The {field} contains a character that cannot be saved (at position {at + 1}): "
            "a NUL or half of a broken emoji, often left by copying and pasting.",
        )
    return text


def _advice(interview: Interview) -> str:
    evaluation = Evaluation.objects.filter(interview=interview).first()
    if evaluation is None or evaluation.status != EvaluationStatus.DONE:
        return ""
    return evaluation.recommendation


def _summary(decision: Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "outcome": decision.outcome,
        "note": decision.note,
        "reason": decision.reason,
        "ai_recommendation": decision.ai_recommendation,
        "reviewer": decision.reviewer.get_username() if decision.reviewer else "",
        "at": decision.created_at.isoformat(),
    }


def decision_record(
    *, interview_id: int, reviewer: Any, outcome: str, note: str, reason: str = ""
) -> Decision:
    """Record `reviewer`'s decision; DecisionRefused (nothing written) if it cannot stand."""
    if not decision_allowed(user=reviewer):
        raise DecisionRefused("", "You do not have permission to record hiring decisions.")
    if outcome not in DecisionOutcome.values:
        raise DecisionRefused("outcome", "Choose advance, hold or reject.")
    note = _clean(note, "note", required=True)
    reason = _clean(reason, "reason", required=False)
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        if not interview.is_finished:
            raise DecisionRefused("", "The interview has not finished yet.")
        advice = _advice(interview)
        if decision_goes_against(outcome=outcome, ai_recommendation=advice) and not reason:
            label = Recommendation(advice).label.lower()
            raise DecisionRefused(
                "reason",
                f"The evaluation advised “{label}”; say why you decide otherwise.",
            )
        previous = interview.decisions.select_related("reviewer").first()
        decision = Decision.objects.create(
            interview=interview,
            outcome=outcome,
            note=note,
            reason=reason,
            ai_recommendation=advice,
            reviewer=reviewer,
        )
        AuditEvent.objects.create(
            interview=interview,
            action=AuditAction.DECISION,
            actor=reviewer,
            value=_summary(decision),
            previous=_summary(previous),
        )
    logger.info("interview %s: %s decided by user %s", interview_id, outcome, reviewer.pk)
    return decision


def evaluation_rerun_audit(
    *, evaluation: Evaluation | None, actor: Any, interview: Interview
) -> AuditEvent:
    """The trail's entry for a re-run: who asked, and the result it is about to replace (None
    when there was no evaluation yet).

    Called by evaluation_rerun inside its transaction, before the row is reset.
    """
    previous: dict[str, Any] | None = None
    if evaluation is None:
        pass
    elif evaluation.status == EvaluationStatus.DONE:
        previous = {
            "status": evaluation.status,
            "overall_score": str(evaluation.overall_score),
            "recommendation": evaluation.recommendation,
            "method": evaluation.method,
        }
    else:
        previous = {"status": evaluation.status, "reason": evaluation.reason}
    return AuditEvent.objects.create(
        interview=interview,
        action=AuditAction.EVALUATION_RERUN,
        actor=actor if getattr(actor, "pk", None) else None,
        value={"status": EvaluationStatus.PENDING},
        previous=previous,
    )

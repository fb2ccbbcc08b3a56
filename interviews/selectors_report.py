"""Reads for the hiring staff's pages: one candidate's report (the transcript as a
conversation, the time taken), with a fixed number of queries whatever the interview's length."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from interviews.models import Interview, Turn, TurnKind, TurnRole
from interviews.selectors import turn_degraded


@dataclass(frozen=True)
class ConversationTurn:
    turn: Turn
    speaker: str  # "interviewer", "candidate" or "system"
    label: str  # what the turn is, in words: "Question 2", "Follow-up", "Answer"
    degraded: bool  # not written by the first provider (fallback, cache): marked on the page
    offset: str  # "+3:12" since the interview started, "" before it did


def _offset(at: datetime, started: datetime | None) -> str:
    if started is None or at < started:
        return ""
    minutes, seconds = divmod(int((at - started).total_seconds()), 60)
    return f"+{minutes}:{seconds:02d}"


def interview_conversation(*, interview: Interview) -> list[ConversationTurn]:
    """Every turn in order, for reading (one query)."""
    conversation = []
    for turn in interview.turns.order_by("seq"):
        if turn.kind == TurnKind.QUESTION:
            label = f"Question {turn.question_index} of {interview.question_count}"
        elif turn.kind == TurnKind.FOLLOW_UP:
            label = f"Follow-up to question {turn.question_index}"
        elif turn.kind == TurnKind.ANSWER:
            label = "Answer"
        else:
            label = "Interview ended" if turn.meta.get("event") == "completed" else "Note"
        degraded = turn.role == TurnRole.INTERVIEWER and turn_degraded(turn=turn)
        conversation.append(
            ConversationTurn(
                turn=turn,
                speaker=turn.role,
                label=label,
                degraded=degraded,
                offset=_offset(turn.created_at, interview.started_at),
            )
        )
    return conversation


def interview_time_taken(*, interview: Interview) -> timedelta | None:
    """From the start to the end (or to now, while it runs); None before it started."""
    if interview.started_at is None:
        return None
    return (interview.completed_at or timezone.now()) - interview.started_at

"""Writing the transcript: turns with the next `seq`, the interview's counters, the end.

Every function here runs inside a transaction that holds the interview's row lock (turns are
only appended under it, so `last_seq` is the seq of the last turn).

Who is told about a new turn: with `broadcast` on, every socket of the interview (on any web
process) gets it through the channel layer once committed. A socket that stored the turn
itself sends it straight to its client and passes `broadcast=False`: the channel layer would
only bring the turn back to the same socket, which would drop it as already sent.
"""

import logging
from typing import Any

from django.utils import timezone

from interviews import rows
from interviews.models import Interview, InterviewStatus, Turn, TurnKind, TurnRole
from interviews.selectors import turn_event
from interviews.services.effects import broadcast_on_commit, interview_group
from interviews.services.evaluation import evaluation_request

logger = logging.getLogger(__name__)

FINISH_TEXT = {
    "all_answered": "Thank you — the interview is complete.",
    "time_up": "Time is up. Thank you — the interview is complete.",
    "abandoned": "This interview was closed after a long period of inactivity.",
}


def turn_next(interview: Interview, **fields: Any) -> Turn:
    """The next turn, numbered but not saved yet (turns_store saves it)."""
    interview.last_seq += 1
    return Turn(interview=interview, seq=interview.last_seq, **fields)


def turns_store(interview: Interview, turns: list[Turn], *, broadcast: bool = True) -> None:
    """Save `turns` (from turn_next, in order) in one INSERT."""
    rows.insert(turns)
    if broadcast:
        group = interview_group(interview.pk)
        for turn in turns:
            broadcast_on_commit(group, turn_event(turn, total=interview.question_count))


def interview_touch(interview: Interview, *extra_fields: str, was: Interview | None = None) -> bool:
    """Save the counters (and `extra_fields`) with the activity time. `was`: only if the row
    still is as `was` read it (rows.update: its version, else every column but the activity
    time, a liveness mark written only with the counters); returns whether it was saved."""
    interview.last_activity_at = timezone.now()
    names = ["last_seq", "last_activity_at", *extra_fields]
    return rows.update(interview, names, was=was, ignoring=("last_activity_at",))


def interview_finish(
    interview: Interview,
    *,
    reason: str,
    status: str = InterviewStatus.COMPLETED,
    broadcast: bool = True,
) -> Turn:
    """End the interview with a `completed` event; evaluate it if the candidate answered."""
    turn = interview_finish_after(interview, [], reason=reason, status=status, broadcast=broadcast)
    assert turn is not None  # no `was`: the caller holds the lock, the UPDATE applies
    return turn


def interview_finish_after(
    interview: Interview,
    before: list[Turn],
    *,
    reason: str,
    status: str = InterviewStatus.COMPLETED,
    broadcast: bool = True,
    was: Interview | None = None,
) -> Turn | None:
    """interview_finish after `before` (the answer that ends it, from turn_next), stored in
    the same INSERT: one UPDATE of the interview, one INSERT, the evaluation's row. `was`: only
    if the interview is still as it (interview_touch); None, with nothing stored, when not."""
    turn = turn_next(
        interview,
        role=TurnRole.SYSTEM,
        kind=TurnKind.SYSTEM,
        question_index=interview.current_index,
        text=FINISH_TEXT[reason],
        meta={"event": "completed", "reason": str(reason)},
    )
    interview.status = status
    interview.completed_at = timezone.now()
    if not interview_touch(interview, "status", "completed_at", was=was):
        return None
    turns_store(interview, [*before, turn], broadcast=broadcast)
    answered = any(t.kind == TurnKind.ANSWER for t in before)
    if answered or interview.turns.filter(kind=TurnKind.ANSWER).exists():
        evaluation_request(interview=interview)
    logger.info("interview %s finished: %s (%s)", interview.pk, status, reason)
    return turn

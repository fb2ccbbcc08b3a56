"""Reads: how persisted turns look on the wire, replay, the state a client resumes from, and
the rows the stuck sweep acts on."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from interviews.coding.spec import CodingSpec
from interviews.markup import question_html
from interviews.models import (
    AuditEvent,
    Decision,
    Evaluation,
    EvaluationStatus,
    Interview,
    InterviewStatus,
    Turn,
    TurnKind,
    TurnSource,
)
from interviews.moves import Clock, Move, MoveKind, Tip, clock_phase, interview_next_move

Event = dict[str, Any]


def turn_degraded(*, turn: Turn) -> bool:
    """Whether an interviewer turn was not written by the first provider in LLM_PROVIDERS (the
    chain decides and the turn stores it); turns stored before that was kept say it by their
    source alone."""
    stored = turn.meta.get("degraded")
    if isinstance(stored, bool):
        return stored
    return turn.source in (TurnSource.CACHE, TurnSource.FALLBACK)


def turn_event(turn: Turn, *, total: int) -> Event:
    """The server → client frame for a persisted turn (docs/protocol.md)."""
    if turn.kind in (TurnKind.QUESTION, TurnKind.FOLLOW_UP):
        event: Event = {
            "type": turn.kind,
            "seq": turn.seq,
            "index": turn.question_index,
            "total": total,
            "text": turn.text,
            "html": question_html(turn.text),  # the Markdown subset, sanitised (markup.py)
            "source": turn.source,
            "provider": turn.provider,
            "degraded": turn_degraded(turn=turn),
        }
        if "coding" in turn.meta:
            # What the editor needs; never the hidden tests or the reference solution.
            event["coding"] = CodingSpec.from_meta(turn.meta["coding"]).candidate_view()
        return event
    if turn.kind == TurnKind.ANSWER:
        return {
            "type": "ack",
            "seq": turn.seq,
            "client_msg_id": str(turn.client_msg_id) if turn.client_msg_id else None,
            "text": turn.text,
        }
    return {"type": turn.meta.get("event", "system"), "seq": turn.seq, "text": turn.text}


@dataclass(frozen=True)
class TurnLabel:
    """Who wrote an interviewer turn, as stored on it (for staff: report and transcript)."""

    kind: str  # "question" or "follow_up"
    source: str  # TurnSource value
    source_label: str
    provider: str
    degraded: bool
    # Questions only: "grounded" (with the passages it was built on), "ungrounded" (retrieval
    # failed and it went on without them) or "" (no knowledge base, or nothing relevant).
    grounding: str = ""
    citations: tuple[dict[str, Any], ...] = ()


def interview_question_labels(*, interview: Interview) -> dict[int, list[TurnLabel]]:
    """Question index → the labels of its question and follow-up, in asking order (one query)."""
    labels: dict[int, list[TurnLabel]] = {}
    turns = interview.turns.filter(kind__in=(TurnKind.QUESTION, TurnKind.FOLLOW_UP))
    for turn in turns.order_by("seq"):
        labels.setdefault(turn.question_index, []).append(
            TurnLabel(
                kind=turn.kind,
                source=turn.source,
                source_label=turn.get_source_display(),
                provider=turn.provider,
                degraded=turn_degraded(turn=turn),
                grounding=str(turn.meta.get("grounding", "")),
                citations=tuple(turn.meta.get("citations", ())),
            )
        )
    return labels


def interview_turns_since(*, interview: Interview, last_seq: int) -> list[Turn]:
    return list(interview.turns.filter(seq__gt=last_seq).order_by("seq"))


def interview_events_since(*, interview: Interview, last_seq: int) -> list[Event]:
    turns = interview_turns_since(interview=interview, last_seq=last_seq)
    return [turn_event(t, total=interview.question_count) for t in turns]


@dataclass(frozen=True)
class Recent:
    """The transcript's last turn and the one before it (the question an answer answers)."""

    last: Turn | None
    before: Turn | None

    @property
    def tip(self) -> Tip:
        last, before = self.last, self.before
        if last is None:
            return Tip()
        answered = before.kind if before is not None and last.kind == TurnKind.ANSWER else None
        return Tip(last_kind=last.kind, last_index=last.question_index, answered_kind=answered)


def interview_recent(*, interview: Interview, transcript: list[Turn] | None = None) -> Recent:
    """The last two turns, in one query; `transcript`: every turn, in order, read already."""
    if transcript is not None:
        turns = transcript[:-3:-1]
    else:
        turns = list(interview.turns.order_by("-seq")[:2])
    return Recent(last=turns[0] if turns else None, before=turns[1] if len(turns) > 1 else None)


def interview_move(
    *,
    interview: Interview,
    tip: Tip,
    now: datetime | None = None,
    follow_up_declined: bool = False,
) -> Move:
    """interview_next_move for this interview, at `now` (default: the current time)."""
    return interview_next_move(
        status=interview.status,
        tip=tip,
        current_index=interview.current_index,
        question_count=interview.question_count,
        deadline=interview_deadline(interview=interview),
        now=now or timezone.now(),
        grace=timedelta(seconds=settings.INTERVIEW_TIME_GRACE_SECONDS),
        follow_up_declined=follow_up_declined,
    )


def interview_pending_question(*, recent: Recent, move: Move) -> Turn | None:
    """The question or follow-up the candidate still has to answer, if any; `move` is the
    interview's (interview_move) at the end `recent` shows."""
    return recent.last if move.kind is MoveKind.AWAIT_ANSWER else None


def interview_time_remaining(*, interview: Interview) -> int | None:
    if interview.time_limit_seconds is None:
        return None
    if interview.started_at is None:
        return interview.time_limit_seconds
    elapsed = (timezone.now() - interview.started_at).total_seconds()
    # Rounded up: the clock shows the full limit at the start and 0 only once time is up.
    return max(0, math.ceil(interview.time_limit_seconds - elapsed))


def interview_deadline(*, interview: Interview) -> datetime | None:
    """When a started, timed interview's time is up (before the grace period), else None."""
    if interview.time_limit_seconds is None or interview.started_at is None:
        return None
    return interview.started_at + timedelta(seconds=interview.time_limit_seconds)


def interview_time_over(*, interview: Interview, now: datetime | None = None) -> bool:
    """Whether the interview's time, grace period included, has run out: from then on no answer
    is kept and the interview completes with reason `time_up`. Within the grace period
    (INTERVIEW_TIME_GRACE_SECONDS after the limit) an answer already on its way is still kept,
    but nothing new is asked."""
    phase = clock_phase(
        deadline=interview_deadline(interview=interview),
        now=now or timezone.now(),
        grace=timedelta(seconds=settings.INTERVIEW_TIME_GRACE_SECONDS),
    )
    return phase is Clock.OVER


def interviews_time_over(*, now: datetime) -> list[Interview]:
    """In-progress timed interviews whose time and grace period have run out at `now`.

    The query only narrows to timed interviews started at least the grace period ago (in
    progress at once is a few hundred rows at most); interview_time_over decides, so the rule
    has one definition.
    """
    grace = timedelta(seconds=settings.INTERVIEW_TIME_GRACE_SECONDS)
    candidates = Interview.objects.filter(
        status=InterviewStatus.IN_PROGRESS,
        time_limit_seconds__isnull=False,
        started_at__lte=now - grace,
    ).only("pk", "started_at", "time_limit_seconds")
    return [i for i in candidates if interview_time_over(interview=i, now=now)]


def interview_answered(*, interview: Interview, transcript: list[Turn] | None = None) -> int:
    """How many questions have at least one answer; `transcript`: every turn, read already."""
    if transcript is not None:
        return len({t.question_index for t in transcript if t.kind == TurnKind.ANSWER})
    answered = interview.turns.filter(kind=TurnKind.ANSWER).values("question_index").distinct()
    return answered.count()


def interview_state(
    *, interview: Interview, transcript: list[Turn] | None = None
) -> dict[str, Any]:
    """The `interview` object of the welcome frame; `transcript` as in interview_answered."""
    return {
        "room_id": interview.room_id,
        "candidate_name": interview.candidate_name,
        "role": interview.role,
        "topic": interview.topic,
        "status": interview.status,
        "total": interview.question_count,
        "answered": interview_answered(interview=interview, transcript=transcript),
        "current_index": interview.current_index,
        "last_seq": interview.last_seq,
        "time_remaining": interview_time_remaining(interview=interview),
        "time_limit": interview.time_limit_seconds,
        "grace_seconds": settings.INTERVIEW_TIME_GRACE_SECONDS,
        "ping_interval": settings.WS_PING_INTERVAL,
    }


@dataclass(frozen=True)
class Ending:
    """How a finished interview ended, for the staff report."""

    reason: str  # "all_answered", "time_up" or "abandoned"
    answered: int  # questions with at least one stored answer
    total: int

    @property
    def time_up(self) -> bool:
        return self.reason == "time_up"


def interview_ending(*, interview: Interview) -> Ending | None:
    """The reason stored on the interview's `completed` turn and how many questions were
    answered; None while it has not ended."""
    end = interview.turns.filter(kind=TurnKind.SYSTEM, meta__event="completed").last()
    if end is None:
        return None
    return Ending(
        reason=str(end.meta.get("reason", "")),
        answered=interview_answered(interview=interview),
        total=interview.question_count,
    )


# --- stuck work: the stuck sweep's rules (services/maintenance.py acts on these rows) -------


@dataclass(frozen=True)
class StuckCutoffs:
    inactive_since: datetime  # in progress with no activity since: abandoned
    running_since: datetime  # an evaluation running since before this is stuck
    pending_since: datetime  # pending and untouched since: its task never came

    @classmethod
    def at(cls, now: datetime) -> "StuckCutoffs":
        return cls(
            inactive_since=now - timedelta(minutes=settings.INTERVIEW_ABANDON_AFTER_MINUTES),
            running_since=now - timedelta(hours=settings.STUCK_EPISODE_THRESHOLD_HOURS),
            pending_since=now - timedelta(minutes=settings.EVALUATION_PENDING_RESEND_MINUTES),
        )


def stuck_interviews(cutoffs: StuckCutoffs) -> QuerySet[Interview]:
    return Interview.objects.filter(
        status=InterviewStatus.IN_PROGRESS, last_activity_at__lt=cutoffs.inactive_since
    )


def stuck_evaluations(cutoffs: StuckCutoffs) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(
        status=EvaluationStatus.RUNNING, started_at__lt=cutoffs.running_since
    )


def unsent_evaluations(cutoffs: StuckCutoffs) -> QuerySet[Evaluation]:
    """Pending evaluations nobody has claimed since the cut-off: the task that should run them
    was never sent (the broker was down at commit) or was lost (a broker restarted without
    persistence). A retry countdown is at most EVALUATION_RETRY_MAX_SECONDS, far less than the
    cut-off, so a pending row this old has no task coming."""
    return (
        Evaluation.objects.filter(status=EvaluationStatus.PENDING)
        .alias(last_touched=Coalesce("started_at", "created_at"))
        .filter(last_touched__lt=cutoffs.pending_since)
    )


def stuck_counts() -> dict[str, int]:
    """How many rows the stuck sweep would act on now."""
    cutoffs = StuckCutoffs.at(timezone.now())
    return {
        "interviews": stuck_interviews(cutoffs).count(),
        "evaluations": stuck_evaluations(cutoffs).count(),
        "unsent_evaluations": unsent_evaluations(cutoffs).count(),
    }


def interview_decision_current(*, interview: Interview) -> Decision | None:
    """The decision that stands: the latest one recorded."""
    return interview.decisions.select_related("reviewer").first()


def interview_audit_trail(*, interview: Interview) -> QuerySet[AuditEvent]:
    """Every decision and evaluation re-run on the interview, newest first."""
    return interview.audit_events.select_related("actor")

"""The interview's life around its turns: create, start, revoke or reissue its link, end it
when time is up or it was abandoned. Answers and the interviewer's turns are in
interviews/services/turns.py (re-exported here, where callers have always found them).
"""

import logging
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from interviews import rows
from interviews.models import Interview, InterviewStatus, Position
from interviews.selectors import interview_time_over
from interviews.services.effects import invite_changed_on_commit
from interviews.services.positions import position_for_plan, position_plan
from interviews.services.tokens import token_generate, token_hash
from interviews.services.transcript import interview_finish, interview_touch
from interviews.services.turns import (
    AnswerOutcome,
    AnswerRejected,
    interview_advance,
    interview_advance_known,
    interview_answer_submit,
)

__all__ = [
    "AnswerOutcome",
    "AnswerRejected",
    "CreatedInterview",
    "interview_abandon",
    "interview_advance",
    "interview_advance_known",
    "interview_answer_submit",
    "interview_create",
    "interview_reissue_token",
    "interview_revoke_token",
    "interview_start",
    "interview_time_up",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CreatedInterview:
    interview: Interview
    token: str  # shown once; only its hash is stored

    @property
    def invite_path(self) -> str:
        return f"/i/{self.token}/"

    @property
    def ws_path(self) -> str:
        return f"/ws/interviews/{self.interview.room_id}/?token={self.token}"

    def as_payload(self) -> dict[str, Any]:
        """The create_interview contract: id, room_id, token, invite_url, ws_url, expires_at."""
        base = settings.PUBLIC_BASE_URL
        ws_base = base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        return {
            "id": self.interview.pk,
            "room_id": self.interview.room_id,
            "token": self.token,
            "invite_url": f"{base}{self.invite_path}",
            "ws_url": f"{ws_base}{self.ws_path}",
            "expires_at": self.interview.token_expires_at.isoformat(),
        }


def interview_create(
    *,
    candidate_name: str,
    position: Position | None = None,
    role: str = "",
    topic: str = "",
    difficulty: str = "",
    language: str = "en",
    question_count: int = 0,
    candidate_email: str = "",
    time_limit_seconds: int | None = None,
    created_by_id: int | None = None,
    coding_count: int = 0,
    coding_language: str = "python",
) -> CreatedInterview:
    """An interview for `position`, with the position's plan copied onto it. Without a position,
    the plan given here (the command line's --role, --topic, ...) finds or makes the position
    with exactly that plan, so the older way of creating an interview keeps working."""
    with transaction.atomic():
        if position is None:
            position = position_for_plan(
                role=role,
                topic=topic,
                difficulty=difficulty,
                language=language,
                question_count=question_count,
                time_limit_seconds=time_limit_seconds,
                created_by_id=created_by_id,
                coding_count=coding_count,
                coding_language=coding_language,
            )
        room_id = secrets.token_hex(8)
        expires_at = timezone.now() + timedelta(hours=settings.INVITE_TTL_HOURS)
        token = token_generate(room_id=room_id, expires_at=expires_at)
        interview = Interview(
            position=position,
            **asdict(position_plan(position=position)),
            candidate_name=candidate_name.strip(),
            candidate_email=candidate_email.strip(),
            room_id=room_id,
            token_hash=token_hash(token),
            token_expires_at=expires_at,
            created_by_id=created_by_id,
        )
        interview.full_clean()
        interview.save()
    logger.info("interview %s created (room %s)", interview.pk, interview.room_id)
    return CreatedInterview(interview=interview, token=token)


def interview_reissue_token(*, interview: Interview) -> CreatedInterview:
    """A fresh invite link; the old one stops working at once."""
    interview.token_expires_at = timezone.now() + timedelta(hours=settings.INVITE_TTL_HOURS)
    token = token_generate(room_id=interview.room_id, expires_at=interview.token_expires_at)
    interview.token_hash = token_hash(token)
    interview.token_revoked_at = None
    interview.save(update_fields=["token_hash", "token_expires_at", "token_revoked_at"])
    invite_changed_on_commit(interview.pk)  # sockets opened with the old link close
    return CreatedInterview(interview=interview, token=token)


def interview_revoke_token(*, interview: Interview) -> None:
    """The link stops working at once, including on sockets already open with it."""
    interview.token_revoked_at = timezone.now()
    interview.save(update_fields=["token_revoked_at"])
    invite_changed_on_commit(interview.pk)


def interview_start(*, interview_id: int, notice_version: str = "") -> Interview:
    """Mark a scheduled interview in progress, and its clock running. Idempotent.

    `notice_version`: the candidate consented to that notice now (the start page). Where
    INTERVIEW_CONSENT_REQUIRED is on, an interview without a recorded consent does not start,
    so a socket opened before the start page was submitted starts nothing.
    """
    with transaction.atomic():
        # Every hello runs this: one SELECT ... FOR UPDATE built once (interviews/rows.py).
        interview = rows.get(Interview, interview_id, lock=True)
        if interview.status != InterviewStatus.SCHEDULED:
            return interview
        now = timezone.now()
        if notice_version:
            interview.consent_at = now
            interview.consent_notice_version = notice_version
        elif interview.consent_at is None and settings.INTERVIEW_CONSENT_REQUIRED:
            return interview
        interview.status = InterviewStatus.IN_PROGRESS
        interview.started_at = now
        interview_touch(interview, "status", "started_at", "consent_at", "consent_notice_version")
    return interview


def interview_time_up(*, interview_id: int) -> bool:
    """Complete the interview with reason `time_up` if its time and grace period are over and
    it is still in progress (the beat check; the socket and each answer check it too)."""
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        if interview.status != InterviewStatus.IN_PROGRESS:
            return False
        if not interview_time_over(interview=interview):
            return False
        interview_finish(interview, reason="time_up")
    return True


def interview_abandon(*, interview_id: int, inactive_since: datetime) -> bool:
    """Mark an in-progress interview abandoned if it is still idle since `inactive_since`."""
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        idle = interview.last_activity_at is None or interview.last_activity_at < inactive_since
        if interview.status != InterviewStatus.IN_PROGRESS or not idle:
            return False  # the candidate came back after the sweep looked
        interview_finish(interview, reason="abandoned", status=InterviewStatus.ABANDONED)
    return True

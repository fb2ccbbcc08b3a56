"""The candidate's journey around the questions: the start page's consent, and the clock the
server keeps.

The interview starts only when the candidate consents on the start page (the notice version
they read is stored with the time), and a timed interview ends with reason `time_up` at its
limit plus INTERVIEW_TIME_GRACE_SECONDS whether or not a socket is open: the beat task
`complete_timed_out` runs `interviews_time_up_sweep`, and each answer checks the clock too.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from interviews.models import Interview, InterviewStatus
from interviews.selectors import interviews_time_over
from interviews.services.interviews import interview_start, interview_time_up

logger = logging.getLogger(__name__)


class ConsentRefused(Exception):
    """The start form cannot start the interview; `message` tells the candidate why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Notice:
    """What the start page shows and what a consent refers to (settings, per deployment)."""

    text: str
    version: str
    contact: str
    accommodation_contact: str
    next_steps: str


def notice_current() -> Notice:
    return Notice(
        text=settings.CANDIDATE_NOTICE_TEXT,
        version=settings.CANDIDATE_NOTICE_VERSION,
        contact=settings.CANDIDATE_CONTACT,
        accommodation_contact=settings.CANDIDATE_ACCOMMODATION_CONTACT,
        next_steps=settings.CANDIDATE_NEXT_STEPS,
    )


def interview_consent_start(
    *, interview: Interview, consent: bool, notice_version: str
) -> Interview:
    """Record the candidate's consent to the notice they were shown and start the interview.

    Idempotent: an interview already started (a second click, a resubmitted form) is returned
    as it is, its first consent kept. A form showing an older notice than the current one is
    refused, so a stored version is always one the candidate read.
    """
    if interview.status != InterviewStatus.SCHEDULED:
        return interview
    if not consent:
        raise ConsentRefused(
            "consent_required", "Please tick the box to confirm you agree before starting."
        )
    current = notice_current().version
    if notice_version != current:
        raise ConsentRefused(
            "notice_changed", "The notice was updated since this page was opened; please read it."
        )
    started = interview_start(interview_id=interview.pk, notice_version=current)
    logger.info("interview %s started with consent to notice %s", interview.pk, current)
    return started


def interviews_time_up_sweep() -> list[int]:
    """Complete every in-progress interview whose time and grace period are over; their ids."""
    done = [
        interview.pk
        for interview in interviews_time_over(now=timezone.now())
        if interview_time_up(interview_id=interview.pk)
    ]
    if done:
        logger.info("time up: %s interview(s) completed: %s", len(done), done)
    return done

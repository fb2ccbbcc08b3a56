"""Sending the invitation and the reminder, and recording what became of each email.

The task (interviews.tasks.send_invite_email) calls `invite_email_send`; a send that raises is
recorded by `invite_email_failed` and retried by the task, and the last failure goes to the
dead-letter queue with the row marked failed, so staff see it on the interview's page.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from interviews.models import (
    FINISHED_STATUSES,
    Interview,
    InterviewStatus,
    InviteEmail,
    InviteEmailKind,
    InviteEmailStatus,
)
from interviews.services.invites import invite_email_queue
from interviews.services.tokens import token_recover

logger = logging.getLogger(__name__)

SUBJECTS = {
    InviteEmailKind.INVITE: "Your interview for {role}",
    InviteEmailKind.REMINDER: "Reminder: your interview for {role} expires soon",
}


def _not_sendable(email: InviteEmail, now: datetime) -> str | None:
    """Why this email must not go out now, or None. Checked at send time: the link can change
    between queueing and sending (reissued, revoked, used)."""
    interview = email.interview
    if interview.token_expires_at != email.for_expiry:
        return "The invite link was replaced since this email was queued."
    if interview.token_revoked_at is not None:
        return "The invite link was revoked."
    if interview.token_expires_at <= now:
        return "The invite link has expired."
    if interview.status in FINISHED_STATUSES:
        return "The interview is already finished."
    if email.kind == InviteEmailKind.REMINDER and interview.status != InterviewStatus.SCHEDULED:
        return "The candidate has already started."
    return None


def invite_email_send(*, email_id: int) -> str:
    """Send the email unless it is no longer wanted; its final status. Raises what the email
    backend raised, for the task to retry."""
    email = InviteEmail.objects.select_related("interview").get(pk=email_id)
    if email.status in (InviteEmailStatus.SENT, InviteEmailStatus.SKIPPED):
        return email.status  # a redelivered task: sent once is enough
    why_not = _not_sendable(email, timezone.now())
    token = None if why_not else token_recover(interview=email.interview)
    if why_not is None and token is None:
        why_not = "The link cannot be rebuilt (SECRET_KEY changed?); reissue it to send one."
    if why_not is not None or token is None:
        _record(email, status=InviteEmailStatus.SKIPPED, error=why_not or "")
        return InviteEmailStatus.SKIPPED
    interview = email.interview
    limit = interview.time_limit_seconds
    context = {
        "interview": interview,
        "invite_url": f"{settings.PUBLIC_BASE_URL}/i/{token}/",
        "time_limit_minutes": round(limit / 60) if limit else None,
    }
    body = render_to_string(f"interviews/email/{email.kind}.txt", context)
    subject = SUBJECTS[InviteEmailKind(email.kind)].format(role=interview.role)
    send_mail(subject, body, None, [email.to], fail_silently=False)
    _record(email, status=InviteEmailStatus.SENT, error="", sent_at=timezone.now())
    logger.info("%s email %s sent for interview %s", email.kind, email.pk, interview.pk)
    return InviteEmailStatus.SENT


def invite_email_failed(*, email_id: int, error: str, final: bool) -> None:
    """Record a failed send: retrying, or failed for good (the task then dead-letters it)."""
    email = InviteEmail.objects.filter(pk=email_id).first()
    if email is not None:
        status = InviteEmailStatus.FAILED if final else InviteEmailStatus.RETRYING
        _record(email, status=status, error=error[:2000])


def _record(
    email: InviteEmail, *, status: str, error: str, sent_at: datetime | None = None
) -> None:
    email.status, email.error, email.attempts = status, error, email.attempts + 1
    email.sent_at = sent_at
    email.save(update_fields=["status", "error", "attempts", "sent_at"])


def invite_reminders_queue(*, now: datetime | None = None) -> int:
    """Queue a reminder for every unstarted interview whose link expires within
    INVITE_REMINDER_HOURS; how many were queued. One per link, whoever runs this."""
    now = now or timezone.now()
    due = Interview.objects.filter(
        status=InterviewStatus.SCHEDULED,
        token_revoked_at__isnull=True,
        token_expires_at__gt=now,
        token_expires_at__lte=now + timedelta(hours=settings.INVITE_REMINDER_HOURS),
    ).exclude(candidate_email="")
    queued = 0
    for interview in due.iterator():
        try:
            with transaction.atomic():
                queued += (
                    invite_email_queue(interview=interview, kind=InviteEmailKind.REMINDER)
                    is not None
                )
        except IntegrityError:
            # Another beat run queued it between our check and our insert: it is queued once.
            continue
    return queued

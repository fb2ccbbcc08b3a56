"""Invite tokens: shown once, stored only as a SHA-256 digest.

A token is an HMAC (keyed by SECRET_KEY) of the room id and the link's expiry, as Django's
password-reset tokens are: the database alone cannot produce a link, yet the email task can
re-derive the one it must send from the row (`token_recover`) without the link ever passing
through the broker, a log or the dead-letter queue. Reissuing changes the expiry, so the old
link stops matching the stored hash.
"""

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from enum import Enum

from django.utils import timezone
from django.utils.crypto import salted_hmac

from interviews import rows
from interviews.models import Interview


class InviteProblem(Enum):
    """Why a token or room cannot open an interview: WebSocket close code and HTTP status."""

    UNKNOWN_INTERVIEW = ("unknown_interview", "This interview does not exist.", 4404, 404)
    BAD_TOKEN = ("invalid_token", "This invite link is not valid.", 4401, 404)
    EXPIRED_TOKEN = ("expired_token", "This invite link has expired.", 4401, 410)
    REVOKED_TOKEN = ("revoked_token", "This invite link was revoked.", 4401, 410)
    FINISHED = ("interview_finished", "This interview is already finished.", 4410, 410)

    def __init__(self, code: str, message: str, close_code: int, http_status: int) -> None:
        self.code = code
        self.message = message
        self.close_code = close_code
        self.http_status = http_status


class InviteRejected(Exception):
    def __init__(self, problem: InviteProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


_KEY_SALT = "interviews.invite-token"


def token_generate(*, room_id: str, expires_at: datetime) -> str:
    stamp = expires_at.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    digest = salted_hmac(_KEY_SALT, f"{room_id}|{stamp}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_recover(*, interview: Interview) -> str | None:
    """The interview's current link token, or None when it was not made from this row's room
    and expiry (a link from before derived tokens, or a SECRET_KEY changed since)."""
    token = token_generate(room_id=interview.room_id, expires_at=interview.token_expires_at)
    return token if hmac.compare_digest(interview.token_hash, token_hash(token)) else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_validity(interview: Interview) -> Interview:
    if interview.token_revoked_at is not None:
        raise InviteRejected(InviteProblem.REVOKED_TOKEN)
    if interview.token_expires_at <= timezone.now():
        raise InviteRejected(InviteProblem.EXPIRED_TOKEN)
    if interview.is_finished:
        raise InviteRejected(InviteProblem.FINISHED)
    return interview


def interview_authenticate(*, room_id: str, token: str) -> Interview:
    """The interview behind `room_id` if `token` opens it, else an `InviteRejected`."""
    # Every WebSocket connect runs this: one SELECT, not compiled per call (interviews/rows.py).
    interview = rows.find(Interview, "room_id", room_id)
    if interview is None:
        raise InviteRejected(InviteProblem.UNKNOWN_INTERVIEW)
    if not token or not hmac.compare_digest(interview.token_hash, token_hash(token)):
        raise InviteRejected(InviteProblem.BAD_TOKEN)
    return _check_validity(interview)


def interview_by_invite(*, token: str) -> Interview:
    """The interview an invite link points at (the page view's lookup)."""
    interview = Interview.objects.filter(token_hash=token_hash(token)).first() if token else None
    if interview is None:
        raise InviteRejected(InviteProblem.BAD_TOKEN)
    return _check_validity(interview)

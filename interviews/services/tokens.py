"""Invite tokens: random, shown once, stored only as a SHA-256 digest."""

import hashlib
import hmac
import secrets
from enum import Enum

from django.utils import timezone

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


def token_generate() -> str:
    return secrets.token_urlsafe(32)


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
    interview = Interview.objects.filter(room_id=room_id).first()
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

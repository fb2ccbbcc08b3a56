from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from interviews.models import Interview, InterviewStatus
from interviews.services.guessing import invite_open
from interviews.services.journey import ConsentRefused, interview_consent_start, notice_current
from interviews.services.submissions import code_bytes_limit
from interviews.services.tokens import InviteProblem, InviteRejected


def _invite_invalid(request: HttpRequest, exc: InviteRejected) -> HttpResponse:
    context = {
        "title": "This interview cannot be opened",
        "message": exc.problem.message,
        "finished": exc.problem is InviteProblem.FINISHED,
        "notice": notice_current(),
    }
    return render(
        request, "interviews/invite_invalid.html", context, status=exc.problem.http_status
    )


def _start_page(
    request: HttpRequest, token: str, interview: Interview, *, error: str = "", status: int = 200
) -> HttpResponse:
    limit = interview.time_limit_seconds
    context = {
        "interview": interview,
        "notice": notice_current(),
        "time_limit_minutes": -(-limit // 60) if limit else None,
        "start_path": reverse("interviews:candidate_start", kwargs={"token": token}),
        "error": error,
    }
    response = render(request, "interviews/start.html", context, status=status)
    # The Start form's POST must carry its Origin, which CSRF checks; under no-referrer the
    # browser sends "Origin: null". same-origin still keeps the URL from every other site.
    response["Referrer-Policy"] = "same-origin"
    return response


@require_GET
def candidate_page(request: HttpRequest, token: str) -> HttpResponse:
    """The invite link: the start page until the candidate starts, then the interview page; or
    a clear page saying why it cannot open.

    Too many invalid links from one address raise TooManyTokenFailures, which the error
    middleware answers with 429 (the envelope for JSON clients, a page for browsers).
    """
    try:
        interview = invite_open(token=token, client_address=request.META.get("REMOTE_ADDR"))
    except InviteRejected as exc:
        return _invite_invalid(request, exc)
    if interview.status == InterviewStatus.SCHEDULED and settings.INTERVIEW_CONSENT_REQUIRED:
        return _start_page(request, token, interview)
    ws_path = f"/ws/interviews/{interview.room_id}/?token={token}"
    # The URL carries a secret: interviews.middleware keeps every answer here out of Referer
    # headers and shared caches.
    context = {
        "interview": interview,
        "ws_path": ws_path,
        "notice": notice_current(),
        "max_chars": settings.MAX_ANSWER_CHARS,
        "max_code_bytes": code_bytes_limit(),
    }
    return render(request, "interviews/candidate.html", context)


@require_POST
def candidate_start(request: HttpRequest, token: str) -> HttpResponse:
    """The start page's form: consent and start (then the interview page), or decline (a page
    saying whom to contact; nothing is stored and no clock starts)."""
    try:
        interview = invite_open(token=token, client_address=request.META.get("REMOTE_ADDR"))
    except InviteRejected as exc:
        return _invite_invalid(request, exc)
    if request.POST.get("action") == "decline":
        return render(request, "interviews/declined.html", {"notice": notice_current()})
    try:
        interview_consent_start(
            interview=interview,
            consent=request.POST.get("consent") == "yes",
            notice_version=request.POST.get("notice_version", ""),
        )
    except ConsentRefused as exc:
        return _start_page(request, token, interview, error=exc.message, status=400)
    return redirect("interviews:candidate_page", token=token)

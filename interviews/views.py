from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from interviews.services.tokens import InviteRejected, interview_by_invite


@require_GET
def candidate_page(request: HttpRequest, token: str) -> HttpResponse:
    """The invite link: the interview page, or a clear page saying why it cannot open."""
    try:
        interview = interview_by_invite(token=token)
    except InviteRejected as exc:
        context = {"title": "This interview cannot be opened", "message": exc.problem.message}
        return render(
            request, "interviews/invite_invalid.html", context, status=exc.problem.http_status
        )
    ws_path = f"/ws/interviews/{interview.room_id}/?token={token}"
    response = render(
        request, "interviews/candidate.html", {"interview": interview, "ws_path": ws_path}
    )
    # The URL carries a secret: keep it out of Referer headers and shared caches.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from interviews.services.guessing import invite_open
from interviews.services.tokens import InviteRejected


@require_GET
def candidate_page(request: HttpRequest, token: str) -> HttpResponse:
    """The invite link: the interview page, or a clear page saying why it cannot open.

    Too many invalid links from one address raise TooManyTokenFailures, which the error
    middleware answers with 429 (the envelope for JSON clients, a page for browsers).
    """
    try:
        interview = invite_open(token=token, client_address=request.META.get("REMOTE_ADDR"))
    except InviteRejected as exc:
        context = {"title": "This interview cannot be opened", "message": exc.problem.message}
        return render(
            request, "interviews/invite_invalid.html", context, status=exc.problem.http_status
        )
    ws_path = f"/ws/interviews/{interview.room_id}/?token={token}"
    # The URL carries a secret: interviews.middleware keeps every answer here out of Referer
    # headers and shared caches.
    return render(
        request, "interviews/candidate.html", {"interview": interview, "ws_path": ws_path}
    )

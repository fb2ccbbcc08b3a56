"""Responses under /i/ never leak the invite token their URL carries.

Every answer there (the interview page, the 404 and 410 pages, the 429 of the guessing limit,
a 404 for a malformed link) has the token in its URL: no Referer header may carry it to
another site, and no shared cache may keep it. A middleware rather than the view, because the
429 and the unrouted 404 are answered outside the view. It sits after SecurityMiddleware in
MIDDLEWARE, so it sees the response first and SecurityMiddleware's default Referrer-Policy
(same-origin) does not replace it.
"""

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.decorators import sync_and_async_middleware

from interviews.urls import INVITE_PREFIX

GetResponse = Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]


def _private(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if request.path_info.startswith(f"/{INVITE_PREFIX}"):
        # A page may ask for less (the start page's form needs same-origin for its CSRF check).
        response.setdefault("Referrer-Policy", "no-referrer")
        response["Cache-Control"] = "no-store"
    return response


@sync_and_async_middleware
def private_invite_urls(get_response: GetResponse) -> GetResponse:
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponseBase:
            return _private(request, await get_response(request))

        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponseBase:
        return _private(request, get_response(request))  # type: ignore[arg-type]

    return middleware

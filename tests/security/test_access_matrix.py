"""Who may open what, as one table per surface (docs/architecture.md, "Security", has the same
matrix).

Add a row when an endpoint appears. Then invite tokens (a token opens its own interview and
nothing else, never once expired or revoked) and CSRF (every state-changing form carries a
token and is refused without one; no view is exempt).
"""

import json
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import pytest
from channels.db import database_sync_to_async
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from interviews.models import Interview
from interviews.services.interviews import (
    CreatedInterview,
    interview_reissue_token,
    interview_revoke_token,
)
from tests.factories import make_interview
from tests.interviews.ws import WAIT
from tests.migration_rows import ensure_migration_rows
from tests.security.helpers import communicator, fresh_address

HEALTH_TOKEN = "matrix-health-token"
METRICS_TOKEN = "matrix-metrics-token"
REMOTE = "10.9.8.7"  # an address outside METRICS_ALLOWED_IPS
ENVELOPE_KEYS = {"code", "message", "retryable", "error_id", "request_id"}

# Who is asking: a signed-in user (or none), extra request headers, and the client address.
CALLERS: dict[str, tuple[str | None, dict[str, Any], str]] = {
    "anonymous": (None, {}, REMOTE),
    "user": ("user", {}, REMOTE),  # signed in, not staff: what a candidate's account would be
    "staff": ("staff", {}, REMOTE),
    # Staff with no permission at all: signs in to the admin, may open nothing in it.
    "staff_no_perms": ("staff_no_perms", {}, REMOTE),
    # Staff in one of the two role groups, and nothing else.
    "staff_reviewer": ("staff_reviewer", {}, REMOTE),
    "staff_operator": ("staff_operator", {}, REMOTE),
    "health_token": (None, {"HTTP_AUTHORIZATION": f"Bearer {HEALTH_TOKEN}"}, REMOTE),
    "metrics_token": (None, {"HTTP_AUTHORIZATION": f"Bearer {METRICS_TOKEN}"}, REMOTE),
    "localhost": (None, {}, "127.0.0.1"),
}


@dataclass(frozen=True)
class Row:
    path: str  # "{interview}" is replaced by an interview's primary key
    caller: str
    status: tuple[int, ...]  # any of these
    error: str | None = None  # the envelope's code, when the answer is a JSON error
    login_redirect: bool = False  # a 302 to the admin login page

    def __str__(self) -> str:
        return f"{self.caller}:{self.path}"


def _rows(path: str, **by_caller: Any) -> list[Row]:
    rows = []
    for caller, expected in by_caller.items():
        status, error = expected if isinstance(expected, tuple) else (expected, None)
        statuses = status if isinstance(status, frozenset) else frozenset({status})
        rows.append(
            Row(path, caller, tuple(sorted(statuses)), error, login_redirect=302 in statuses)
        )
    return rows


OK_OR_UNHEALTHY = frozenset({200, 503})  # the report itself is the answer either way
ADMIN_PAGES = (
    "/admin/",
    "/admin/interviews/interview/",
    "/admin/interviews/interview/create/",
    "/admin/interviews/interview/{interview}/change/",
    "/admin/interviews/turn/",
    "/admin/interviews/evaluation/",
    "/admin/interviews/interview/{interview}/decision/",  # interviews.record_decision
    "/admin/interviews/decision/",
    "/admin/interviews/auditevent/",
    "/admin/auth/user/",
    "/admin/dashboard/",
    "/admin/dashboard/panels/",
    "/admin/resilience/deadletter/",
    "/admin/resilience/cachedquestion/",
    "/admin/resilience/breakerconfig/",
    "/admin/interviews/position/",
    "/admin/interviews/position/{position}/candidates/",
    "/admin/interviews/position/{position}/candidates.csv",
    "/admin/interviews/position/{position}/invite/",
    "/admin/interviews/interview/{interview}/report/",
    "/admin/django_celery_beat/periodictask/",
    "/admin/interviews/inviteemail/",
)
# The two roles (groups made by interviews/migrations/0012_staff_roles.py): what each may open.
REVIEWER_PAGES = (
    "/admin/",
    "/admin/interviews/interview/",
    "/admin/interviews/interview/{interview}/change/",
    "/admin/interviews/turn/",
    "/admin/interviews/evaluation/",
    "/admin/interviews/interview/{interview}/decision/",
    "/admin/interviews/decision/",
    "/admin/interviews/auditevent/",
    "/admin/interviews/position/",
    "/admin/interviews/position/{position}/candidates/",
    "/admin/interviews/position/{position}/candidates.csv",
    "/admin/interviews/interview/{interview}/report/",
    "/admin/interviews/inviteemail/",
    "/admin/dashboard/",  # the frame only: every operations panel is hidden from them
    "/admin/dashboard/panels/",
)
OPERATOR_PAGES = (
    "/admin/",
    "/admin/dashboard/",
    "/admin/dashboard/panels/",
    "/admin/resilience/deadletter/",
    "/admin/resilience/cachedquestion/",
    "/admin/resilience/breakerconfig/",
    "/admin/django_celery_beat/periodictask/",
)
DETAILED_HEALTH = (
    "/health/",
    "/health/workers/",
    "/health/circuit-breakers/",
    "/health/infrastructure/",
)

# Pages any staff member may open; the rest of ADMIN_PAGES need a model permission.
ANY_STAFF_PAGES = ("/admin/", "/admin/dashboard/", "/admin/dashboard/panels/")

HTTP_MATRIX: list[Row] = [
    *(row for page in ADMIN_PAGES for row in _rows(page, anonymous=302, user=302, staff=200)),
    *(
        row
        for page in ADMIN_PAGES
        for row in _rows(page, staff_no_perms=200 if page in ANY_STAFF_PAGES else 403)
    ),
    *(
        row
        for page in ADMIN_PAGES
        for row in _rows(
            page,
            staff_reviewer=200 if page in REVIEWER_PAGES else 403,
            staff_operator=200 if page in OPERATOR_PAGES else 403,
        )
    ),
    *_rows("/health/live/", anonymous=200),
    *_rows("/health/ready/", anonymous=200),
    *(
        row
        for path in DETAILED_HEALTH
        for row in _rows(
            path,
            anonymous=(401, "unauthorized"),
            user=(403, "forbidden"),
            metrics_token=(401, "unauthorized"),
            staff=OK_OR_UNHEALTHY,
            health_token=OK_OR_UNHEALTHY,
        )
    ),
    *_rows(
        "/metrics",
        anonymous=(403, "forbidden"),
        user=(403, "forbidden"),
        staff=(403, "forbidden"),  # scrapers, not people: a token or an allowed address
        health_token=(403, "forbidden"),
        metrics_token=200,
        localhost=200,
    ),
    *_rows(
        "/api/admin/dlq/",
        anonymous=(frozenset({302, 403}), None),
        user=(403, "forbidden"),
        health_token=(frozenset({302, 403}), None),
        staff_no_perms=(403, "forbidden"),  # the dead-letter admin refuses them too
        staff_reviewer=(403, "forbidden"),
        staff_operator=200,
        staff=200,
    ),
]


@pytest.fixture
def interview() -> CreatedInterview:
    return make_interview()


def _client(caller: str) -> tuple[Client, dict[str, Any]]:
    username, headers, address = CALLERS[caller]
    client = Client(REMOTE_ADDR=address)
    if username:
        # No password: hashing one costs more than the request under test.
        user = User.objects.create_user(username, is_staff=username.startswith("staff"))
        user.is_superuser = username == "staff"
        user.save(update_fields=["is_superuser"])
        role = {"staff_reviewer": "Reviewer", "staff_operator": "Operator"}.get(username)
        if role:
            # A transactional test elsewhere may have flushed the migration's groups.
            ensure_migration_rows("interviews", "0012_staff_roles", "create_roles")
            user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
    return client, headers


@pytest.mark.django_db
@pytest.mark.parametrize("row", HTTP_MATRIX, ids=str)
def test_http_matrix(row: Row, settings: Any) -> None:
    settings.HEALTH_TOKEN = HEALTH_TOKEN
    settings.METRICS_TOKEN = METRICS_TOKEN
    client, headers = _client(row.caller)
    path = row.path
    if "{interview}" in path or "{position}" in path:
        interview = make_interview().interview
        path = path.format(interview=interview.pk, position=interview.position_id)

    response = client.get(path, **headers)

    assert response.status_code in row.status, response.content[:300]
    if response.status_code == 302:
        assert row.login_redirect
        assert response["Location"].startswith("/admin/login/")
    if row.error is not None:
        error = response.json()["error"]
        assert error["code"] == row.error
        staff = row.caller.startswith("staff")
        technical = {"technical_message"} if staff else set()
        assert ENVELOPE_KEYS <= set(error) <= ENVELOPE_KEYS | technical, "technical: staff only"


# --- invite tokens -----------------------------------------------------------------------------
def _expire(created: CreatedInterview) -> None:
    Interview.objects.filter(pk=created.interview.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )


def _revoke(created: CreatedInterview) -> None:
    interview_revoke_token(interview=created.interview)


def _reissue(created: CreatedInterview) -> None:
    interview_reissue_token(interview=created.interview)  # the old token stops working


def _finish(created: CreatedInterview) -> None:
    Interview.objects.filter(pk=created.interview.pk).update(status="completed")


# state of the link: (what to do to it, invite page status, WebSocket close code or None = open)
TOKEN_MATRIX = {
    "valid": (None, 200, None),
    "expired": (_expire, 410, 4401),
    "revoked": (_revoke, 410, 4401),
    "replaced_by_a_new_link": (_reissue, 404, 4401),
    "interview_finished": (_finish, 410, 4410),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("state", TOKEN_MATRIX)
async def test_token_matrix__invite_page_and_websocket(state: str) -> None:
    change, page_status, close_code = TOKEN_MATRIX[state]
    created = await database_sync_to_async(make_interview)()
    if change is not None:
        await database_sync_to_async(change)(created)

    page = await database_sync_to_async(Client(REMOTE_ADDR=fresh_address()).get)(
        created.invite_path
    )
    comm = communicator(created.ws_path, client_address=fresh_address())
    await comm.connect()
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    first = json.loads(await comm.receive_from(timeout=WAIT))
    code = await _close_code(comm) if close_code is not None else None
    await comm.disconnect()

    assert page.status_code == page_status
    assert code == close_code
    assert first["type"] == ("welcome" if close_code is None else "error")


@pytest.mark.django_db(transaction=True)
async def test_token_of_one_interview__never_opens_another() -> None:
    mine, theirs = [await database_sync_to_async(make_interview)() for _ in range(2)]
    path = f"/ws/interviews/{theirs.interview.room_id}/?token={mine.token}"

    comm = communicator(path, client_address=fresh_address())
    await comm.connect()
    error = json.loads(await comm.receive_from(timeout=WAIT))
    page = await database_sync_to_async(Client(REMOTE_ADDR=fresh_address()).get)(mine.invite_path)

    assert (error["code"], await _close_code(comm)) == ("invalid_token", 4401)
    body = page.content.decode()
    assert mine.interview.room_id in body
    assert theirs.interview.room_id not in body


@pytest.mark.django_db(transaction=True)
async def test_websocket_from_another_site__refused_before_any_token_check() -> None:
    created = await database_sync_to_async(make_interview)()
    comm = communicator(
        created.ws_path,
        client_address=fresh_address(),
        headers=[(b"origin", b"https://evil.example")],
    )

    connected, _ = await comm.connect()

    assert not connected
    await comm.disconnect()


async def _close_code(comm: Any) -> int:
    output = await comm.receive_output(timeout=WAIT)
    while output["type"] != "websocket.close":
        output = await comm.receive_output(timeout=WAIT)
    return int(output["code"])


# --- CSRF --------------------------------------------------------------------------------------
class _Forms(HTMLParser):
    """The POST forms of a page: (action, field names, has a CSRF token)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "").lower() == "post":
            self._open = {"action": values.get("action") or "", "fields": {}, "csrf": False}
            self.forms.append(self._open)
        elif tag in ("input", "select", "textarea") and self._open is not None:
            name = values.get("name")
            if name == "csrfmiddlewaretoken":
                self._open["csrf"] = True
            elif name:
                self._open["fields"][name] = values.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def _admin_pages(interview: CreatedInterview) -> list[str]:
    """Every admin page with a form: index, password change, and each registered model's
    changelist, add page and (for interviews) change and delete pages."""
    pages = ["/admin/", "/admin/password_change/"]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    pk = interview.interview.pk
    pages += [
        reverse("admin:interviews_create"),
        reverse("admin:interviews_interview_change", args=[pk]),
        reverse("admin:interviews_interview_delete", args=[pk]),
        reverse("admin:interviews_decision", args=[pk]),
    ]
    return pages


@pytest.mark.django_db
def test_every_admin_post_form__carries_a_csrf_token_and_is_refused_without_it(
    interview: CreatedInterview,
) -> None:
    staff = User.objects.create_user("csrf-ops", is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    forms = []
    for page in _admin_pages(interview):
        response = client.get(page, follow=True)
        if response.status_code != 200:
            continue  # e.g. an add page of a read-only model: nothing to post
        parser = _Forms()
        parser.feed(response.content.decode())
        forms += [(page, form) for form in parser.forms]

    refused = {
        (page, form["action"]): client.post(urljoin(page, form["action"]), form["fields"])
        for page, form in forms
    }

    assert len(forms) >= 10, "the crawl found the admin's forms"
    assert [page for page, form in forms if not form["csrf"]] == []
    assert {key: r.status_code for key, r in refused.items() if r.status_code != 403} == {}
    assert Interview.objects.filter(pk=interview.interview.pk).exists()


@pytest.mark.django_db
def test_admin_login_and_logout__need_a_csrf_token() -> None:
    User.objects.create_user("ops-login", password="pw-123456", is_staff=True)
    client = Client(enforce_csrf_checks=True)

    login = client.post("/admin/login/", {"username": "ops-login", "password": "pw-123456"})
    logout = client.post("/admin/logout/")

    assert (login.status_code, logout.status_code) == (403, 403)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_dlq_api_post__needs_a_csrf_token_even_for_staff() -> None:
    staff = User.objects.create_user("dlq-ops", is_staff=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post("/api/admin/dlq/", {"action": "clear"}, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def _views(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), pattern.callback))
    return found


def test_no_view__is_exempt_from_csrf() -> None:
    exempt = [
        route
        for route, view in _views(get_resolver().url_patterns)
        if getattr(view, "csrf_exempt", False)
    ]

    assert exempt == []

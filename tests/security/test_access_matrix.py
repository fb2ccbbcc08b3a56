"""Who may open what, as one table per surface (docs/architecture.md, "Security", has the same
matrix). Add a row when an endpoint appears. Invite tokens are in test_invite_tokens.py, CSRF
in test_csrf.py.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.factories import make_interview
from tests.migration_rows import ensure_migration_rows

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

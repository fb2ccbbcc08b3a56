"""The Reviewer and Operator groups (migration interviews 0012): a reviewer reads candidates and
records decisions and sees no operations; an operator runs breakers, dead letters, the cache and
periodic tasks and sees no candidate."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from interviews.models import Decision
from resilience.models import BreakerConfig
from tests.factories import make_interview, run_to_completion
from tests.migration_rows import ensure_migration_rows

pytestmark = pytest.mark.django_db

OPERATIONS_PANELS = ("Circuit breakers", "Dead-letter queue", "Question cache")


def _member(client: Client, role: str) -> Client:
    ensure_migration_rows("interviews", "0012_staff_roles", "create_roles")
    user = User.objects.create_user(role.lower(), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def test_reviewer__records_a_decision_and_sees_no_operations_panel(client: Client) -> None:
    reviewer = _member(client, "Reviewer")
    interview = run_to_completion(make_interview(question_count=1).interview.pk)
    response = reviewer.post(
        f"/admin/interviews/interview/{interview.pk}/decision/",
        {"outcome": "hold", "note": "Ask the team", "reason": ""},
    )
    assert response.status_code == 302
    assert Decision.objects.get(interview=interview).outcome == "hold"
    panels = reviewer.get("/admin/dashboard/panels/").content.decode()
    assert not [p for p in OPERATIONS_PANELS if f"<h2>{p}</h2>" in panels]
    BreakerConfig.objects.get_or_create(name="llm")
    refused = reviewer.post("/admin/dashboard/breakers/llm/force_open/", {"reason": "x"})
    assert refused.status_code == 403


def test_operator__sees_every_operations_panel_and_no_candidate(client: Client) -> None:
    operator = _member(client, "Operator")
    interview = make_interview().interview
    panels = operator.get("/admin/dashboard/panels/").content.decode()
    assert [p for p in OPERATIONS_PANELS if f"<h2>{p}</h2>" in panels] == list(OPERATIONS_PANELS)
    assert operator.get(f"/admin/interviews/interview/{interview.pk}/report/").status_code == 403
    assert operator.get("/admin/interviews/position/").status_code == 403
    decision = operator.post(
        f"/admin/interviews/interview/{interview.pk}/decision/",
        {"outcome": "advance", "note": "x", "reason": ""},
    )
    assert decision.status_code == 403

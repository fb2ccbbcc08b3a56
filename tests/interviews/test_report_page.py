"""The candidate report: the evaluation first, the conversation with degraded turns marked, the
time taken and the limit in minutes, consent, decisions; technical fields folded away; no raw
timestamps; a fixed number of queries whatever the interview's length."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from interviews.models import Interview, TurnKind, TurnSource
from interviews.services.decisions import decision_record
from interviews.services.evaluation import evaluation_run
from tests.factories import make_interview, run_to_completion

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    user = User.objects.create_user("boss", password="pw-123456", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def _finished(questions: int, *, limit: int | None = 1800) -> Interview:
    created = make_interview(question_count=questions, time_limit_seconds=limit)
    interview = run_to_completion(created.interview.pk)
    evaluation_run(interview_id=interview.pk)
    started = timezone.now() - timedelta(minutes=12)
    Interview.objects.filter(pk=interview.pk).update(
        started_at=started,
        completed_at=started + timedelta(minutes=7, seconds=20),
        consent_at=started,
        consent_notice_version="2026-11",
    )
    return Interview.objects.get(pk=interview.pk)


def _report(client: Client, interview: Interview) -> str:
    response = client.get(f"/admin/interviews/interview/{interview.pk}/report/")
    assert response.status_code == 200
    return response.content.decode()


def test_report__evaluation_first_then_decisions_time_consent_transcript_and_folded_details(
    staff_client: Client,
) -> None:
    interview = _finished(2)
    question = interview.turns.filter(kind=TurnKind.QUESTION).first()
    assert question is not None
    question.source, question.meta = TurnSource.FALLBACK, {**question.meta, "degraded": True}
    question.save()
    boss = User.objects.get(username="boss")
    decision_record(interview_id=interview.pk, reviewer=boss, outcome="hold", note="Second look")
    body = _report(staff_client, interview)
    order = [
        body.index(f'data-testid="{part}"')
        for part in ("report-evaluation", "report-decisions", "report-time", "report-consent")
    ]
    order.append(body.index('data-testid="report-transcript"'))
    order.append(body.index('data-testid="report-technical"'))
    assert order == sorted(order)
    assert "Advisory" in body
    assert "Decision: Hold" in body
    assert re.search(r'data-testid="time-taken">7 min<', body)
    assert re.search(r'data-testid="time-limit">30 min<', body)
    assert "version <strong>2026-11</strong>" in body
    assert body.count('data-testid="degraded-turn"') == 1
    assert "⚠ Fallback" in body
    assert '<details class="report-section report-technical no-print"' in body
    assert interview.token_hash in body.split('data-testid="report-technical"')[1]
    assert "Question 1 of 2" in body
    # Times in words, never ISO timestamps.
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", body)


def test_report__queries_do_not_grow_with_the_interview(staff_client: Client) -> None:
    short, long = _finished(1), _finished(6)
    counts = []
    for interview in (short, long):
        with CaptureQueriesContext(connection) as queries:
            _report(staff_client, interview)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 20, counts


def test_report__needs_the_view_permission(client: Client) -> None:
    interview = _finished(1)
    user = User.objects.create_user("nobody", password="pw-123456", is_staff=True)
    client.force_login(user)
    response = client.get(f"/admin/interviews/interview/{interview.pk}/report/")
    assert response.status_code == 403


def test_interview_list__queries_do_not_grow_with_interviews(staff_client: Client) -> None:
    counts = []
    for n in (2, 12):
        while Interview.objects.count() < n:
            _finished(1)
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get("/admin/interviews/interview/")
        assert response.status_code == 200
        assert response.content.decode().count('class="field-evaluation_status"') == n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts

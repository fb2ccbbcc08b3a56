"""The start page: what a candidate reads before anything starts, consent stored with its notice
version, idempotent Start, Decline that starts nothing, and a socket that cannot start an
interview without consent."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone

from interviews.models import Interview, InterviewStatus
from interviews.services.interviews import interview_start
from tests.factories import make_interview, run_to_completion

pytestmark = pytest.mark.django_db

NOTICE = "An AI asks the questions and scores the answers; Ms Example at ACME decides."
JOURNEY = {
    "INTERVIEW_CONSENT_REQUIRED": True,
    "CANDIDATE_NOTICE_TEXT": NOTICE,
    "CANDIDATE_NOTICE_VERSION": "2026-12-v3",
    "CANDIDATE_CONTACT": "talent@acme.example",
    "CANDIDATE_ACCOMMODATION_CONTACT": "access@acme.example",
    "CANDIDATE_NEXT_STEPS": "Ms Example replies within five working days.",
}


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def _start_form(client: Client, path: str) -> tuple[str, dict[str, str]]:
    page = client.get(path)
    assert page.status_code == 200
    return page.content.decode(), {
        "csrfmiddlewaretoken": page.context["csrf_token"],
        "notice_version": page.context["notice"].version,
    }


@override_settings(**JOURNEY)
def test_start_page__shows_role_count_limit_notice_contacts_and_practice__starts_nothing(
    csrf_client: Client,
) -> None:
    created = make_interview(role="Data engineer", question_count=4, time_limit_seconds=1200)
    html, _ = _start_form(csrf_client, created.invite_path)
    for text in (
        "Data engineer",
        'data-testid="fact-questions">4<',
        "20 minutes",
        NOTICE,
        "access@acme.example",
        "talent@acme.example",
        "practice question",
        'name="consent"',
    ):
        assert text in html, text
    assert created.ws_path not in html.replace("&amp;", "&"), "no socket before Start"
    interview = Interview.objects.get(pk=created.interview.pk)
    assert (interview.status, interview.started_at) == (InterviewStatus.SCHEDULED, None)


@override_settings(**JOURNEY)
def test_start__with_consent_and_csrf__records_time_and_notice_version__starts_once(
    csrf_client: Client,
) -> None:
    created = make_interview(time_limit_seconds=600)
    _, form = _start_form(csrf_client, created.invite_path)
    start = f"{created.invite_path}start/"
    before = timezone.now()
    response = csrf_client.post(start, {**form, "consent": "yes", "action": "start"})
    assert response.status_code == 302
    assert response["Location"] == created.invite_path
    interview = Interview.objects.get(pk=created.interview.pk)
    assert interview.status == InterviewStatus.IN_PROGRESS
    assert interview.consent_notice_version == "2026-12-v3"
    assert interview.consent_at is not None
    assert interview.consent_at >= before
    assert interview.started_at == interview.consent_at

    again = csrf_client.post(start, {**form, "consent": "yes", "action": "start"})
    assert again.status_code == 302
    assert Interview.objects.get(pk=created.interview.pk).started_at == interview.started_at
    page = csrf_client.get(created.invite_path).content.decode()
    assert created.ws_path in page.replace("&amp;", "&"), "after Start: the interview page"


@override_settings(**JOURNEY)
def test_start__without_the_csrf_token__is_refused_and_starts_nothing(csrf_client: Client) -> None:
    created = make_interview()
    _, form = _start_form(csrf_client, created.invite_path)
    response = csrf_client.post(
        f"{created.invite_path}start/",
        {"notice_version": form["notice_version"], "consent": "yes"},
    )
    assert response.status_code == 403
    assert Interview.objects.get(pk=created.interview.pk).status == InterviewStatus.SCHEDULED


@override_settings(**JOURNEY)
def test_start__without_the_box_ticked__says_so_and_starts_nothing(csrf_client: Client) -> None:
    created = make_interview()
    _, form = _start_form(csrf_client, created.invite_path)
    response = csrf_client.post(f"{created.invite_path}start/", {**form, "action": "start"})
    assert response.status_code == 400
    assert "tick the box" in response.content.decode()
    interview = Interview.objects.get(pk=created.interview.pk)
    assert (interview.status, interview.consent_at) == (InterviewStatus.SCHEDULED, None)


@override_settings(**JOURNEY)
def test_start__with_a_notice_older_than_the_current_one__asks_to_read_it_again(
    csrf_client: Client,
) -> None:
    created = make_interview()
    _, form = _start_form(csrf_client, created.invite_path)
    stale = {**form, "notice_version": "2026-11-v2", "consent": "yes", "action": "start"}
    response = csrf_client.post(f"{created.invite_path}start/", stale)
    assert response.status_code == 400
    assert "notice was updated" in response.content.decode()
    assert Interview.objects.get(pk=created.interview.pk).consent_at is None


@override_settings(**JOURNEY)
def test_decline__shows_whom_to_contact__stores_and_starts_nothing(csrf_client: Client) -> None:
    created = make_interview()
    _, form = _start_form(csrf_client, created.invite_path)
    response = csrf_client.post(f"{created.invite_path}start/", {**form, "action": "decline"})
    assert response.status_code == 200
    assert "talent@acme.example" in response.content.decode()
    interview = Interview.objects.get(pk=created.interview.pk)
    assert (interview.status, interview.consent_at, interview.started_at) == (
        InterviewStatus.SCHEDULED,
        None,
        None,
    )


@override_settings(**JOURNEY)
def test_join_without_consent__does_not_start_the_interview_or_its_clock() -> None:
    created = make_interview(time_limit_seconds=60)
    interview = interview_start(interview_id=created.interview.pk)  # what a socket's hello does
    assert (interview.status, interview.started_at) == (InterviewStatus.SCHEDULED, None)


@override_settings(**JOURNEY)
def test_staff__see_the_consent_time_and_notice_version(client: Client) -> None:
    created = make_interview()
    _, form = _start_form(client, created.invite_path)
    client.post(f"{created.invite_path}start/", {**form, "consent": "yes", "action": "start"})
    User.objects.create_superuser("staff", password="pw-123456")
    client.force_login(User.objects.get(username="staff"))
    page = client.get(f"/admin/interviews/interview/{created.interview.pk}/change/")
    assert "to notice version 2026-12-v3" in page.content.decode()


@override_settings(**JOURNEY)
def test_ending_pages__finished_says_what_happens_next__every_one_whom_to_contact(
    client: Client,
) -> None:
    unknown = client.get("/i/not-a-token/")
    expired = make_interview()
    Interview.objects.filter(pk=expired.interview.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    finished = make_interview(question_count=1)
    with override_settings(INTERVIEW_CONSENT_REQUIRED=False):
        run_to_completion(finished.interview.pk)
    gone = client.get(expired.invite_path)
    done = client.get(finished.invite_path)
    assert (unknown.status_code, gone.status_code, done.status_code) == (404, 410, 410)
    for response in (unknown, gone, done):
        assert "talent@acme.example" in response.content.decode()
    assert "Ms Example replies within five working days." in done.content.decode()

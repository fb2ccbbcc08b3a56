from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from interviews.models import Interview
from interviews.services.evaluation import evaluation_fail, evaluation_run
from tests.factories import make_interview, run_to_completion

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    user = User.objects.create_user("staff", password="pw-123456", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_staff__see_transcript_and_evaluation_of_a_finished_interview(staff_client: Client) -> None:
    interview = run_to_completion(make_interview(question_count=1).interview.pk)
    evaluation = evaluation_run(interview_id=interview.pk)
    page = staff_client.get(f"/admin/interviews/interview/{interview.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    for turn in interview.turns.all():
        assert turn.text.split("\n")[0][:60] in body
    assert f"{evaluation.overall_score} / 5" in body
    assert "Offline heuristic" in body
    assert 'name="question_count"' not in body, "setup is read-only once started"


def test_staff__incomplete_evaluation_shows_reason_and_no_score(staff_client: Client) -> None:
    interview = run_to_completion(make_interview(question_count=1).interview.pk)
    evaluation_fail(interview_id=interview.pk, reason="provider down")
    body = staff_client.get(f"/admin/interviews/interview/{interview.pk}/change/").content.decode()
    assert "no score" in body
    assert "provider down" in body
    assert "/ 5" not in body


def test_staff__create_form_makes_an_interview_and_shows_its_working_invite_link(
    staff_client: Client,
) -> None:
    response = staff_client.post(
        "/admin/interviews/interview/create/",
        {
            "candidate_name": "Linus",
            "role": "Kernel engineer",
            "topic": "data structures",
            "difficulty": "hard",
            "language": "en",
            "question_count": 4,
        },
    )
    assert response.status_code == 200
    interview = Interview.objects.get(candidate_name="Linus")
    invite_url = response.context["invite"]["invite_url"]
    assert invite_url in response.content.decode()
    page = staff_client.get(invite_url.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert interview.room_id in page.content.decode()


def test_staff__create_form_rejects_bad_input_with_field_errors(staff_client: Client) -> None:
    response = staff_client.post(
        "/admin/interviews/interview/create/",
        {"candidate_name": "", "role": "x", "topic": "y", "difficulty": "x", "question_count": 0},
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {
        "candidate_name",
        "difficulty",
        "question_count",
    }
    assert not Interview.objects.exists()


def test_non_staff__cannot_reach_interviews_in_the_admin(client: Client) -> None:
    created = make_interview()
    User.objects.create_user("cand", password="pw-123456")
    client.login(username="cand", password="pw-123456")
    response = client.get(f"/admin/interviews/interview/{created.interview.pk}/change/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_invite_link__opens_the_page_with_the_socket_path_and_no_caching(client: Client) -> None:
    created = make_interview()
    response = client.get(created.invite_path)
    assert response.status_code == 200
    assert created.ws_path.replace("&", "&amp;") in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"


def test_invite_link__unknown_404_expired_410_finished_410(client: Client) -> None:
    assert client.get("/i/not-a-token/").status_code == 404
    expired = make_interview()
    Interview.objects.filter(pk=expired.interview.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(expired.invite_path)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    finished = make_interview()
    Interview.objects.filter(pk=finished.interview.pk).update(status="completed")
    assert client.get(finished.invite_path).status_code == 410

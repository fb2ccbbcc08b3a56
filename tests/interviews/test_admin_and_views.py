import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from interviews.models import Evaluation, EvaluationStatus, Interview
from interviews.services.evaluation import evaluation_fail, evaluation_run
from interviews.services.positions import position_create
from tests.factories import STRONG_ANSWER, make_interview, run_to_completion
from tests.interviews.evaluation_support import eager_celery

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
        assert escape(turn.text.split("\n")[0][:60]) in body  # "Python's" is HTML-escaped
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


def test_staff__invite_form_makes_an_interview_for_the_position_and_shows_its_working_link(
    staff_client: Client,
) -> None:
    position = position_create(
        title="Kernel engineer", topics=["data_structures"], difficulty="hard", question_count=4
    )
    response = staff_client.post(
        "/admin/interviews/interview/create/",
        {"position": position.pk, "candidate_name": "Linus", "candidate_email": ""},
    )
    assert response.status_code == 200
    interview = Interview.objects.get(candidate_name="Linus")
    assert (interview.position_id, interview.question_count) == (position.pk, 4)
    (invite,) = response.context["created"]
    assert invite["invite_url"] in response.content.decode()
    page = staff_client.get(invite["invite_url"].removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert interview.room_id in page.content.decode()


def test_staff__invite_form_rejects_bad_input_with_field_errors(staff_client: Client) -> None:
    response = staff_client.post(
        "/admin/interviews/interview/create/",
        {"candidate_name": "", "position": 999999, "candidate_email": "not-an-email"},
    )
    assert response.status_code == 200
    assert response.context["one"].errors.keys() >= {
        "candidate_name",
        "position",
        "candidate_email",
    }
    assert not Interview.objects.exists()


def test_non_staff__cannot_reach_interviews_in_the_admin(client: Client) -> None:
    created = make_interview()
    User.objects.create_user("cand", password="pw-123456")
    # django-axes counts logins per request (address): authenticate() needs one.
    assert client.login(request=HttpRequest(), username="cand", password="pw-123456")
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


def _finished(text: str = STRONG_ANSWER) -> Interview:
    return run_to_completion(make_interview(question_count=1).interview.pk, text)


@pytest.mark.parametrize("status", [EvaluationStatus.ERROR, EvaluationStatus.INCOMPLETE])
def test_staff__evaluation_that_is_not_done_shows_no_score_anywhere(
    staff_client: Client, status: str
) -> None:
    interview = _finished()
    evaluation_run(interview_id=interview.pk)
    # What a report left behind would look like; the score columns are already empty.
    Evaluation.objects.filter(interview=interview).update(
        status=status, overall_score=None, recommendation="", reason="worker lost"
    )
    evaluation = Evaluation.objects.get(interview=interview)
    pages = [
        f"/admin/interviews/interview/{interview.pk}/change/",
        "/admin/interviews/interview/",
        f"/admin/interviews/evaluation/{evaluation.pk}/change/",
        "/admin/interviews/evaluation/",
    ]
    for url in pages:
        body = staff_client.get(url).content.decode()
        # A score reads "3.5 / 5" or "4/5"; ids in links ("evaluation/50/") are not scores.
        assert not re.search(r"\d\s*/\s*5(?!\d)", body), url
        assert "Hire" not in body, url
    change = staff_client.get(f"/admin/interviews/evaluation/{evaluation.pk}/change/")
    assert "no score" in change.content.decode()
    assert "worker lost" in change.content.decode()
    assert 'name="overall_score"' not in change.content.decode(), "nobody types a score in"


def test_staff__report_shows_flags_and_labels_the_offline_heuristic(staff_client: Client) -> None:
    interview = _finished("asdf qwer zxcv hjkl fdsa qwerty uiop zxcvbn mnbv")
    evaluation_run(interview_id=interview.pk)
    body = staff_client.get(f"/admin/interviews/interview/{interview.pk}/change/").content.decode()
    assert "does not read as language" in body
    assert "Offline heuristic" in body
    assert "cannot judge whether to hire" in body
    assert "Needs human review" in body
    assert "Advisory" in body


def test_staff__bulk_rerun_reevaluates_finished_interviews_and_explains_the_rest(
    staff_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    done, failed = _finished(), _finished()
    evaluation_run(interview_id=done.pk)
    evaluation_fail(interview_id=failed.pk, reason="provider down")
    in_progress = make_interview(question_count=1).interview
    selected = [done.pk, failed.pk, in_progress.pk]

    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/interviews/interview/",
            {"action": "action_rerun_evaluation", "_selected_action": selected},
            follow=True,
        )

    body = response.content.decode()
    assert "Re-running 2 evaluation(s)" in body
    assert "not finished yet" in body
    evaluations = Evaluation.objects.filter(interview__in=[done, failed]).order_by("interview_id")
    assert [(e.status, e.reason) for e in evaluations] == [(EvaluationStatus.DONE, "")] * 2
    assert [e.attempts for e in evaluations] == [2, 1]
    assert not Evaluation.objects.filter(interview=in_progress).exists()


def test_staff__rerun_from_the_evaluation_list_calls_the_same_service(
    staff_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    interview = _finished()
    evaluation = evaluation_fail(interview_id=interview.pk, reason="provider down")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        staff_client.post(
            "/admin/interviews/evaluation/",
            {"action": "action_rerun_evaluation", "_selected_action": [evaluation.pk]},
        )
    assert len(callbacks) == 1
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.reason) == (EvaluationStatus.PENDING, "")


def test_staff__rerun_button_on_a_finished_interview_reruns_it_and_needs_a_post(
    staff_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    interview = _finished()
    evaluation_fail(interview_id=interview.pk, reason="provider down")
    change_url = f"/admin/interviews/interview/{interview.pk}/change/"
    rerun_url = f"/admin/interviews/interview/{interview.pk}/rerun-evaluation/"
    assert rerun_url in staff_client.get(change_url).content.decode()
    assert staff_client.get(rerun_url).status_code == 405

    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(rerun_url)

    assert response.status_code == 302
    assert response["Location"] == change_url
    evaluation = Evaluation.objects.get(interview=interview)
    assert evaluation.status == EvaluationStatus.DONE
    assert f"{evaluation.overall_score} / 5" in staff_client.get(change_url).content.decode()


def test_rerun_button__is_not_offered_before_the_interview_finishes(staff_client: Client) -> None:
    interview = make_interview().interview
    body = staff_client.get(f"/admin/interviews/interview/{interview.pk}/change/").content.decode()
    assert "rerun-evaluation" not in body

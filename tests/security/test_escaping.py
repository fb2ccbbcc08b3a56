"""Candidate-supplied text (name, role, topic, answers, quotes of answers) is escaped wherever
it is rendered: the candidate page, the admin's lists, forms, transcript, evaluation report and
messages, and the error pages. The candidate page's script only ever sets textContent."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from interviews.models import Interview, Turn
from interviews.services.evaluation import evaluation_run
from tests.factories import STRONG_ANSWER, make_interview, run_to_completion
from tests.security.helpers import fresh_address

pytestmark = pytest.mark.django_db

PAYLOADS = (
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(2)>",
)
HOSTILE = " ".join(PAYLOADS)
STATIC = Path(__file__).resolve().parents[2] / "static"


def _assert_inert(body: str) -> None:
    for payload in PAYLOADS:
        assert payload not in body, f"unescaped: {payload}"
    assert "&lt;script&gt;alert(" in body, "the text is shown, escaped"


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_user("esc-ops", is_staff=True, is_superuser=True))
    return client


def test_candidate_page__name_role_and_topic_are_escaped() -> None:
    created = make_interview(candidate_name=HOSTILE, role=HOSTILE, topic=HOSTILE)

    response = Client(REMOTE_ADDR=fresh_address()).get(created.invite_path)

    assert response.status_code == 200
    _assert_inert(response.content.decode())


def test_candidate_script__never_writes_html() -> None:
    scripts = list((STATIC / "interviews").glob("*.js"))
    sinks = re.compile(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\(")

    found = {str(p.name): sinks.findall(p.read_text()) for p in scripts}

    assert scripts
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_admin__changelist_and_search_echo_are_escaped(staff_client: Client) -> None:
    make_interview(candidate_name=HOSTILE, role=HOSTILE, topic=HOSTILE)

    listing = staff_client.get("/admin/interviews/interview/")
    search = staff_client.get("/admin/interviews/interview/", {"q": PAYLOADS[0]})

    _assert_inert(listing.content.decode())
    assert PAYLOADS[0] not in search.content.decode()


def test_admin__transcript_and_evaluation_report_escape_answers_and_quotes(
    staff_client: Client,
) -> None:
    created = make_interview(candidate_name=HOSTILE, question_count=1)
    interview = run_to_completion(created.interview.pk, text=f"{STRONG_ANSWER} {HOSTILE}")
    evaluation_run(interview_id=interview.pk)
    assert Turn.objects.filter(interview=interview, text__contains=PAYLOADS[0]).exists()

    change = staff_client.get(f"/admin/interviews/interview/{interview.pk}/change/")
    turns = staff_client.get("/admin/interviews/turn/", {"q": "xss"})
    evaluations = staff_client.get("/admin/interviews/evaluation/")

    assert change.status_code == 200
    _assert_inert(change.content.decode())
    _assert_inert(turns.content.decode())
    for payload in PAYLOADS:
        assert payload not in evaluations.content.decode()


def test_admin__invite_action_message_escapes_the_candidate_name(staff_client: Client) -> None:
    created = make_interview(candidate_name=HOSTILE)

    response = staff_client.post(
        "/admin/interviews/interview/",
        {"action": "action_new_invite", "_selected_action": [created.interview.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert len(response.context["messages"]) == 1
    _assert_inert(response.content.decode())
    assert Interview.objects.get(pk=created.interview.pk).token_hash != created.interview.token_hash


def test_error_pages__never_echo_the_path() -> None:
    client = Client(REMOTE_ADDR=fresh_address())

    page = client.get(f"/nowhere/{PAYLOADS[1]}/")
    invite = client.get(f"/i/{PAYLOADS[2]}/")
    as_json = client.get(f"/api/{PAYLOADS[0]}/", HTTP_ACCEPT="application/json")

    assert (page.status_code, invite.status_code, as_json.status_code) == (404, 404, 404)
    for response in (page, invite, as_json):
        for payload in PAYLOADS:
            assert payload not in response.content.decode()

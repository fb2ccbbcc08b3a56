import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from interviews.models import Interview
from interviews.services.tokens import interview_authenticate

pytestmark = pytest.mark.django_db


def test_create_interview_json__prints_the_contract_and_the_token_opens_it() -> None:
    out = StringIO()
    call_command(
        "create_interview",
        "--candidate=Ada",
        "--role=Engineer",
        "--topic=python",
        "--difficulty=easy",
        "--language=en",
        "--questions=3",
        "--json",
        stdout=out,
    )
    payload = json.loads(out.getvalue())
    assert {"id", "room_id", "token", "invite_url", "ws_url"} <= payload.keys()
    assert payload["ws_url"].startswith("ws://")
    assert payload["ws_url"].endswith(
        f"/ws/interviews/{payload['room_id']}/?token={payload['token']}"
    )
    interview = interview_authenticate(room_id=payload["room_id"], token=payload["token"])
    assert (interview.pk, interview.question_count, interview.difficulty) == (
        payload["id"],
        3,
        "easy",
    )


@pytest.mark.parametrize("questions", ["0", "51"])
def test_create_interview__refuses_a_question_count_out_of_range(questions: str) -> None:
    with pytest.raises(CommandError, match="between 1 and 50"):
        call_command(
            "create_interview", "--candidate=A", "--role=R", "--topic=T", f"--questions={questions}"
        )
    assert not Interview.objects.exists()


def test_demo_setup__creates_a_staff_user_and_an_interview_and_prints_links() -> None:
    out = StringIO()
    call_command("demo_setup", stdout=out)
    text = out.getvalue()
    assert "/admin/" in text
    assert "password:" in text
    assert "/i/" in text
    assert Interview.objects.count() == 1

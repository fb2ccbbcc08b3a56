"""Every interviewer turn, follow-ups included, carries who wrote it: its source and provider
on the Turn row, its source and whether it is degraded in the frame, and both in the admin
transcript. Real services, real providers over HTTP against the fake LLM, real breakers."""

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import Client

from interviews.fake_llm.server import FakeLLMHandle
from interviews.llm.offline import load_bank
from interviews.models import Turn, TurnKind
from interviews.selectors import turn_event
from interviews.services.evaluation import evaluation_run
from interviews.services.interviews import (
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from resilience.background import breaker_side_effects
from resilience.breakers.registry import reset_registry
from tests.factories import STRONG_ANSWER, make_interview
from tests.interviews.llm_support import KEY, start_fake
from tests.interviews.ws import connect, until

# Transactional: the breaker writes its transitions from a background thread.
pytestmark = pytest.mark.django_db(transaction=True)

THIN_ANSWER = "Not sure."  # every provider asks a follow-up to this


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMHandle]:
    with contextlib.ExitStack() as stack:
        yield start_fake(stack)


@pytest.fixture
def llm(server: FakeLLMHandle, settings: Any) -> Iterator[FakeLLMHandle]:
    server.control(mode="ok", reset_counts=True)
    settings.OPENAI_BASE_URL = f"{server.base_url}/v1"
    settings.OPENAI_API_KEY = KEY
    settings.ANTHROPIC_BASE_URL = server.base_url
    settings.ANTHROPIC_API_KEY = KEY
    settings.LLM_TIMEOUT_SECONDS = 2.0
    settings.MAX_RETRY_ATTEMPTS = 1
    settings.BREAKER_STORE = "resilience.breakers.stores.memory.MemoryStore"
    load_bank()  # parsed once per process; not inside the first step's time budget
    reset_registry()
    try:
        yield server
    finally:
        breaker_side_effects.drain(10)
        reset_registry()


def _question_and_follow_up() -> tuple[Turn, Turn]:
    interview_id = make_interview(question_count=2).interview.pk
    interview_start(interview_id=interview_id)
    [question] = interview_advance(interview_id=interview_id)
    interview_answer_submit(interview_id=interview_id, text=THIN_ANSWER, client_msg_id=uuid.uuid4())
    [follow_up] = interview_advance(interview_id=interview_id)
    assert (question.kind, follow_up.kind) == (TurnKind.QUESTION, TurnKind.FOLLOW_UP)
    return Turn.objects.get(pk=question.pk), Turn.objects.get(pk=follow_up.pk)


def _labels(turn: Turn) -> tuple[str, str, bool]:
    event = turn_event(turn, total=2)
    assert (event["source"], event["provider"]) == (turn.source, turn.provider)
    return turn.source, turn.provider, event["degraded"]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_healthy_llm__question_and_follow_up_are_labelled_llm_and_that_provider(
    llm: FakeLLMHandle, settings: Any, provider: str
) -> None:
    settings.LLM_PROVIDERS = [provider, "offline"]
    question, follow_up = _question_and_follow_up()
    assert _labels(question) == ("llm", provider, False)
    assert _labels(follow_up) == ("llm", provider, False)
    assert llm.status()["by_task"]["follow_up"] == 1


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_llm_down__offline_question_and_follow_up_are_labelled_offline_and_degraded(
    llm: FakeLLMHandle, settings: Any, provider: str
) -> None:
    settings.LLM_PROVIDERS = [provider, "offline"]
    llm.control(mode="error500")
    question, follow_up = _question_and_follow_up()
    assert _labels(question) == ("offline", "offline", True)
    assert _labels(follow_up) == ("offline", "offline", True)
    assert llm.status()["by_task"]["follow_up"] == 1, "the LLM was asked first"


def test_offline_only__question_and_follow_up_are_offline_and_not_degraded(
    llm: FakeLLMHandle, settings: Any
) -> None:
    settings.LLM_PROVIDERS = ["offline"]
    question, follow_up = _question_and_follow_up()
    assert _labels(question) == ("offline", "offline", False)
    assert _labels(follow_up) == ("offline", "offline", False)
    assert llm.status()["requests"] == 0


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_admin_transcript__shows_the_follow_ups_source_and_provider(
    llm: FakeLLMHandle, settings: Any, client: Client, provider: str
) -> None:
    settings.LLM_PROVIDERS = [provider, "offline"]
    _, follow_up = _question_and_follow_up()
    user = User.objects.create_user("staff", password="pw-123456", is_staff=True, is_superuser=True)
    client.force_login(user)
    page = client.get(f"/admin/interviews/interview/{follow_up.interview_id}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "gateway" not in body
    row = body[body.index(follow_up.text[:40]) :]
    row = row[: row.index("</tr>")]
    assert "LLM" in row
    assert provider in row


def _answer(interview_id: int) -> None:
    interview_answer_submit(
        interview_id=interview_id, text=STRONG_ANSWER, client_msg_id=uuid.uuid4()
    )
    interview_advance(interview_id=interview_id)


def _report_item(body: str, index: int) -> str:
    item = body[body.index(f'<li data-question="{index}">') :]
    return item[: item.index("</li>")]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_evaluation_report__each_question_shows_its_provider_and_source_from_the_turn(
    llm: FakeLLMHandle, settings: Any, admin_client: Client, provider: str
) -> None:
    settings.LLM_PROVIDERS = [provider, "offline"]
    interview_id = make_interview(question_count=2).interview.pk
    interview_start(interview_id=interview_id)
    interview_advance(interview_id=interview_id)  # question 1: the LLM
    llm.control(mode="error500")
    interview_answer_submit(
        interview_id=interview_id, text=STRONG_ANSWER, client_msg_id=uuid.uuid4()
    )
    interview_advance(interview_id=interview_id)  # question 2: offline stands in
    llm.control(mode="ok")
    interview_answer_submit(
        interview_id=interview_id, text=STRONG_ANSWER, client_msg_id=uuid.uuid4()
    )
    interview_advance(interview_id=interview_id)  # the end
    evaluation_run(interview_id=interview_id)
    body = admin_client.get(f"/admin/interviews/interview/{interview_id}/change/").content.decode()
    first, second = _report_item(body, 1), _report_item(body, 2)
    assert 'data-source="llm"' in first
    assert f'data-provider="{provider}"' in first
    assert 'data-source="offline"' in second
    assert 'data-provider="offline"' in second
    assert "⚠" in second.split("—")[0], "a stand-in question is marked in its label"
    assert "gateway" not in body


@pytest.mark.parametrize(
    ("mode", "labels", "status"),
    [
        ("ok", ("llm", "openai", False), "ok"),
        ("error500", ("offline", "offline", True), "degraded"),
    ],
)
async def test_socket__follow_up_frame_and_status_carry_who_wrote_it(
    llm: FakeLLMHandle, settings: Any, mode: str, labels: tuple[str, str, bool], status: str
) -> None:
    settings.LLM_PROVIDERS = ["openai", "offline"]
    created = await database_sync_to_async(make_interview)(question_count=2)
    comm = await connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")
    llm.control(mode=mode)
    await comm.send_json_to(
        {"type": "answer", "text": THIN_ANSWER, "client_msg_id": str(uuid.uuid4())}
    )
    follow_up = (await until(comm, "follow_up"))[-1]
    assert (follow_up["source"], follow_up["provider"], follow_up["degraded"]) == labels
    assert (await until(comm, "status"))[-1]["state"] == status
    await comm.disconnect()

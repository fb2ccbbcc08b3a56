"""LLM-written coding questions over the fake LLM's real HTTP protocol: used only once their
reference solution has passed their own tests in the sandbox (through the `sandbox` queue, run
eagerly here on the real local runner); a broken one, or a malformed reply, falls back to the
offline bank, and the question says who wrote it."""

from typing import Any

import pytest

from interviews.fake_llm.server import FakeLLMHandle
from interviews.models import Turn, TurnKind
from interviews.services.interviews import interview_advance, interview_start
from sandbox.models import RunState, SandboxRun
from tests.factories import make_interview
from tests.interviews.coding_support import eager
from tests.interviews.evaluation_support import use_provider_at

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["eager"]  # the fixture, imported for the tests here


def _coding_question(language: str = "python") -> Turn:
    interview = make_interview(question_count=1, coding_count=1, coding_language=language).interview
    interview_start(interview_id=interview.pk)
    interview_advance(interview_id=interview.pk)
    return interview.turns.get(kind=TurnKind.QUESTION)


@pytest.mark.parametrize("language", ["python", "javascript"])
def test_llm_coding_question__used_once_its_solution_passes_its_tests_in_the_sandbox(
    eager: None, settings: Any, fake: FakeLLMHandle, language: str
) -> None:
    use_provider_at(settings, "openai", fake.base_url)

    turn = _coding_question(language)

    assert (turn.source, turn.provider, turn.meta["degraded"]) == ("llm", "openai", False)
    coding = turn.meta["coding"]
    assert (coding["title"], coding["language"], coding["key"]) == ("Capped total", language, "")
    assert coding["solution"]
    assert len(coding["hidden"]) == 3
    (run,) = SandboxRun.objects.all()
    assert run.state == RunState.DONE
    assert run.code == coding["solution"]
    assert (run.result or {}).get("status") == "passed"
    assert fake.status()["by_task"] == {"generate_coding_question": 1}


def test_llm_coding_question_whose_solution_fails__thrown_away_for_the_offline_bank(
    eager: None, settings: Any, fake: FakeLLMHandle, caplog: pytest.LogCaptureFixture
) -> None:
    use_provider_at(settings, "openai", fake.base_url)
    fake.control(broken_code=True)

    turn = _coding_question()

    assert (turn.source, turn.provider, turn.meta["degraded"]) == ("offline", "offline", True)
    assert turn.meta["coding"]["key"].startswith("py-"), "a bank question"
    (run,) = SandboxRun.objects.all()
    assert (run.result or {}).get("status") == "failed", "the LLM's solution was run, and failed"
    assert "does not pass its own tests" in caplog.text
    assert "over the limit" in caplog.text, "the failed test is named"


def test_malformed_coding_reply__falls_back_to_the_bank_without_running_anything(
    eager: None, settings: Any, fake: FakeLLMHandle
) -> None:
    use_provider_at(settings, "openai", fake.base_url)
    fake.control(mode="malformed")

    turn = _coding_question()

    assert (turn.source, turn.meta["degraded"]) == ("offline", True)
    assert not SandboxRun.objects.exists()


def test_fake_control__broken_code_is_a_checked_switch(fake: FakeLLMHandle) -> None:
    assert fake.control(broken_code=True)["broken_code"] is True
    response = fake.client.post("/_control", json={"broken_code": "yes"})
    assert response.status_code == 400
    assert "broken_code" in response.text

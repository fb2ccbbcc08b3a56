"""LLM_PROVIDERS validation: the system check and the gateway fail early with clear messages."""

from typing import Any

import pytest
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from interviews.checks import check_llm_providers
from interviews.llm.gateway import get_interviewer, interviewer_step


def _messages() -> list[str]:
    errors = check_llm_providers()
    assert all(isinstance(e, Error) and e.id == "interviews.E001" for e in errors)
    return [e.msg for e in errors]


def test_default_offline__passes_the_check_and_builds_a_chain(settings: Any) -> None:
    settings.LLM_PROVIDERS = ["offline"]
    assert _messages() == []
    assert [p.name for p in get_interviewer().providers] == ["offline"]


def test_unknown_provider__names_it_and_the_known_ones(settings: Any) -> None:
    settings.LLM_PROVIDERS = ["openai", "gemini", "offline"]
    settings.OPENAI_API_KEY = "sk-test"
    assert _messages() == [
        "LLM_PROVIDERS names unknown provider(s) 'gemini'; known providers are openai, "
        "anthropic, offline."
    ]


def test_remote_provider_without_key__says_which_setting_is_missing(
    settings: Any,
) -> None:
    settings.LLM_PROVIDERS = ["openai", "anthropic", "offline"]
    settings.OPENAI_API_KEY = "sk-test"
    settings.ANTHROPIC_API_KEY = "  "
    assert _messages() == [
        "LLM_PROVIDERS includes 'anthropic' but ANTHROPIC_API_KEY is empty; set the key or "
        "remove 'anthropic' from LLM_PROVIDERS."
    ]


def test_empty_or_duplicated_list__is_reported(settings: Any) -> None:
    settings.LLM_PROVIDERS = []
    assert _messages() == [
        "LLM_PROVIDERS is empty; list at least one of openai, anthropic, offline."
    ]
    settings.LLM_PROVIDERS = ["offline", "offline"]
    assert _messages() == ["LLM_PROVIDERS lists 'offline' more than once."]


def test_manage_py_check__fails_with_the_message(settings: Any) -> None:
    settings.LLM_PROVIDERS = ["openai"]
    settings.OPENAI_API_KEY = ""
    with pytest.raises(SystemCheckError, match=r"interviews\.E001.*OPENAI_API_KEY is empty"):
        call_command("check")


def test_get_interviewer__misconfigured_raises_improperly_configured(
    settings: Any,
) -> None:
    settings.LLM_PROVIDERS = ["openai", "offline"]
    settings.OPENAI_API_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="OPENAI_API_KEY is empty"):
        get_interviewer()


def test_get_interviewer__rebuilt_when_llm_settings_change(settings: Any) -> None:
    settings.LLM_PROVIDERS = ["offline"]
    first = get_interviewer()
    assert get_interviewer() is first
    settings.LLM_PROVIDERS = ["anthropic", "offline"]
    settings.ANTHROPIC_API_KEY = "test-key"
    settings.ANTHROPIC_BASE_URL = "http://127.0.0.1:18199"
    second = get_interviewer()
    assert second is not first
    assert [p.name for p in second.providers] == ["anthropic", "offline"]
    assert second.config.timeout == settings.LLM_TIMEOUT_SECONDS


def test_interviewer_step__lasts_one_llm_timeout(settings: Any) -> None:
    settings.LLM_TIMEOUT_SECONDS = 2.0
    with interviewer_step() as deadline:
        assert 1.5 < deadline.remaining() <= 2.0

"""The breaker admin: live state, operator actions that log the staff user, validation."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from resilience.breakers import BreakerOpen, State, get_breaker
from resilience.breakers.registry import expire_policies
from resilience.breakers.selectors import breaker_snapshots
from resilience.models import BreakerConfig, BreakerEvent, BreakerEventKind

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.resilience.urls")]

CHANGELIST = "admin:resilience_breakerconfig_changelist"
Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def memory_store(settings: Any, fresh_registry: None) -> None:
    settings.BREAKER_STORE = "resilience.breakers.stores.memory.MemoryStore"


@pytest.fixture
def staff(admin_user: User, client: Client) -> User:
    client.force_login(admin_user)
    return admin_user


def opened_breaker(name: str) -> BreakerConfig:
    breaker = get_breaker(name)
    assert breaker.policy  # first use creates the row
    BreakerConfig.objects.filter(name=name).update(failure_threshold=2)
    expire_policies()  # reload now rather than within the next second
    for _ in range(2):
        with pytest.raises(TimeoutError):
            breaker.call(lambda: (_ for _ in ()).throw(TimeoutError()))
    return BreakerConfig.objects.get(name=name)


def act(client: Client, action: str, *configs: BreakerConfig) -> Any:
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [c.pk for c in configs]},
        follow=True,
    )


def test_changelist__shows_live_state_read_from_the_store(client: Client, staff: User) -> None:
    opened_breaker("llm.openai")
    assert get_breaker("llm.anthropic").call(lambda: "fine") == "fine"
    page = client.get(reverse(CHANGELIST)).content.decode()
    rows = {row.split("</th>")[0]: row for row in page.split('<th class="field-name">')[1:]}
    openai = next(row for key, row in rows.items() if "llm.openai" in key)
    anthropic = next(row for key, row in rows.items() if "llm.anthropic" in key)
    assert '<td class="field-live_state">open</td>' in openai
    assert '<td class="field-failure_rate">100%</td>' in openai
    assert '<td class="field-consecutive_failures">2</td>' in openai
    assert re.search(r'<td class="field-half_open_in">\d+\.\ds</td>', openai)
    assert '<td class="field-live_state">closed</td>' in anthropic
    assert '<td class="field-calls_in_window">1</td>' in anthropic


def test_action_force_open__rejects_calls_and_records_the_staff_user(
    client: Client, staff: User, django_capture_on_commit_callbacks: Capture
) -> None:
    config = BreakerConfig.objects.create(name="llm.evaluation")
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, "force_open", config)
    assert response.status_code == 200
    config.refresh_from_db()
    assert config.mode == "forced_open"
    event = BreakerEvent.objects.get(breaker_name="llm.evaluation")
    assert (event.kind, event.user, event.details) == (
        BreakerEventKind.FORCED_OPEN,
        staff,
        {"previous_mode": "normal"},
    )
    with pytest.raises(BreakerOpen) as rejected:
        get_breaker("llm.evaluation").call(lambda: None)
    assert rejected.value.forced


def test_actions_force_closed_then_back_to_normal__each_logged(
    client: Client, staff: User, django_capture_on_commit_callbacks: Capture
) -> None:
    config = opened_breaker("llm.openai")
    with django_capture_on_commit_callbacks(execute=True):
        act(client, "force_closed", config)
    assert get_breaker("llm.openai").call(lambda: "let through") == "let through"
    with django_capture_on_commit_callbacks(execute=True):
        act(client, "restore_normal", config)
    with pytest.raises(BreakerOpen):  # normal again: the stored state (open) applies
        get_breaker("llm.openai").call(lambda: None)
    kinds = list(
        BreakerEvent.objects.filter(breaker_name="llm.openai", user=staff)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [BreakerEventKind.FORCED_CLOSED, BreakerEventKind.NORMAL]


def test_action_reset__closes_the_breaker_and_records_the_staff_user(
    client: Client, staff: User
) -> None:
    config = opened_breaker("llm.openai")
    act(client, "reset", config)
    assert get_breaker("llm.openai").snapshot().state == State.CLOSED
    assert get_breaker("llm.openai").call(lambda: "through") == "through"
    event = BreakerEvent.objects.get(kind=BreakerEventKind.RESET)
    assert (event.user, event.from_state, event.to_state) == (staff, "open", "closed")


def form_data(config: BreakerConfig, **changes: Any) -> dict[str, Any]:
    data = model_to_dict(config, exclude=["id", "name", "created_at", "updated_at"])
    data.update(changes)
    return {key: value for key, value in data.items() if value is not False}


def test_change_form__rejects_an_invalid_combination_with_the_field_message(
    client: Client, staff: User
) -> None:
    config = BreakerConfig.objects.create(name="llm.openai")
    url = reverse("admin:resilience_breakerconfig_change", args=[config.pk])
    response = client.post(url, form_data(config, success_threshold=5, half_open_max_calls=3))
    assert response.status_code == 200
    assert "could never close" in response.content.decode()
    config.refresh_from_db()
    assert config.success_threshold == 3
    assert not BreakerEvent.objects.exists()


def test_change_form__saving_logs_what_changed_and_who_changed_it(
    client: Client, staff: User
) -> None:
    config = BreakerConfig.objects.create(name="llm.openai")
    url = reverse("admin:resilience_breakerconfig_change", args=[config.pk])
    response = client.post(url, form_data(config, failure_threshold=4, critical=True))
    assert response.status_code == 302
    config.refresh_from_db()
    assert (config.failure_threshold, config.critical) == (4, True)
    event = BreakerEvent.objects.get()
    assert (event.kind, event.user) == (BreakerEventKind.CONFIG_CHANGED, staff)
    assert event.details["changed"] == {"failure_threshold": 4, "critical": True}


def test_event_log__is_read_only(client: Client, staff: User) -> None:
    BreakerEvent.objects.create(breaker_name="llm.openai", kind=BreakerEventKind.RESET)
    assert client.get(reverse("admin:resilience_breakerevent_changelist")).status_code == 200
    assert client.get(reverse("admin:resilience_breakerevent_add")).status_code == 403


def test_breaker_snapshots__list_every_breaker_with_its_live_state() -> None:
    opened_breaker("llm.openai")
    BreakerConfig.objects.create(name="llm.anthropic")
    listed = [(config.name, snapshot) for config, snapshot in breaker_snapshots()]
    # Every configured breaker, in name order (other apps may configure their own, e.g. `rag`).
    configured = sorted(BreakerConfig.objects.values_list("name", flat=True))
    assert [name for name, _ in listed] == configured
    states = {name: snapshot.state if snapshot else None for name, snapshot in listed}
    assert {"llm.anthropic", "llm.openai"} <= set(states)
    assert (states["llm.anthropic"], states["llm.openai"]) == (State.CLOSED, State.OPEN)

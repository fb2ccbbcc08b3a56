"""The staff JSON API at /api/admin/dlq/: who may use it, what it lists, what bad input gets."""

import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from resilience.dlq.models import DeadLetter, DeadLetterStatus
from resilience.dlq.services import dead_letter_capture

pytestmark = pytest.mark.django_db

URL = "/api/admin/dlq/"
EVAL = "tests.dlq.evaluate"  # names only: nothing here may run on a worker
MAIL = "tests.dlq.send_mail"


def entry(task_id: str, task: str = EVAL, queue: str = "evaluation") -> DeadLetter:
    return dead_letter_capture(
        task_name=task,
        task_id=task_id,
        queue=queue,
        args=[],
        kwargs={"interview_id": 7},
        exception_type="httpx.ReadTimeout",
        exception_message="timed out",
        traceback="Traceback ...",
        attempts=3,
    )


ALL_PERMISSIONS = ("view", "change", "delete")


def client_for(*, staff: bool, csrf: bool = False, perms: tuple[str, ...] = ()) -> Client:
    """A signed-in client; staff get the dead-letter permissions in `perms`."""
    client = Client(enforce_csrf_checks=csrf, raise_request_exception=False)
    user = User.objects.create_user(f"someone{''.join('-' + p for p in perms)}", is_staff=staff)
    if staff:
        codenames = [f"{perm}_deadletter" for perm in perms]
        user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def post(client: Client, body: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json")


def error(response: Any) -> tuple[int, str]:
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()["error"]["code"]


@pytest.fixture
def staff() -> Client:
    return client_for(staff=True, perms=ALL_PERMISSIONS)


def test_anonymous_and_non_staff__403_in_the_error_envelope() -> None:
    anonymous = Client(raise_request_exception=False)
    assert error(anonymous.get(URL)) == (403, "forbidden")
    assert error(post(anonymous, {"action": "clear"})) == (403, "forbidden")
    member = client_for(staff=False)
    assert error(member.get(URL)) == (403, "forbidden")
    assert error(post(member, {"action": "discard", "all": True})) == (403, "forbidden")
    body = member.get(URL).json()["error"]
    assert {"message", "retryable", "error_id", "request_id"} <= set(body)


# Each action, the permission the dead-letter admin needs for it, and the permissions that do
# not grant it (in the admin, change implies view).
NEEDS = {"list": "view", "retry": "change", "discard": "change", "clear": "delete"}
NOT_ENOUGH = {
    "list": ("delete",),
    "retry": ("view", "delete"),
    "discard": ("view", "delete"),
    "clear": ("view", "change"),
}


def _attempt(client: Client, action: str) -> Any:
    if action == "list":
        return client.get(URL, {"status": "all"})
    body: dict[str, Any] = {"action": action}
    if action != "clear":
        body["all"] = True
    return post(client, body)


@pytest.mark.parametrize("action", NEEDS)
def test_staff_without_the_admins_permission__403_and_nothing_changes(action: str) -> None:
    entry("perm-1")
    entry("perm-done")
    DeadLetter.objects.filter(task_id="perm-done").update(status=DeadLetterStatus.RESOLVED)
    before = sorted(DeadLetter.objects.values_list("task_id", "status", "retry_count"))

    refused = _attempt(client_for(staff=True, perms=()), action)
    refused_with_the_others = _attempt(client_for(staff=True, perms=NOT_ENOUGH[action]), action)

    assert error(refused) == (403, "forbidden")
    assert error(refused_with_the_others) == (403, "forbidden")
    assert "Traceback" not in refused.content.decode()
    assert sorted(DeadLetter.objects.values_list("task_id", "status", "retry_count")) == before


@pytest.mark.parametrize("action", ["list", "discard", "clear"])
def test_staff_with_only_the_needed_permission__allowed(action: str) -> None:
    entry("perm-2")

    response = _attempt(client_for(staff=True, perms=(NEEDS[action],)), action)

    assert response.status_code == 200, response.content[:300]


def test_get__stats_and_pending_entries_filtered_by_queue_task_and_limit(staff: Client) -> None:
    for i in range(3):
        entry(f"e-{i}")
    entry("m-0", task=MAIL, queue="maintenance")
    DeadLetter.objects.filter(task_id="e-2").update(status=DeadLetterStatus.RESOLVED)

    everything = staff.get(URL).json()
    assert everything["stats"]["pending"] == 3
    assert everything["stats"]["pending_by_task"] == {EVAL: 2, MAIL: 1}
    assert everything["stats"]["oldest_pending_age_seconds"] >= 0
    assert everything["count"] == 3

    narrowed = staff.get(URL, {"queue": "evaluation", "task": EVAL, "limit": "1"}).json()
    assert narrowed["count"] == 2
    assert len(narrowed["entries"]) == 1
    first = narrowed["entries"][0]
    assert (first["task"], first["queue"], first["kwargs"]) == (
        EVAL,
        "evaluation",
        {"interview_id": 7},
    )
    assert (first["exception_type"], first["traceback"]) == ("httpx.ReadTimeout", "Traceback ...")
    assert narrowed["stats"]["pending_by_task"] == {EVAL: 2}

    resolved = staff.get(URL, {"status": "resolved"}).json()
    assert [e["task_id"] for e in resolved["entries"]] == ["e-2"]
    assert staff.get(URL, {"status": "all"}).json()["count"] == 4


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "x"}, "invalid_limit"),
        ({"status": "lost"}, "invalid_status"),
    ],
)
def test_get_with_bad_parameters__400(staff: Client, query: dict, code: str) -> None:
    assert error(staff.get(URL, query)) == (400, code)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        ({"action": "explode", "ids": [1]}, "unknown_action"),
        ({"ids": [1]}, "unknown_action"),
        ({"action": "retry"}, "invalid_selection"),
        ({"action": "retry", "ids": [1], "all": True}, "invalid_selection"),
        ({"action": "discard", "ids": "1"}, "invalid_ids"),
        ({"action": "discard", "ids": []}, "invalid_ids"),
        ({"action": "discard", "ids": [-1]}, "invalid_ids"),
        ({"action": "discard", "ids": [True]}, "invalid_ids"),
        ({"action": "discard", "ids": [999999]}, "unknown_ids"),
        ({"action": "discard", "all": True, "task": 5}, "invalid_task"),
    ],
)
def test_post_with_bad_input__400_and_nothing_changes(staff: Client, body: Any, code: str) -> None:
    kept = entry("e-1")
    assert error(post(staff, body)) == (400, code)
    assert DeadLetter.objects.get(pk=kept.pk).status == DeadLetterStatus.PENDING


def test_post_discard__by_ids_and_by_filter(staff: Client) -> None:
    one, two = entry("e-1"), entry("e-2")
    other = entry("m-1", task=MAIL, queue="maintenance")

    assert post(staff, {"action": "discard", "ids": [one.pk]}).json()["discarded"] == 1
    by_filter = post(staff, {"action": "discard", "all": True, "task": EVAL}).json()

    assert by_filter["discarded"] == 1
    statuses = dict(DeadLetter.objects.values_list("pk", "status"))
    assert statuses == {one.pk: "discarded", two.pk: "discarded", other.pk: "pending"}
    who = DeadLetter.objects.filter(pk=one.pk).values_list("discarded_by__username", flat=True)
    assert list(who) == ["someone-view-change-delete"]


def test_post_retry__links_a_new_task_id_to_each_entry(
    staff: Client, django_capture_on_commit_callbacks: Any
) -> None:
    one = entry("e-1")
    with django_capture_on_commit_callbacks(execute=True) as sent:
        body = post(staff, {"action": "retry", "ids": [one.pk]}).json()

    assert len(sent) == 1  # one task sent, after commit
    assert body["skipped"] == []
    assert body["send_failed"] == []
    [retried] = body["retried"]
    one.refresh_from_db()
    assert (retried["id"], retried["retry_task_id"]) == (one.pk, one.retry_task_id)
    assert one.status == DeadLetterStatus.RETRIED
    again = post(staff, {"action": "retry", "ids": [one.pk]}).json()
    assert again["retried"] == []
    assert again["skipped"] == [one.pk]


def test_post_clear__deletes_resolved_and_discarded_only(staff: Client) -> None:
    pending, resolved, discarded = entry("e-1"), entry("e-2"), entry("e-3")
    DeadLetter.objects.filter(pk=resolved.pk).update(status=DeadLetterStatus.RESOLVED)
    DeadLetter.objects.filter(pk=discarded.pk).update(status=DeadLetterStatus.DISCARDED)

    assert post(staff, {"action": "clear"}).json() == {"action": "clear", "deleted": 2}
    assert list(DeadLetter.objects.values_list("pk", flat=True)) == [pending.pk]


def test_post_without_a_csrf_token__403_envelope() -> None:
    client = client_for(staff=True, csrf=True, perms=ALL_PERMISSIONS)
    assert error(post(client, {"action": "clear"})) == (403, "forbidden")


def test_other_methods__405_envelope(staff: Client) -> None:
    assert error(staff.delete(URL)) == (405, "method_not_allowed")

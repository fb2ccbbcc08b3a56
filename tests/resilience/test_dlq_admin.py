"""The dead-letter admin: the morgue list with its stats header, filters, detail, actions."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from resilience.dlq.models import DeadLetter, DeadLetterStatus
from resilience.dlq.services import dead_letter_capture

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.resilience.urls")]

LIST = "/admin/resilience/deadletter/"
EVAL = "tests.dlq.evaluate"  # names only: nothing here may run on a worker
MAIL = "tests.dlq.send_mail"


def entry(task_id: str, task: str = EVAL, exc: str = "httpx.ReadTimeout") -> DeadLetter:
    return dead_letter_capture(
        task_name=task,
        task_id=task_id,
        queue="evaluation",
        args=[42, "x"],
        kwargs={"interview_id": 7},
        exception_type=exc,
        exception_message="timed out after 15s\nmore detail",
        traceback='Traceback (most recent call last):\n  File "t.py", line 3\nhttpx.ReadTimeout',
        attempts=3,
    )


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="x"))
    return client


def test_list__stats_header_and_morgue_columns_in_bounded_queries(
    admin_client: Client, django_assert_max_num_queries: Any
) -> None:
    for i in range(5):
        entry(f"e-{i}")
    entry("m-0", task=MAIL, exc="smtplib.SMTPException")

    with django_assert_max_num_queries(14):
        page = admin_client.get(LIST).content.decode()

    assert "Pending: 6" in page
    assert "oldest waiting" in page
    # Times for people: "Fri 4 Dec 2026, 18:20 UTC", never a raw "2026-12-04 18:20:10".
    caption = page[page.index("oldest waiting") :][:120]
    assert re.search(r"\(since \w{3} \d{1,2} \w{3} \d{4}, \d{2}:\d{2} \w+\)", caption), caption
    assert f"{EVAL}</a></td><td>5<" in page
    assert f"{MAIL}</a></td><td>1<" in page
    assert "42, &quot;x&quot;, interview_id=7" in page  # args preview
    assert "httpx.ReadTimeout: timed out after 15s" in page  # error class: message
    assert "more detail" not in page  # the first line only
    assert "Retry all matching" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status__exact": "discarded"}, {"e-2"}),
        ({"task": MAIL}, {"m-0"}),
        ({"exception_type": "smtplib.SMTPException"}, {"m-0"}),
        ({"q": "e-1"}, {"e-1"}),
    ],
)
def test_filters_and_search__narrow_the_list(
    admin_client: Client, query: dict, expected: set
) -> None:
    entry("e-1")
    entry("e-2")
    entry("m-0", task=MAIL, exc="smtplib.SMTPException")
    DeadLetter.objects.filter(task_id="e-2").update(status=DeadLetterStatus.DISCARDED)

    response = admin_client.get(LIST, query)

    assert response.status_code == 200
    shown = {row.task_id for row in response.context["cl"].result_list}
    assert shown == expected


def test_detail__shows_the_traceback_and_nothing_to_save(admin_client: Client) -> None:
    dead = entry("e-1")
    page = admin_client.get(f"{LIST}{dead.pk}/change/").content.decode()
    assert "Traceback (most recent call last):" in page
    assert "httpx.ReadTimeout" in page
    assert 'name="_save"' not in page


def test_discard_action__marks_selected_pending_entries(admin_client: Client) -> None:
    one, two = entry("e-1"), entry("e-2")
    response = admin_client.post(LIST, {"action": "discard_selected", "_selected_action": [one.pk]})
    assert response.status_code == 302
    assert DeadLetter.objects.get(pk=one.pk).status == DeadLetterStatus.DISCARDED
    assert DeadLetter.objects.get(pk=two.pk).status == DeadLetterStatus.PENDING


def test_retry_all_matching__confirms_first_then_retries_only_what_the_filter_matches(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    for i in range(3):
        entry(f"e-{i}")
    entry("m-0", task=MAIL)
    url = f"{LIST}retry-matching/?task={EVAL}"

    confirmation = admin_client.get(url)
    assert confirmation.status_code == 200
    assert confirmation.context["by_task"] == {EVAL: 3}
    assert not DeadLetter.objects.filter(status=DeadLetterStatus.RETRIED).exists()

    with django_capture_on_commit_callbacks(execute=True) as sent:
        done = admin_client.post(url)

    assert done.status_code == 302
    assert done["Location"] == f"{LIST}?task={EVAL}"
    assert len(sent) == 3
    statuses = dict(DeadLetter.objects.values_list("task_id", "status"))
    assert statuses == {"e-0": "retried", "e-1": "retried", "e-2": "retried", "m-0": "pending"}


def test_staff_without_permission__cannot_reach_the_list() -> None:
    client = Client()
    client.force_login(User.objects.create_user("viewer", is_staff=True))
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}retry-matching/").status_code == 403

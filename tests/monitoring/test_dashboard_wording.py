"""The dashboard in words and fast: a forced breaker says what it is and that it has no trial,
times are written out, force buttons ask first, and the page neither waits for the workers nor
costs more queries with more interviews (bench/dashboard_render.py has the timings)."""

import re
import uuid
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from resilience.breakers import get_breaker, registry
from resilience.breakers.services import breaker_force_closed, breaker_force_open, breaker_reset
from tests.factories import make_interview, run_to_completion
from tests.monitoring.test_dashboard import DASHBOARD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def breaker_name() -> Iterator[str]:
    name = f"test.words.{uuid.uuid4().hex[:10]}"
    registry.reset_registry()
    assert get_breaker(name).call(lambda: "ok") == "ok"
    yield name
    breaker_reset(name=name, user=None)
    registry.reset_registry()


@pytest.fixture
def oncall(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("oncall-words", password="x"))
    return client


def _row(page: str, name: str) -> str:
    match = re.search(rf'<tr data-breaker="{re.escape(name)}".*?</tr>', page, re.S)
    assert match, page[:500]
    return match.group(0)


def test_forced_open_breaker__in_words_with_no_trial_countdown(
    oncall: Client, breaker_name: str
) -> None:
    breaker_force_open(name=breaker_name, user=None, reason="provider incident")
    row = _row(oncall.get(f"{DASHBOARD}panels/").content.decode(), breaker_name)
    text = re.sub(r"<[^>]+>", " ", row)  # what is read, not the data attributes
    assert "Open: calls are refused" in text
    assert "Forced open (reject every call)" in text
    assert "none while forced" in text
    assert "forced_open" not in text
    assert "0.0 s" not in text
    assert not re.search(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d", text)


def test_forced_closed_breaker__in_words(oncall: Client, breaker_name: str) -> None:
    breaker_force_closed(name=breaker_name, user=None)
    text = re.sub(
        r"<[^>]+>", " ", _row(oncall.get(f"{DASHBOARD}panels/").content.decode(), breaker_name)
    )
    assert "Closed: calls go through" in text
    assert "forced_closed" not in text


def test_force_buttons__ask_for_confirmation_naming_the_breaker(
    oncall: Client, breaker_name: str
) -> None:
    row = _row(oncall.get(DASHBOARD).content.decode(), breaker_name)
    assert f'data-confirm="Force the {breaker_name} breaker open?' in row
    assert f'data-confirm="Force the {breaker_name} breaker closed?' in row
    assert "site/admin-behaviours.js" in oncall.get(DASHBOARD).content.decode()


def test_dashboard__as_of_in_words_and_the_page_does_not_wait_for_workers(oncall: Client) -> None:
    page = oncall.get(DASHBOARD).content.decode()
    assert re.search(r"As of \w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC", page)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", page)
    assert "Asking the workers…" in page  # the worker panel comes after, from /workers/
    workers = oncall.get(f"{DASHBOARD}workers/").content.decode()
    assert "Queues and workers: " in workers


def test_dashboard__queries_do_not_grow_with_interviews(oncall: Client) -> None:
    counts = []
    for extra in (1, 30):
        for _ in range(extra):
            make_interview()
        run_to_completion(make_interview(question_count=1).interview.pk)
        with CaptureQueriesContext(connection) as queries:
            assert oncall.get(DASHBOARD).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts

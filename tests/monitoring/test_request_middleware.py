"""Request ids, response times, slow-request logs and the log formats."""

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from interviewsite.celery import app
from monitoring.celery_status import broker_connection
from monitoring.context import bind_request_id, current_request_id
from monitoring.heartbeats import BEAT_TASK_NAME
from monitoring.hooks import REQUEST_ID_HEADER, bind_task_request_id, unbind_task_request_id
from monitoring.logging import RequestIdFilter, build_formatter
from monitoring.tasks import beat_heartbeat
from tests.monitoring.helpers import celery_broker, filesystem_broker_options

pytestmark = [pytest.mark.urls("tests.monitoring.urls"), pytest.mark.django_db]


@pytest.fixture
def client() -> Client:
    # Answer unhandled errors as production does instead of re-raising them in the test.
    return Client(raise_request_exception=False)


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the configured console handler (filter and formatter from settings) writes."""
    [handler] = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in h.filters)
    ]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def test_request_id__a_valid_client_id_is_echoed(client: Client) -> None:
    response = client.get("/health/live/", HTTP_X_REQUEST_ID="lb-7f3a.1_x")
    assert response["X-Request-ID"] == "lb-7f3a.1_x"


@pytest.mark.parametrize("sent", ["x" * 65, "bad id", "semi;colon", ""])
def test_request_id__an_unsafe_client_id_is_replaced(client: Client, sent: str) -> None:
    response = client.get("/health/live/", HTTP_X_REQUEST_ID=sent)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_request_id__generated_when_absent_and_in_the_error_envelope(client: Client) -> None:
    response = client.get("/api/nothing-here/")
    assert response.json()["error"]["request_id"] == response["X-Request-ID"]


def test_response_time__on_every_response(client: Client) -> None:
    for path in ("/health/live/", "/api/nothing-here/", "/api/test/crash/"):
        assert re.fullmatch(r"\d+\.\dms", client.get(path)["X-Response-Time"])


def test_every_log_line_of_a_request_carries_its_id(
    client: Client, log_output: io.StringIO, settings: Any
) -> None:
    settings.SLOW_REQUEST_THRESHOLD_SECONDS = 0.0
    client.get("/api/test/logs/", HTTP_X_REQUEST_ID="req-42")
    lines = [line for line in log_output.getvalue().splitlines() if "Traceback" not in line]
    assert any("inside the view" in line for line in lines)
    assert any("slow request" in line for line in lines)
    assert all("req-42" in line for line in lines), lines  # console or json: LOG_FORMAT


def test_slow_request__warning_with_route_and_id(
    client: Client, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SLOW_REQUEST_THRESHOLD_SECONDS = 0.0
    with caplog.at_level(logging.WARNING, logger="monitoring.middleware"):
        client.get("/api/test/logs/")
    [record] = [r for r in caplog.records if r.name == "monitoring.middleware"]
    assert record.levelno == logging.WARNING
    assert record.route == "api/test/logs/"  # type: ignore[attr-defined]
    assert "GET api/test/logs/" in record.getMessage()


def test_very_slow_request__error(
    client: Client, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SLOW_REQUEST_THRESHOLD_SECONDS = 0.0
    settings.VERY_SLOW_REQUEST_THRESHOLD_SECONDS = 0.0
    with caplog.at_level(logging.WARNING, logger="monitoring.middleware"):
        client.get("/api/test/logs/")
    [record] = [r for r in caplog.records if r.name == "monitoring.middleware"]
    assert record.levelno == logging.ERROR


def test_slow_request__health_reports_are_not_logged_as_slow(
    client: Client, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SLOW_REQUEST_THRESHOLD_SECONDS = 0.0
    with caplog.at_level(logging.WARNING, logger="monitoring.middleware"):
        client.get("/health/live/")
    assert [r for r in caplog.records if r.name == "monitoring.middleware"] == []


def test_json_log_format__one_object_per_line_with_the_request_id(settings: Any) -> None:
    settings.LOG_FORMAT = "json"
    record = logging.LogRecord("app", logging.WARNING, __file__, 1, "hello %s", ("you",), None)
    record.duration_ms = 12.5
    token = bind_request_id("req-json")
    try:
        RequestIdFilter().filter(record)
    finally:
        token.var.reset(token)
    line = json.loads(build_formatter().format(record))
    assert line["message"] == "hello you"
    assert (line["level"], line["logger"], line["request_id"]) == ("WARNING", "app", "req-json")
    assert line["duration_ms"] == 12.5
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["timestamp"])


def test_console_log_format__readable_line(settings: Any) -> None:
    settings.LOG_FORMAT = "console"
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "ready", (), None)
    RequestIdFilter().filter(record)
    assert build_formatter().format(record).endswith(" INFO app [-] ready")


# --- Celery: the id travels in a message header and is bound around the task --------------------
def test_task_publish__message_carries_the_current_request_id(tmp_path: Path) -> None:
    options = filesystem_broker_options(tmp_path)
    token = bind_request_id("req-task")
    try:
        with celery_broker("filesystem://", **options), broker_connection(app) as conn:
            app.send_task(BEAT_TASK_NAME, connection=conn)
    finally:
        token.var.reset(token)
    [message] = list(Path(options["data_folder_out"]).iterdir())
    assert json.loads(message.read_text())["headers"][REQUEST_ID_HEADER] == "req-task"


def test_task_run__binds_the_propagated_id_or_else_its_own_task_id() -> None:
    task: Any = beat_heartbeat  # push_request's stub takes the task's own arguments
    token = bind_request_id(None)
    try:
        task.push_request(id="t-1", **{REQUEST_ID_HEADER: "req-task"})
        bind_task_request_id(task_id="t-1", task=task)
        assert current_request_id() == "req-task"
        task.pop_request()
        task.push_request(id="t-2")
        bind_task_request_id(task_id="t-2", task=task)
        assert current_request_id() == "t-2"
        unbind_task_request_id()
        assert current_request_id() is None
    finally:
        task.pop_request()
        token.var.reset(token)

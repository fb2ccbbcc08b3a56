"""/metrics after real interviews over a real uvicorn with two worker processes."""

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.client import ORIGIN, take_interview
from tests.e2e.stack import free_port, stack
from tests.monitoring.helpers import pid_files, stack_env
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

Samples = list[tuple[str, dict[str, str], float]]


def scrape(port: int) -> tuple[str, Samples]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    samples = [
        (s.name, dict(s.labels), float(s.value))
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]
    return text, samples


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(
        value
        for sample, sample_labels, value in samples
        if sample == name and labels.items() <= sample_labels.items()
    )


def names(samples: Samples) -> set[str]:
    return {name for name, _, _ in samples}


async def leave_after_first_question(ws_url: str) -> int:
    async with websockets.connect(ws_url, origin=ORIGIN, open_timeout=10) as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "question":
                return int(frame["seq"])


async def resume(ws_url: str, last_seq: int) -> None:
    async with websockets.connect(ws_url, origin=ORIGIN, open_timeout=10) as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"type": "hello", "last_seq": last_seq}))
        while json.loads(await ws.recv())["type"] != "question":
            pass  # the pending question, shown again as current


async def refused(ws_url: str) -> int | None:
    async with websockets.connect(ws_url, origin=ORIGIN, open_timeout=10) as ws:  # type: ignore[arg-type]
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


def create_interview(running: Any) -> dict[str, Any]:
    running.manage("migrate", "--noinput")
    out = running.manage(
        "create_interview",
        *("--candidate", "Grace", "--role", "Engineer", "--topic", "sql"),
        *("--difficulty", "easy", "--questions", "2", "--json"),
    )
    return dict(json.loads(out))


def test_metrics__series_after_real_interviews_on_two_uvicorn_workers(tmp_path: Path) -> None:
    var = tmp_path / "var"
    metrics_dir = var / "prometheus"
    port = free_port()
    with stack(stack_env(var), tmp_path) as running:
        invite = create_interview(running)
        running.uvicorn(port, workers=2)
        base = f"127.0.0.1:{port}"
        ws_url = invite["ws_url"].replace("127.0.0.1:8000", base)
        token = invite["token"]
        page = httpx.get(invite["invite_url"].replace("127.0.0.1:8000", base), timeout=30)
        assert page.status_code == 200

        bad_token_close = asyncio.run(refused(ws_url.replace(token, "not-the-token")))
        first_question_seq = asyncio.run(leave_after_first_question(ws_url))
        asyncio.run(resume(ws_url, first_question_seq))
        frames = asyncio.run(take_interview(ws_url))
        assert frames[-1]["type"] == "completed"

        seen: list[dict[str, float]] = []

        def settled() -> tuple[str, Samples] | None:
            text, samples = scrape(port)
            counts = {
                name: total(samples, name)
                for name in ("interviews_ws_connections", "interviews_ws_disconnects_total")
            }
            seen[:] = [counts]
            closed = counts["interviews_ws_disconnects_total"] >= 4
            return (text, samples) if closed and counts["interviews_ws_connections"] == 0 else None

        try:
            text, samples = wait_for(settled, 60, "every socket to be counted closed")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last counts {seen}") from None

    assert bad_token_close == 4401
    assert token not in text, "raw paths (and their secrets) never become labels"
    assert total(samples, "interviews_ws_connects_total") == 4
    assert total(samples, "interviews_ws_reconnects_total") == 1
    assert total(samples, "interviews_ws_error_closes_total", code="4401") == 1
    # A consumer still sending when its client left ends without its disconnect handler
    # (counted as `aborted`); the resumed socket had nothing left to send.
    closed_normally = total(samples, "interviews_ws_disconnects_total", code="1000")
    aborted = total(samples, "interviews_ws_disconnects_total", code="aborted")
    assert closed_normally >= 1
    assert closed_normally + aborted == 3
    assert total(samples, "interviews_ws_frames_received_total") >= 3 + 2  # hellos + answers
    assert total(samples, "interviews_ws_frames_sent_total", type="question") >= 2
    assert total(samples, "interviews_ws_frames_sent_total", type="completed") == 1
    page_views = total(
        samples, "http_request_duration_seconds_count", route="i/<str:token>/", status="200"
    )
    assert page_views == 1
    # Counted at scrape time: no worker runs here, so the evaluation waits in the broker.
    assert total(samples, "interviews_evaluations", status="pending") == 1
    assert total(samples, "celery_queue_depth", queue="evaluation") == 1
    assert total(samples, "monitoring_collector_up", collector="queue_depth") == 1
    assert {"http_request_duration_seconds_bucket", "interviews_ws_connections"} <= names(samples)
    # Stopped gracefully: every process removed its live gauge file; counters stay.
    assert pid_files(metrics_dir, "gauge_livesum") == []
    assert pid_files(metrics_dir, "counter")

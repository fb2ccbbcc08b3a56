"""The web process as the Procfile starts it trusts no client's X-Forwarded-* headers.

uvicorn trusts X-Forwarded-For and X-Forwarded-Proto from 127.0.0.1 unless told otherwise:
rotating X-Forwarded-For got guesses past the token-guessing limit (each one counted under a
made-up address), and a forged `X-Forwarded-Proto: https` made the app send HSTS although
SECURE_PROXY_SSL_HEADER was unset. The documented commands set `--forwarded-allow-ips`
explicitly: empty (trust nobody) unless FORWARDED_ALLOW_IPS names the proxy.
"""

import secrets
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.core.cache import cache

from interviews.services import guessing
from interviews.services.rate_limits import window_key
from tests.e2e.stack import ROOT, Proc, free_port, stop, wait_http
from tests.factories import make_interview
from tests.monitoring.helpers import services_env

pytestmark = [pytest.mark.services, pytest.mark.timeout(180)]

LIMIT = 3


def procfile_command(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name} process in the Procfile")


@pytest.fixture
def web_as_in_procfile(
    postgres_required: None, redis_url: str, tmp_path: Path, transactional_db: None
) -> Iterator[int]:
    port = free_port()
    env = services_env(
        tmp_path, redis_url, WEB_PORT=str(port), TOKEN_FAILURES_PER_MINUTE=str(LIMIT)
    )
    env.pop("FORWARDED_ALLOW_IPS", None)  # the default deployment: served directly
    log = tmp_path / "web.log"
    popen = subprocess.Popen(
        ["sh", "-c", f"exec {procfile_command('web')}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc = Proc("web", popen, log)
    try:
        wait_http(f"http://127.0.0.1:{port}/health/live/", proc)
        yield port
    finally:
        stop(proc)
        # The guesses below counted against 127.0.0.1: forget them, or the next test's
        # servers would refuse this address for the rest of the minute.
        window = int(time.time() // guessing.WINDOW_SECONDS)
        key = guessing.attempts_key("127.0.0.1")
        cache.delete_many([window_key(key, w) for w in (window - 1, window)])


def test_procfile_web__sets_forwarded_allow_ips_explicitly() -> None:
    assert "--forwarded-allow-ips" in shlex.split(procfile_command("web"))


def test_rotating_x_forwarded_for__does_not_get_guesses_past_the_limit(
    web_as_in_procfile: int,
) -> None:
    created = make_interview()
    base = f"http://127.0.0.1:{web_as_in_procfile}"
    statuses = [
        httpx.get(
            f"{base}/i/{secrets.token_urlsafe(32)}/",
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
            timeout=30,
        ).status_code
        for n in range(LIMIT + 3)
    ]
    real_link = httpx.get(
        base + created.invite_path, headers={"X-Forwarded-For": "198.51.100.1"}, timeout=30
    )

    assert statuses == [404] * LIMIT + [429] * 3
    assert real_link.status_code == 429, "one address, whatever the header says"


def test_forged_x_forwarded_proto__no_hsts_and_not_treated_as_https(
    web_as_in_procfile: int,
) -> None:
    response = httpx.get(
        f"http://127.0.0.1:{web_as_in_procfile}/admin/login/",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
        timeout=30,
    )

    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers

"""Production settings: `check --deploy` is clean under the documented environment, the secure
defaults hold without it, SECRET_KEY is required, and TLS behind a proxy works as documented."""

import json
import os
import re
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.e2e.stack import BIN, ROOT, base_env
from tests.factories import make_interview
from tests.security.helpers import fresh_address

# docs/architecture.md, "Deploying behind a TLS proxy": TLS ends at the proxy, which sets
# X-Forwarded-Proto (and X-Forwarded-For, which uvicorn reads for FORWARDED_ALLOW_IPS).
PRODUCTION_ENV = {
    "ALLOWED_HOSTS": "example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "EMAIL_HOST": "smtp.example.com",  # invites are emailed (interviews.W001 otherwise)
}
SETTINGS_PROBE = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "TOKEN_FAILURES_PER_MINUTE")}))
"""


def _env(tmp_path: Path, production: bool, **overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in base_env(VAR_DIR=str(tmp_path)).items()
        if not k.startswith("SECURE_")
        and k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "PROMETHEUS_MULTIPROC_DIR"}
        and not k.endswith("_COOKIE_SECURE")
    }
    if production:
        env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or "postgres://u@127.0.0.1:5432/x"
        env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env.update(overrides)
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "python"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy__clean_under_the_documented_production_environment(tmp_path: Path) -> None:
    env = _env(tmp_path, production=True, **PRODUCTION_ENV)

    result = _run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy__a_bare_production_env_leaves_only_the_operators_choices(
    tmp_path: Path,
) -> None:
    """Secure cookies and HSTS need no setting; the redirect, subdomains and preload depend on
    the deployment, and so does the SMTP server for invites, so check --deploy names exactly
    those."""
    env = _env(tmp_path, production=True, ALLOWED_HOSTS="example.com")

    result = _run(env, "manage.py", "check", "--deploy")

    codes = sorted(set(re.findall(r"\(([a-z_]+\.W\d+)\)", result.stderr)))
    assert codes == [
        "interviews.W001",
        "security.W005",
        "security.W008",
        "security.W021",
    ], result.stderr


def test_production_without_secret_key__refuses_to_start(tmp_path: Path) -> None:
    env = _env(tmp_path, production=True)
    del env["SECRET_KEY"]

    result = _run(env, "manage.py", "check")

    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize(
    ("production", "overrides", "expected"),
    [
        (
            True,
            {},
            {
                "SESSION_COOKIE_SECURE": True,
                "CSRF_COOKIE_SECURE": True,
                "SECURE_SSL_REDIRECT": False,
                "SECURE_PROXY_SSL_HEADER": None,
                "SECURE_HSTS_SECONDS": 31_536_000,
                "TOKEN_FAILURES_PER_MINUTE": 20,
            },
        ),
        (
            True,
            {
                **PRODUCTION_ENV,
                "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",  # the header's own spelling
                "SESSION_COOKIE_SECURE": "false",
                "SECURE_HSTS_SECONDS": "3600",
            },
            {
                "SESSION_COOKIE_SECURE": False,
                "SECURE_SSL_REDIRECT": True,
                "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
                "SECURE_HSTS_SECONDS": 3600,
            },
        ),
        (
            False,
            {},
            {
                "DEBUG": False,
                "SESSION_COOKIE_SECURE": False,
                "CSRF_COOKIE_SECURE": False,
                "SECURE_HSTS_SECONDS": 0,
            },
        ),
    ],
    ids=["production-defaults", "production-overrides", "embedded"],
)
def test_settings__follow_the_environment(
    tmp_path: Path, production: bool, overrides: dict[str, str], expected: dict[str, Any]
) -> None:
    env = _env(tmp_path, production=production, **overrides)

    result = _run(env, "-c", SETTINGS_PROBE)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert {name: values[name] for name in expected} == expected


@pytest.fixture
def behind_a_proxy(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_SECURE = True


@pytest.mark.django_db
@pytest.mark.usefixtures("behind_a_proxy")
def test_behind_a_proxy__plain_http_redirects_and_https_gets_hsts_and_secure_cookies() -> None:
    created = make_interview()
    client = Client(REMOTE_ADDR=fresh_address())

    plain = client.get(created.invite_path)
    https = client.get(created.invite_path, HTTP_X_FORWARDED_PROTO="https")
    login = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")

    assert plain.status_code == 301
    assert plain["Location"] == f"https://testserver{created.invite_path}"
    assert https.status_code == 200
    assert https["Strict-Transport-Security"] == "max-age=31536000"
    assert login.cookies["csrftoken"]["secure"] is True


@pytest.mark.django_db
@pytest.mark.usefixtures("behind_a_proxy")
@pytest.mark.parametrize("path", ["/health/live/", "/health/ready/", "/metrics"])
def test_behind_a_proxy__probes_and_scrapes_over_plain_http_are_not_redirected(
    path: str,
) -> None:
    response = Client(REMOTE_ADDR="127.0.0.1").get(path)

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response

"""Every page sends a Content-Security-Policy whose scripts need no 'unsafe-inline': a script is
a file from this site or carries the response's nonce, and no element has an inline handler.

The pages: the candidate page and the invite error pages, the error pages, the admin (its login,
index, every registered model's list and add page, the interview change page, the create page
with an invite shown), and the operations dashboard. The browser side (no violation in a real
Chromium, and the pages still work) is tests/e2e/test_browser_csp.py.
"""

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from interviews.services.interviews import interview_revoke_token
from interviews.services.positions import position_create
from tests.factories import make_interview
from tests.security.helpers import fresh_address

pytestmark = pytest.mark.django_db


def policy(response: Any) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {words[0]: words[1:] for words in directives}


class _Scripts(HTMLParser):
    """Inline scripts (with their nonce), inline event handlers and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[str | None] = []  # each one's nonce
        self.handlers: list[str] = []
        self.javascript_urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        kind = (values.get("type") or "text/javascript").lower()
        runs = kind in ("text/javascript", "module", "application/javascript")
        if tag == "script" and not values.get("src") and runs:  # not a JSON data block
            self.inline_scripts.append(values.get("nonce"))
        self.handlers += [f"<{tag} {name}>" for name, _ in attrs if name.startswith("on")]
        self.javascript_urls += [
            f"<{tag} {name}={value}>"
            for name, value in attrs
            if name in ("href", "src", "action", "formaction")
            and (value or "").strip().lower().startswith("javascript:")
        ]


def assert_strict_policy(path: str, response: Any) -> None:
    directives = policy(response)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, f"{path}: no Content-Security-Policy for scripts"
    assert "'unsafe-inline'" not in scripts, path
    assert "'unsafe-eval'" not in scripts, path
    assert directives.get("object-src") == ["'none'"], path
    assert directives.get("frame-ancestors") == ["'none'"], path
    if "text/html" not in response.get("Content-Type", ""):
        return
    page = _Scripts()
    page.feed(response.content.decode())
    nonces = {w.removeprefix("'nonce-").removesuffix("'") for w in scripts if "nonce-" in w}
    assert [n for n in page.inline_scripts if n not in nonces] == [], (
        f"{path}: an inline script without the response's nonce"
    )
    assert page.handlers == [], f"{path}: inline event handlers"
    assert page.javascript_urls == [], f"{path}: javascript: URLs"


def test_public_pages__strict_policy() -> None:
    created, revoked = make_interview(), make_interview()
    interview_revoke_token(interview=revoked.interview)
    client = Client(raise_request_exception=False)
    pages = {
        created.invite_path: 200,
        revoked.invite_path: 410,
        "/i/no-such-token/": 404,
        "/no/such/page/": 404,
        "/admin/login/": 200,
        "/admin/resilience/deadletter/?q=%00": 400,  # the invalid-text page, before any view
        "/health/live/": 200,
    }
    for path, status in pages.items():
        response = client.get(path, REMOTE_ADDR=fresh_address())
        assert response.status_code == status, path
        assert_strict_policy(path, response)


def test_every_admin_page_and_the_dashboard__strict_policy() -> None:
    created = make_interview()
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser("csp-ops", password=None))
    pages = ["/admin/", "/admin/dashboard/", "/admin/dashboard/panels/"]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    pages += [
        reverse("admin:interviews_interview_change", args=[created.interview.pk]),
        reverse("admin:interviews_create"),
    ]
    seen = 0
    for path in pages:
        response = client.get(path, follow=True)
        if response.status_code != 200:
            continue  # e.g. an add page of a read-only model
        seen += 1
        assert_strict_policy(path, response)
    position = position_create(
        title="Engineer", topics=["python"], difficulty="medium", question_count=3
    )
    shown = client.post(
        reverse("admin:interviews_create"),
        {"position": position.pk, "candidate_name": "Ada", "candidate_email": ""},
    )

    assert seen >= 15
    assert shown.status_code == 200
    assert re.search(r"/i/[^/]+/", shown.content.decode()), "the create page shows the invite"
    assert_strict_policy("create (invite shown)", shown)

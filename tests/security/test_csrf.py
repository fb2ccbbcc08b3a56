"""CSRF: every state-changing form carries a token and is refused without one; no view is
exempt."""

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from interviews.models import Interview
from interviews.services.interviews import CreatedInterview
from tests.factories import make_interview


@pytest.fixture
def interview() -> CreatedInterview:
    return make_interview()


class _Forms(HTMLParser):
    """The POST forms of a page: (action, field names, has a CSRF token)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "").lower() == "post":
            self._open = {"action": values.get("action") or "", "fields": {}, "csrf": False}
            self.forms.append(self._open)
        elif tag in ("input", "select", "textarea") and self._open is not None:
            name = values.get("name")
            if name == "csrfmiddlewaretoken":
                self._open["csrf"] = True
            elif name:
                self._open["fields"][name] = values.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def _admin_pages(interview: CreatedInterview) -> list[str]:
    """Every admin page with a form: index, password change, and each registered model's
    changelist, add page and (for interviews) change and delete pages."""
    pages = ["/admin/", "/admin/password_change/"]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    pk = interview.interview.pk
    pages += [
        reverse("admin:interviews_create"),
        reverse("admin:interviews_interview_change", args=[pk]),
        reverse("admin:interviews_interview_delete", args=[pk]),
        reverse("admin:interviews_decision", args=[pk]),
    ]
    return pages


@pytest.mark.django_db
def test_every_admin_post_form__carries_a_csrf_token_and_is_refused_without_it(
    interview: CreatedInterview,
) -> None:
    staff = User.objects.create_user("csrf-ops", is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    forms = []
    for page in _admin_pages(interview):
        response = client.get(page, follow=True)
        if response.status_code != 200:
            continue  # e.g. an add page of a read-only model: nothing to post
        parser = _Forms()
        parser.feed(response.content.decode())
        forms += [(page, form) for form in parser.forms]

    refused = {
        (page, form["action"]): client.post(urljoin(page, form["action"]), form["fields"])
        for page, form in forms
    }

    assert len(forms) >= 10, "the crawl found the admin's forms"
    assert [page for page, form in forms if not form["csrf"]] == []
    assert {key: r.status_code for key, r in refused.items() if r.status_code != 403} == {}
    assert Interview.objects.filter(pk=interview.interview.pk).exists()


@pytest.mark.django_db
def test_admin_login_and_logout__need_a_csrf_token() -> None:
    User.objects.create_user("ops-login", password="pw-123456", is_staff=True)
    client = Client(enforce_csrf_checks=True)

    login = client.post("/admin/login/", {"username": "ops-login", "password": "pw-123456"})
    logout = client.post("/admin/logout/")

    assert (login.status_code, logout.status_code) == (403, 403)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_dlq_api_post__needs_a_csrf_token_even_for_staff() -> None:
    staff = User.objects.create_user("dlq-ops", is_staff=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post("/api/admin/dlq/", {"action": "clear"}, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def _views(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), pattern.callback))
    return found


def test_no_view__is_exempt_from_csrf() -> None:
    exempt = [
        route
        for route, view in _views(get_resolver().url_patterns)
        if getattr(view, "csrf_exempt", False)
    ]

    assert exempt == []

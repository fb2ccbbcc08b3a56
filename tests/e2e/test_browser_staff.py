"""Hiring staff's pages in a real Chromium (1280x800) against Django's live server: inviting a
CSV of candidates (refused whole with row-by-row problems, then accepted, emailed and the link
copied); the report (long answers clamped, print media without the admin's chrome); a
position's candidates sorted, compared side by side and exported as CSV; what the Reviewer and
Operator groups each see."""

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from playwright.sync_api import FilePayload, expect

from interviews.models import Interview, InviteEmail, InviteEmailStatus
from interviews.services.evaluation import evaluation_run
from interviews.services.interviews import interview_create
from interviews.services.positions import position_create
from tests.e2e.browser import artifact
from tests.e2e.staff_browser import PASSWORD, staff_page
from tests.factories import STRONG_ANSWER, make_interview, run_to_completion
from tests.interviews.evaluation_support import eager_celery
from tests.migration_rows import ensure_migration_rows

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def _csv(data: bytes) -> FilePayload:
    return FilePayload(name="candidates.csv", mimeType="text/csv", buffer=data)


@pytest.fixture
def eager() -> Iterator[None]:
    with eager_celery():
        yield


def test_invite_by_csv__bad_rows_listed_then_everyone_invited_emailed_and_link_copied(
    live_server: Any, transactional_db: None, eager: None
) -> None:
    User.objects.create_superuser("hiring", password=PASSWORD)
    position = position_create(
        title="Data engineer",
        topics=["sql", "Go microservices"],
        difficulty="medium",
        question_count=3,
        time_limit_seconds=1800,
    )
    bad = b"name,email\nAda,ada@example.org\nBob,not-an-email\nCy\n"
    good = b'name,email\nAda Lovelace,ada@example.org\n"=HYPERLINK(""x"")",eve@example.org\n'
    url = f"{live_server.url}/admin/interviews/position/{position.pk}/invite/"
    with staff_page(live_server.url, "hiring") as page:
        page.goto(url)
        # The warning about the free-text topic is on the page before anyone is invited.
        expect(page.get_by_text("“Go microservices” is not in the question bank")).to_be_visible()
        page.set_input_files("#id_file", files=_csv(bad))
        page.click("input[name=csv]")
        problems = page.get_by_test_id("invite-problems")
        expect(problems).to_contain_text("Row 3: “not-an-email” is not an email address.")
        expect(problems).to_contain_text("Row 4: expected 2 columns (name, email), got 1.")
        page.set_input_files("#id_file", files=_csv(good))
        page.click("input[name=csv]")
        expect(page.get_by_test_id("invite-row")).to_have_count(2)
        first_url = page.get_by_test_id("invite-url").first.input_value()
        page.get_by_test_id("copy-link").first.click()
        expect(page.get_by_test_id("copy-link").first).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == first_url
        page.screenshot(path=artifact("staff-invite-csv.png"))
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.org", "eve@example.org"]
    assert any(first_url in str(m.body) for m in mail.outbox)
    assert Interview.objects.filter(position=position).count() == 2  # the bad file made none
    assert set(InviteEmail.objects.values_list("status", flat=True)) == {InviteEmailStatus.SENT}


def test_report_page__long_answers_clamped_and_print_gives_a_clean_full_document(
    live_server: Any, transactional_db: None
) -> None:
    User.objects.create_superuser("hiring", password=PASSWORD)
    long_answer = " ".join([STRONG_ANSWER] * 18)[:7900]  # about the longest answer accepted
    created = make_interview(question_count=2, time_limit_seconds=1800)
    interview = run_to_completion(created.interview.pk, text=long_answer)
    evaluation_run(interview_id=interview.pk)
    url = f"{live_server.url}/admin/interviews/interview/{interview.pk}/report/"
    with staff_page(live_server.url, "hiring") as page:
        page.goto(url)
        height = page.evaluate("document.documentElement.scrollHeight")
        page.screenshot(path=artifact("staff-report.png"))
        assert height < 4000, f"the report is {height} px tall"
        toggles = page.locator(".clamp-toggle")
        assert toggles.count() >= 2  # each long answer has its own "Show all"
        first_answer = page.locator(".bubble-candidate .bubble-text").first
        clamped = first_answer.bounding_box()
        toggles.first.click()
        expect(toggles.first).to_have_text("Show less")
        expanded = first_answer.bounding_box()
        assert clamped
        assert expanded
        assert expanded["height"] > clamped["height"] * 2
        toggles.first.click()
        page.emulate_media(media="print")
        assert page.locator("#header").is_hidden()
        assert page.locator("#nav-sidebar").is_hidden()
        assert page.get_by_test_id("report-technical").is_hidden()
        assert toggles.first.is_hidden()
        assert first_answer.evaluate("e => getComputedStyle(e).maxHeight") == "none"
        assert page.get_by_test_id("report-evaluation").is_visible()
        page.screenshot(path=artifact("staff-report-print.png"), full_page=True)


def test_candidates__sorted_compared_side_by_side_and_exported_as_safe_csv(
    live_server: Any, transactional_db: None
) -> None:
    User.objects.create_superuser("hiring", password=PASSWORD)
    position = position_create(
        title="Backend", topics=["python"], difficulty="medium", question_count=2
    )
    for name, answer in [("Strong", STRONG_ANSWER), ('=HYPERLINK("x")', "I do not know.")]:
        interview = interview_create(candidate_name=name, position=position).interview
        run_to_completion(interview.pk, text=answer)
        evaluation_run(interview_id=interview.pk)
    interview_create(candidate_name="Waiting", position=position)
    url = f"{live_server.url}/admin/interviews/position/{position.pk}/candidates/"
    with staff_page(live_server.url, "hiring") as page:
        page.goto(url)
        expect(page.get_by_test_id("candidate-row")).to_have_count(3)
        page.get_by_test_id("sort-score").click()  # highest advisory score first
        expect(page).to_have_url(re.compile(r"sort=score&dir=desc"))
        scores = [
            float(s or -1)
            for s in page.get_by_test_id("candidate-row").evaluate_all(
                "rows => rows.map(r => r.dataset.score)"
            )
        ]
        assert scores == sorted(scores, reverse=True), scores
        assert scores[-1] == -1  # the candidate not evaluated yet comes last
        page.screenshot(path=artifact("staff-candidates.png"))
        with page.expect_download() as download:
            page.get_by_test_id("export-csv").click()
        exported = Path(download.value.path()).read_text(encoding="utf-8")
        page.get_by_label("Compare Strong").check()
        page.get_by_label('Compare =HYPERLINK("x")').check()
        page.get_by_test_id("compare-selected").click()
        expect(page.get_by_test_id("compared-candidate")).to_have_count(2)
        expect(page.get_by_test_id("compared-score")).to_have_count(4)
        page.screenshot(path=artifact("staff-compare.png"))
    names = [row[0] for row in csv.reader(io.StringIO(exported))][1:]
    assert sorted(names) == sorted(["Strong", '\'=HYPERLINK("x")', "Waiting"])


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("Reviewer", ["Positions", "Interviews", "Decisions"], ["Dead letters", "Periodic tasks"]),
        ("Operator", ["Dead letters", "Periodic tasks"], ["Positions", "Interviews", "Decisions"]),
    ],
)
def test_role_views__each_group_sees_its_own_admin(
    live_server: Any, transactional_db: None, role: str, shown: list[str], hidden: list[str]
) -> None:
    ensure_migration_rows("interviews", "0012_staff_roles", "create_roles")
    user = User.objects.create_user(role.lower(), password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    with staff_page(live_server.url, role.lower()) as page:
        sidebar = page.locator("#content-main")
        for name in shown:
            expect(sidebar.get_by_role("link", name=name, exact=True).first).to_be_visible()
        for name in hidden:
            expect(sidebar.get_by_role("link", name=name, exact=True)).to_have_count(0)
        page.goto(f"{live_server.url}/admin/dashboard/")
        panels = page.locator("h2", has_text="Circuit breakers")
        expect(panels).to_have_count(1 if role == "Operator" else 0)
        page.screenshot(path=artifact(f"staff-role-{role.lower()}.png"))

"""The admin's rough edges at 1280x800 in a real Chromium: the home page's dashboard link on one
line, "View site" not a 404, the dead-letter caption clear of "Retry all matching…", the
interview list's evaluation column whole, progress counted in answered questions, labelled
controls on the question cache's clear form; Force open and Force closed ask first, on the
dashboard and in the breaker admin."""

import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Dialog, Page, expect

from interviews.services.evaluation import evaluation_run
from resilience.breakers import get_breaker, registry
from resilience.breakers.services import breaker_reset
from resilience.models import BreakerConfig
from tests.e2e.browser import artifact
from tests.e2e.staff_browser import PASSWORD, staff_page
from tests.factories import STRONG_ANSWER, make_interview, run_to_completion

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def _boxes_overlap(page: Page, first: str, second: str) -> bool:
    a, b = page.locator(first).first.bounding_box(), page.locator(second).first.bounding_box()
    assert a, first
    assert b, second
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_admin_edges__at_1280x800(live_server: Any, transactional_db: None) -> None:
    User.objects.create_superuser("edges", password=PASSWORD)
    done = run_to_completion(make_interview(question_count=1).interview.pk, text=STRONG_ANSWER)
    evaluation_run(interview_id=done.pk)
    make_interview(candidate_name="Nobody Yet", question_count=3)
    with staff_page(live_server.url, "edges") as page:
        page.screenshot(path=artifact("admin-home.png"))
        link = page.get_by_role("link", name="Operations dashboard")
        box = link.bounding_box()
        assert box, "no dashboard link"
        assert box["height"] < 30, f"the link wraps: {box}"

        # No public home page exists, so there is no "View site" link to lead to a 404.
        expect(page.get_by_role("link", name="View site")).to_have_count(0)

        page.goto(f"{live_server.url}/admin/resilience/deadletter/")
        page.screenshot(path=artifact("admin-dead-letters.png"))
        assert not _boxes_overlap(page, "#dlq-stats h2", ".object-tools")

        page.goto(f"{live_server.url}/admin/interviews/interview/")
        page.screenshot(path=artifact("admin-interviews.png"))
        cells = page.locator("td.field-evaluation_status")
        expect(cells.first).to_be_visible()
        for i in range(cells.count()):
            clipped = cells.nth(i).evaluate("e => e.scrollWidth > e.clientWidth + 1")
            assert not clipped, cells.nth(i).inner_text()
        # The whole list fits at 1280 px: no column is pushed out of sight.
        assert page.locator("#changelist .results").evaluate(
            "e => e.scrollWidth <= e.clientWidth + 1"
        )
        row = page.locator("tr", has_text="Nobody Yet")
        expect(row.locator("td.field-progress")).to_have_text("0/3")

        page.goto(f"{live_server.url}/admin/resilience/cachedquestion/")
        page.screenshot(path=artifact("admin-cache.png"))
        controls = "select, input:not([type=hidden]):not([type=submit])"
        for control in page.locator("#question-cache-stats").locator(controls).all():
            control_id = control.get_attribute("id")
            assert control_id, "a control without an id cannot have a label"
            assert page.locator(f"label[for='{control_id}']").count() == 1, control_id


def test_force_open_and_closed__ask_first_on_the_dashboard_and_in_the_breaker_admin(
    live_server: Any, transactional_db: None
) -> None:
    User.objects.create_superuser("edges", password=PASSWORD)
    name = f"test.confirm.{uuid.uuid4().hex[:8]}"
    registry.reset_registry()
    assert get_breaker(name).call(lambda: "ok") == "ok"  # its config row
    questions: list[str] = []
    answer = {"accept": False}

    def on_dialog(dialog: Dialog) -> None:
        questions.append(dialog.message)
        (dialog.accept if answer["accept"] else dialog.dismiss)()

    with staff_page(live_server.url, "edges") as page:
        page.on("dialog", on_dialog)
        page.goto(f"{live_server.url}/admin/dashboard/")
        row = page.locator(f"tr[data-breaker='{name}']")
        row.get_by_role("button", name="Force open").click()
        expect(row).to_have_attribute("data-mode", "normal")  # dismissed: nothing sent
        answer["accept"] = True
        row.get_by_role("button", name="Force open").click()
        expect(page.locator(f"tr[data-breaker='{name}']")).to_have_attribute(
            "data-mode", "forced_open"
        )
        expect(page.locator(f"tr[data-breaker='{name}'] [data-testid=next-trial]")).to_have_text(
            "none while forced"
        )
        page.goto(f"{live_server.url}/admin/resilience/breakerconfig/")
        answer["accept"] = False
        page.locator(f"tr:has-text('{name}') input[name=_selected_action]").check()
        page.select_option("select[name=action]", "force_closed")
        page.click("button[name=index]")
        page.screenshot(path=artifact("admin-breaker-confirm.png"))
    assert questions[0].startswith(f"Force the {name} breaker open?")
    assert questions[-1].startswith("Force the selected circuit breakers closed?")
    assert BreakerConfig.objects.get(name=name).mode == "forced_open"  # the last was dismissed
    breaker_reset(name=name, user=None)
    registry.reset_registry()

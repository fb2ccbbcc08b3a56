"""A signed-in staff member's Chromium against Django's live server (in this process), so that
what the pages set off can be checked here: the locmem outbox, eager Celery tasks."""

import contextlib
from collections.abc import Iterator

from playwright.sync_api import Page, sync_playwright

from tests.e2e.browser import CHROMIUM_ARGS, DESKTOP, WAIT_MS, artifact, chromium_path

PASSWORD = "staff-browser-password-1"


@contextlib.contextmanager
def staff_page(base_url: str, username: str) -> Iterator[Page]:
    """Signed in through the admin's login form. Start it after the test's database work:
    Playwright's sync API marks the thread's loop as running, which Django's ORM refuses."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(), args=list(CHROMIUM_ARGS), timeout=60_000
        )
        try:
            context = browser.new_context(
                viewport=DESKTOP,  # type: ignore[arg-type]
                color_scheme="light",
                reduced_motion="reduce",
            )
            context.grant_permissions(["clipboard-read", "clipboard-write"])
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(f"{base_url}/admin/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url(f"{base_url}/admin/")
            try:
                yield page
            except BaseException:
                with contextlib.suppress(Exception):
                    page.screenshot(path=artifact("staff-browser-failure.png"), timeout=10_000)
                raise
        finally:
            browser.close()

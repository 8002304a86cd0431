"""The strict Content-Security-Policy holds while the console is used: no violation at all.

Every frame of the page records the `securitypolicyviolation` events it sees, into
`window.__cspViolations` and to the test (which keeps them across navigations);
console errors that mention the Content Security Policy count too. A new inline
script, inline style or third-party fetch in the console would fail these tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import ConsoleMessage, FrameLocator, Page, expect

from tests.browser.helpers import OtherSite
from tests.helpers import make_email_job

pytestmark = pytest.mark.browser

STATE = "#run-status .badge"

# Runs in every frame before the page's own scripts (Playwright injects it outside the CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = {
    page: location.href,
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  };
  window.__cspViolations.push(violation);
  if (window.__reportCspViolation) window.__reportCspViolation(violation);
});
"""


class CspWatch:
    """What a page's frames report against the Content-Security-Policy."""

    def __init__(self, page: Page) -> None:
        self.violations: list[dict[str, Any]] = []
        self.console_errors: list[str] = []
        page.expose_function("__reportCspViolation", self.on_violation)
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self.on_console)

    def on_violation(self, violation: dict[str, Any]) -> None:
        self.violations.append(violation)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.console_errors.append(message.text)

    def assert_none(self, page: Page) -> None:
        in_frames = [frame.evaluate("window.__cspViolations || []") for frame in page.frames]
        assert self.violations == [], self.violations
        assert [recorded for recorded in in_frames if recorded] == []
        assert self.console_errors == [], self.console_errors


def send_to_the_result(console: Page | FrameLocator, *, embed: bool) -> None:
    console.get_by_role("link", name="Partial bounces").click()
    expect(console.get_by_label("Body")).to_contain_text("bounce.example.test")
    console.get_by_role("button", name="Send").click()
    if embed:
        # The embed shows the request first; its Confirm sends it.
        console.get_by_role("button", name="Confirm and send").click()
    timeline = console.locator("#timeline")
    expect(timeline).to_contain_text("HTTP/1.1 202 Accepted")
    expect(timeline).to_contain_text("HTTP/1.1 303 See Other", timeout=20_000)
    expect(timeline).to_contain_text('"bounced": 1')
    expect(console.locator(STATE)).to_have_text("succeeded")


@pytest.fixture
def watched(page: Page) -> Iterator[tuple[Page, CspWatch]]:
    yield page, CspWatch(page)


@pytest.mark.parametrize("path", ["/playground/", "/playground/embed/"])
def test_the_console_reaches_the_result_without_a_csp_violation(
    watched: tuple[Page, CspWatch], site_server: Any, worker: None, path: str
) -> None:
    page, watch = watched
    page.goto(f"{site_server.url}{path}")
    send_to_the_result(page, embed="embed" in path)
    watch.assert_none(page)


def test_the_embed_framed_on_another_site_runs_without_a_csp_violation(
    watched: tuple[Page, CspWatch], site_server: Any, worker: None
) -> None:
    page, watch = watched
    docs = OtherSite(
        {
            "/guide": (
                "<!doctype html><title>Guide</title>"
                f'<iframe src="{site_server.url}/playground/embed/" title="202 Accepted, live" '
                'width="100%" height="1400"></iframe>'
            )
        }
    )
    try:
        page.goto(docs.url("/guide"))
        send_to_the_result(page.frame_locator("iframe[title='202 Accepted, live']"), embed=True)
        watch.assert_none(page)
    finally:
        docs.stop()


def test_another_sites_images_cannot_spend_a_visitors_poll_allowance(
    page: Page, site_server: Any, settings: Any
) -> None:
    settings.DEMO_POLLS_PER_MINUTE = 4
    settings.DEMO_EARLY_POLL_COST = 1
    job_id = make_email_job("ada@example.test").public_id
    polls = [
        f"{site_server.url}/playground/jobs/{job_id}/poll",
        f"{site_server.url}/playground/embed/jobs/{job_id}/poll",
    ]
    # A hostile page the visitor opens: 35 images pointing at their job's poll URLs
    # (each its own URL, so the browser fetches every one).
    tags = "".join(f'<img alt="" src="{polls[n % 2]}?n={n}">' for n in range(35))
    hostile = OtherSite({"/cats": f"<!doctype html><title>Cats</title>{tags}"})
    # Chromium hands an image none of these answers (they are HTML: blocked by ORB),
    # but each reached the server first.
    answered: list[str] = []
    page.on("requestfailed", lambda request: answered.append(request.url))
    page.on("requestfinished", lambda request: answered.append(request.url))
    try:
        page.goto(hostile.url("/cats"))  # returns once every image has loaded or failed
    finally:
        hostile.stop()
    assert len([url for url in answered if "/poll?n=" in url]) == 35
    # The visitor's own allowance at the API is whole.
    client = Client()
    answers = [client.get(f"/api/jobs/{job_id}").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]

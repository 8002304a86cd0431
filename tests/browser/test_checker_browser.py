"""The checker in a real browser: a transcript pasted and checked, and a live check
followed from its status page to its report, with and without JavaScript, read at
360 px without sideways scrolling, axe clean."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.helpers import assert_no_axe_violations
from tests.checker.test_inputs import CURL_V
from tests.helpers import make_email_payload, worker_thread

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_pasted_flow_is_checked_and_reads_at_360_px(
    browser: Browser, site_server: Any, javascript: bool
) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.goto(f"{site_server.url}/check/")
    if javascript:  # axe runs as a script: the page without JavaScript is checked with it
        assert_no_axe_violations(page)
    page.get_by_label("Or paste a HAR file").fill(CURL_V)
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator("#report-convention")).to_have_text(
        "Asynchronous Request-Reply pattern (Azure Architecture Center)"
    )
    finding = page.locator('[data-rule="location-on-202"]')
    expect(finding).to_be_visible()
    page.locator("#exchange-1 summary").click()
    expect(page.locator('#exchange-1 [data-note="LOCATION_UNDEFINED"]')).to_be_visible()
    if javascript:
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert_no_axe_violations(page)
    finding.get_by_role("link").click()
    expect(page).to_have_url(f"{site_server.url}/202/#location-on-202")
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_live_check_shows_its_status_then_its_report(
    browser: Browser, site_server: Any, settings: Any, javascript: bool
) -> None:
    settings.CHECKER_ALLOW_LOCAL = True
    settings.CHECKER_REPLAY_CLIENTS = ["naive-requests"]
    settings.DEMO_PACE = 0.05
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.goto(f"{site_server.url}/check/#live")
    page.get_by_label("Submit URL").fill(f"{site_server.url}/api/emails/bulk")
    page.get_by_label("Headers, one per line").fill("Content-Type: application/json")
    page.get_by_label("Body").fill(json.dumps(make_email_payload("ada@example.test")))
    page.get_by_role("button", name="Check live").click()
    # No worker yet: the check waits in the queue, and its status page says so.
    expect(page.locator("#check-status")).to_have_text("queued")
    if javascript:
        assert_no_axe_violations(page)
    with worker_thread(worker_id="browser-checker"):
        if javascript:  # the page looks again by itself, and goes to the report
            expect(page.locator("#clients-title")).to_be_visible(timeout=60_000)
        else:
            for _ in range(600):
                if page.locator("#clients-title").count():
                    break
                page.get_by_role("link", name="Reload").click()
                page.wait_for_load_state()
    expect(page.locator("#report-convention")).to_have_text(
        "Azure REST API guidelines: long-running operations"
    )
    expect(page.locator('[data-client="naive-requests"]')).to_be_visible()
    if javascript:
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert_no_axe_violations(page)
    context.close()

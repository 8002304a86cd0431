"""The checker in a real browser: a transcript pasted and checked, with and without
JavaScript, read at 360 px without sideways scrolling, axe clean."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.helpers import assert_no_axe_violations
from tests.checker.test_inputs import CURL_V

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
    page.get_by_role("button", name="Check").click()
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

"""The example clients on /202/: tabs with copy buttons when JavaScript runs, plain code without."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import OtherSite, assert_no_axe_violations

pytestmark = pytest.mark.browser

FILES = {
    "Python": "clients/python/poll.py",
    "JavaScript": "clients/javascript/poll.mjs",
    "Shell": "clients/shell/poll.sh",
}


def test_the_clients_are_tabs_the_keyboard_moves_between(page: Page, site_server: Any) -> None:
    # The clients wait in a fold; a link to one of them opens it.
    page.goto(f"{site_server.url}/202/#client-python")
    tabs = page.get_by_role("tablist").get_by_role("tab")
    expect(tabs).to_have_count(3)
    expect(tabs).to_have_text(list(FILES))
    python, javascript, shell = (page.get_by_role("tab", name=label) for label in FILES)
    expect(python).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_have_count(1)
    expect(page.locator("#client-python")).to_be_visible()
    expect(page.locator("#client-shell")).to_be_hidden()
    python.focus()
    page.keyboard.press("ArrowRight")
    expect(javascript).to_be_focused()
    expect(javascript).to_have_attribute("aria-selected", "true")
    expect(page.locator("#client-javascript")).to_be_visible()
    expect(page.locator("#client-python")).to_be_hidden()
    page.keyboard.press("End")
    expect(shell).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowRight")  # round to the first
    expect(python).to_have_attribute("aria-selected", "true")
    javascript.click()
    expect(page.get_by_role("tabpanel")).to_contain_text("waitForJob")
    assert_no_axe_violations(page)


def test_the_copy_button_copies_the_file_as_it_is(browser: Browser, site_server: Any) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{site_server.url}/202/#client-python")
    page.get_by_role("tab", name="Shell").click()
    page.get_by_role("button", name="Copy Shell client").click()
    expect(page.locator("#announcer")).to_have_text("Copied to the clipboard.")
    expected = (Path(settings.BASE_DIR) / FILES["Shell"]).read_text()
    assert page.evaluate("navigator.clipboard.readText()") == expected
    context.close()


def test_without_javascript_every_client_is_shown_and_no_button(
    browser: Browser, site_server: Any
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site_server.url}/202/#client-perspective")
    page.locator("#example-clients > summary").click()  # a fold opens without JavaScript too
    expect(page.get_by_role("tablist")).to_have_count(0)
    for label, file in FILES.items():
        expect(page.get_by_role("heading", name=f"{label}: {file}")).to_be_visible()
        expect(page.get_by_role("button", name=f"Copy {label} client")).to_have_count(0)
    expect(page.locator("#client-shell pre")).to_contain_text("curl")
    # The measured tables have a page of their own, a link away.
    expect(page.locator("#compatibility-heading a").first).to_have_attribute(
        "href", "/playground/clients/#compatibility-heading"
    )
    context.close()


def module_page(*, api: str, body: dict[str, Any]) -> str:
    """Someone else's page that runs clients/javascript/poll.mjs, inlined as a module."""
    source = (Path(settings.BASE_DIR) / "clients/javascript/poll.mjs").read_text()
    start = f"""
window.outcome = waitForJob({{ submit: {json.dumps(api)}, body: {json.dumps(body)}, deadline: 30 }})
  .then((result) => ({{ result }}),
        (error) => ({{ failed: error instanceof JobFailed, message: error.message }}));
"""
    return f'<!doctype html><title>A page</title><script type="module">{source}\n{start}</script>'


@pytest.mark.parametrize(
    ("recipients", "succeeds"), [(["ada@example.test"], True), (["ada@bounce.example.test"], False)]
)
def test_the_javascript_client_runs_in_a_browser_on_another_site(
    page: Page, site_server: Any, worker: None, recipients: list[str], succeeds: bool
) -> None:
    body = {"subject": "Hi", "body": "Hello {name}", "recipients": recipients}
    other = OtherSite({"/": module_page(api=f"{site_server.url}/api/emails/bulk", body=body)})
    try:
        page.goto(other.url("/"))
        outcome = page.evaluate("window.outcome")
    finally:
        other.stop()
    if succeeds:
        # fetch() followed the 303 to the result, across origins, and the client read it.
        assert outcome["result"]["counts"] == {"recipients": 1, "delivered": 1, "bounced": 0}
    else:
        assert outcome["failed"] is True
        assert outcome["message"].startswith("the job failed: All 1 recipients were refused")

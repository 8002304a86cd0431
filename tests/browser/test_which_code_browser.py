"""Which code should I return? in a browser: htmx swaps with real URLs, plain links without JS."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import assert_no_axe_violations

pytestmark = pytest.mark.browser

# From the first question to "answer 202": the answer links to follow, and the URL after each.
WALK = [
    ("Yes, there is room for it", "/which-code/ready/"),
    ("To do something: create, change or delete a resource", "/which-code/ready/work/"),
    ("No, nothing", "/which-code/ready/work/clear/"),
    ("No: some of it runs after you answer", "/which-code/ready/work/clear/not-done/"),
    ("Yes: it can still fail or be refused", "/which-code/ready/work/clear/not-done/may-fail/"),
    ("It will poll", "/which-code/ready/work/clear/not-done/may-fail/poll/"),
]


def answer(page: Page, text: str) -> None:
    page.locator("a.which-code__answer", has_text=text).click()


def test_walk_to_an_answer_with_javascript_swaps_in_place_and_back_works(
    page: Page, site_server: Any
) -> None:
    page.goto(f"{site_server.url}/which-code/")
    expect(page.locator("#question-heading")).to_have_text(
        "Can the server take this request on right now?"
    )
    # A full navigation would lose this; an htmx swap keeps the same document.
    page.evaluate("window.sameDocument = true")
    for text, path in WALK:
        answer(page, text)
        expect(page).to_have_url(f"{site_server.url}{path}")
    expect(page.locator("#answer-heading")).to_have_text("202 Accepted")
    expect(page.locator("#answer-heading")).to_be_focused()
    expect(page).to_have_title("Answer 202 Accepted — Which code should I return?")
    expect(page.locator(".which-code__result pre")).to_contain_text("Location: /api/jobs/job_123")
    assert page.evaluate("window.sameDocument") is True
    assert_no_axe_violations(page)

    # Back returns to the question before, forward to the answer again.
    page.go_back()
    expect(page).to_have_url(f"{site_server.url}/which-code/ready/work/clear/not-done/may-fail/")
    expect(page.locator("#question-heading")).to_have_text(
        "Will the client poll for the outcome, or will you call it back?"
    )
    page.go_forward()
    expect(page.locator("#answer-heading")).to_have_text("202 Accepted")

    # The trail leads back to any earlier question; a different answer leads elsewhere.
    page.get_by_role("link", name="Back to: Is the work done when you answer?").click()
    expect(page).to_have_url(f"{site_server.url}/which-code/ready/work/clear/")
    expect(page.locator("#question-heading")).to_be_focused()
    answer(page, "Yes: it is finished before the response goes out")
    answer(page, "No: it changed or deleted something")
    answer(page, "No: the status line and headers say it all")
    expect(page).to_have_url(
        f"{site_server.url}/which-code/ready/work/clear/done/not-created/no-body/"
    )
    expect(page.locator("#answer-heading")).to_have_text("204 No Content")
    assert page.evaluate("window.sameDocument") is True

    # The answer's link leads to the section of the code page that explains it.
    page.get_by_role("link", name="Read more: 204 No Content").click()
    expect(page).to_have_url(f"{site_server.url}/204/#server-perspective")
    expect(page.locator("h2#server-perspective")).to_be_in_viewport()


def test_a_copied_answer_url_opens_on_the_answer(page: Page, site_server: Any) -> None:
    page.goto(f"{site_server.url}/which-code/ready/monitor/known/succeeded/")
    expect(page.locator("#answer-heading")).to_have_text("303 See Other")
    expect(page.locator(".which-code__trail li")).to_have_count(4)
    assert_no_axe_violations(page)


def test_walk_to_an_answer_without_javascript(browser: Browser, site_server: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site_server.url}/which-code/")
    for text, path in WALK:
        answer(page, text)
        expect(page).to_have_url(f"{site_server.url}{path}")
    expect(page.locator("#answer-heading")).to_have_text("202 Accepted")
    expect(page.locator(".which-code__trail li")).to_have_count(len(WALK))
    page.go_back()
    expect(page.locator("#question-heading")).to_have_text(
        "Will the client poll for the outcome, or will you call it back?"
    )
    page.get_by_role("link", name="Start over").click()
    expect(page).to_have_url(f"{site_server.url}/which-code/")
    context.close()


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_axe_finds_no_violations_on_a_question(
    browser: Browser, site_server: Any, color_scheme: Any
) -> None:
    context = browser.new_context(color_scheme=color_scheme)
    page = context.new_page()
    page.goto(f"{site_server.url}/which-code/ready/work/")
    expect(page.locator("#question-heading")).to_be_visible()
    assert_no_axe_violations(page)
    page.goto(f"{site_server.url}/which-code/ready/work/clear/not-done/may-fail/poll/")
    assert_no_axe_violations(page)
    context.close()


@pytest.mark.parametrize("path", ["/which-code/ready/work/", WALK[-1][1]])
def test_no_sideways_scroll_at_360_px(browser: Browser, site_server: Any, path: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{site_server.url}{path}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()

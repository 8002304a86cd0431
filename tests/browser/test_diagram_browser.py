"""The flow, drawn: the console's sequence diagram beside the timeline, and the /202/ figures.

A real job goes through the playground; when it ends, the drawing has one segment
(one request arrow, one answer arrow) per exchange the timeline shows, saying the
same exchange, and axe finds nothing wrong in the light or the dark theme.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import assert_no_axe_violations

pytestmark = pytest.mark.browser

STATE = "#run-status .badge"
TIMELINE_ITEMS = "#timeline > li.timeline__item"
SEGMENTS = "#sequence > li.sequence__step"
THEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")


def timeline_exchanges(page: Page) -> list[tuple[str, str]]:
    """(request line as "METHOD /path", status as "200 OK") of every exchange shown."""
    shown = []
    for item in page.locator(TIMELINE_ITEMS).all():
        method, url = item.locator(".exchange-card__line").inner_text().split(" ", 1)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        shown.append((f"{method} {path}", item.locator(".badge--status").inner_text()))
    return shown


def assert_one_segment_per_exchange(page: Page) -> int:
    exchanges = timeline_exchanges(page)
    segments = page.locator(SEGMENTS)
    expect(segments).to_have_count(len(exchanges))
    for index, (request, status) in enumerate(exchanges):
        segment = segments.nth(index)
        expect(segment.locator("g.seq-arrow--request")).to_have_count(1)
        expect(segment.locator("g.seq-arrow--response")).to_have_count(1)
        # The drawn answer and the sentence read out both say this exchange.
        expect(segment.locator("g.seq-arrow--response text").first).to_have_text(status)
        sentence = segment.locator(".visually-hidden")
        expect(sentence).to_contain_text(f"Client to API: {request}")
        expect(sentence).to_contain_text(f"API to Client: {status}")
    return len(exchanges)


def assert_axe_clean_in_both_themes(page: Page) -> None:
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        # The drawing takes its colours from the theme: its labels are the page's text colour.
        body_color = page.evaluate("getComputedStyle(document.body).color")
        label = page.locator("g.seq-arrow text").first
        assert label.evaluate("element => getComputedStyle(element).fill") == body_color, theme
        assert_no_axe_violations(page)


def test_a_job_is_drawn_exchange_by_exchange_until_it_ends(
    page: Page, site_server: Any, settings: Any, request: pytest.FixtureRequest
) -> None:
    # The worker starts only once a poll has found the job queued: that poll is drawn,
    # with the worker's note, however slow the machine is.
    settings.DEMO_PACE = 0.3
    page.goto(f"{site_server.url}/playground/?example=bulk-email&preset=slow")
    page.get_by_role("button", name="Send").click()
    segments = page.locator(SEGMENTS)
    expect(segments.first).to_contain_text("API to Client: 202 Accepted")
    expect(segments.first.locator("g.seq-arrow--internal text")).to_have_text("job queued")
    expect(segments.nth(1)).to_be_attached(timeout=20_000)  # the first poll, appended
    request.getfixturevalue("worker")
    expect(page.locator(STATE)).to_have_text("succeeded", timeout=30_000)
    expect(page.locator("#next-poll")).to_have_count(0)
    count = assert_one_segment_per_exchange(page)
    answers = [status for _, status in timeline_exchanges(page)]
    # The 202, the polls (one at least, while the job waited), the 303 and the result.
    assert count >= 4, answers
    assert answers[0] == "202 Accepted" and answers[-2:] == ["303 See Other", "200 OK"]
    # What the monitor said of the worker (waiting for one, its steps) is noted on its lane.
    items = page.locator(TIMELINE_ITEMS)
    noted = 0
    for index in range(count):
        note = segments.nth(index).locator("g.seq-note text")
        if note.count():
            drawn = " ".join(note.all_text_contents()).split("%: ", 1)[-1]
            assert drawn in items.nth(index).locator(".timeline__state").inner_text()
            noted += 1
    assert noted >= 1
    assert_axe_clean_in_both_themes(page)


def test_a_cancel_is_drawn_as_its_own_exchange(page: Page, site_server: Any) -> None:
    # No worker: the job waits in the queue until it is canceled.
    page.goto(f"{site_server.url}/playground/")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(SEGMENTS)).to_have_count(1)
    page.get_by_role("button", name="Cancel job").click()
    expect(page.locator(STATE)).to_have_text("canceled", timeout=20_000)
    expect(page.locator("#next-poll")).to_have_count(0)
    assert_one_segment_per_exchange(page)
    cancel = page.locator(SEGMENTS).filter(has_text="Client to API: DELETE")
    expect(cancel).to_have_count(1)
    # A queued job's cancel is enacted by the API at once (200): nothing for the worker.
    expect(cancel.locator("g.seq-arrow--internal")).to_have_count(0)
    expect(cancel).to_contain_text("API to Client: 200 OK")
    assert_axe_clean_in_both_themes(page)


def test_without_javascript_every_page_of_the_run_draws_its_exchanges(
    browser: Browser, site_server: Any, worker: None
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site_server.url}/playground/")
    with page.expect_navigation():  # to the run's own page
        page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(STATE)).to_be_visible()
    drawn = [assert_one_segment_per_exchange(page)]
    poll = page.get_by_role("button", name="Poll now")
    for _ in range(300):
        if not poll.count():
            break
        with page.expect_navigation():
            poll.click()
        drawn.append(assert_one_segment_per_exchange(page))
    expect(page.locator(STATE)).to_have_text("succeeded")
    assert all(count >= 1 for count in drawn), drawn
    context.close()


def test_the_202_page_draws_the_jobs_states_and_a_typical_exchange(
    page: Page, site_server: Any
) -> None:
    page.goto(f"{site_server.url}/202/#server-perspective")
    section = page.locator("section.section--server-perspective")
    section.get_by_text("A job's states and a whole exchange").click()  # the fold that holds them
    states = section.locator("figure.sequence--states")
    exchange = section.locator("figure.sequence--sequence")
    expect(states).to_be_visible()
    expect(exchange).to_be_visible()
    for lane in ("queued", "running", "succeeded", "failed", "canceled"):
        expect(states.locator(".sequence__head text", has_text=lane)).to_have_count(1)
    expect(exchange.locator("li.sequence__step")).to_have_count(5)
    expect(exchange.locator(".visually-hidden").nth(2)).to_have_text(
        'Client to API: GET /api/jobs/job_123, If-None-Match: "v1". '
        "API to Client: 304 Not Modified, nothing changed since the last poll."
    )
    assert_axe_clean_in_both_themes(page)

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.helpers import OtherSite, assert_no_axe_violations

pytestmark = pytest.mark.browser

# The run's status line tells the job's state in a badge: "succeeded", "failed", ...
STATE = "#run-status .badge"
HELD_NOTE = "Polling paused; the next poll is held until you resume."


def test_bulk_email_flow_reaches_the_delivery_report(
    page: Page, site_server: Any, worker: None
) -> None:
    page.goto(f"{site_server.url}/playground/")
    page.get_by_role("button", name="Send").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("HTTP/1.1 202 Accepted")
    expect(timeline.locator(".hl").first).to_contain_text("Location:")
    assert_no_axe_violations(page)  # mid-flow
    expect(timeline).to_contain_text("HTTP/1.1 303 See Other", timeout=20_000)
    expect(timeline).to_contain_text("/result")
    expect(timeline).to_contain_text('"delivered"')
    expect(page.locator(STATE)).to_have_text("succeeded")
    expect(page.locator("#operation-view")).to_contain_text('"status": "Succeeded"')
    expect(timeline).to_contain_text("Polling stopped")
    expect(page.locator("#next-poll")).to_have_count(0)
    assert_no_axe_violations(page)  # at the end


def test_the_failure_variant_shows_the_error(page: Page, site_server: Any, worker: None) -> None:
    page.goto(f"{site_server.url}/playground/")
    page.get_by_role("link", name="Total failure").click()
    expect(page.get_by_label("Body")).to_contain_text("bounce.example.test")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(STATE)).to_have_text("failed", timeout=20_000)
    expect(page.locator("#timeline")).to_contain_text('"error"')


def test_cancel_ends_canceled(page: Page, site_server: Any, settings: Any) -> None:
    # No worker: the job stays queued until canceled.
    page.goto(f"{site_server.url}/playground/")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 202 Accepted")
    page.get_by_role("button", name="Cancel job").click()
    expect(page.locator("#timeline")).to_contain_text("DELETE")
    expect(page.locator(STATE)).to_have_text("canceled", timeout=20_000)


# Counts the console's polls that have ended (answered, failed or dropped), in the page.
COUNT_ENDED_POLLS = """() => {
  window.endedPolls = 0;
  document.addEventListener("htmx:afterRequest", (event) => {
    if ((event.detail.pathInfo.requestPath || "").includes("/poll")) window.endedPolls += 1;
  });
}"""


def test_a_poll_still_in_flight_when_cancel_is_pressed_never_undoes_the_cancel(
    page: Page, site_server: Any
) -> None:
    # No worker: the job stays queued. The first poll is held in the network while the
    # reader cancels, and let through once the run has stopped: its "queued" answer is
    # older than the cancel's and must not put the run back to queued.
    held: list[Any] = []

    def hold_the_first(route: Any) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.goto(f"{site_server.url}/playground/")
    page.evaluate(COUNT_ENDED_POLLS)
    page.route("**/playground/jobs/*/poll*", hold_the_first)
    with page.expect_request(lambda request: "/poll" in request.url):
        page.get_by_role("button", name="Send").click()
    page.get_by_role("button", name="Cancel job").click()
    expect(page.locator("#timeline")).to_contain_text("Polling stopped", timeout=20_000)
    with contextlib.suppress(PlaywrightError):  # the page already dropped that poll
        held[0].continue_()
    # Two polls end: the held one (answered or dropped) and the one after the cancel.
    page.wait_for_function("() => window.endedPolls >= 2")
    expect(page.locator(STATE)).to_have_text("canceled")
    expect(page.locator("#timeline")).to_contain_text("Polling stopped")
    expect(page.locator("#next-poll")).to_have_count(0)


def test_file_flow_with_an_uploaded_file(
    page: Page, site_server: Any, worker: None, tmp_path: Any
) -> None:
    upload = tmp_path / "people.csv"
    upload.write_text("name,email\nAda,ada@example.test\nGrace,grace@example.test\n")
    page.goto(f"{site_server.url}/playground/?example=file-processing")
    page.get_by_label("Or upload a file").set_input_files(str(upload))
    page.get_by_role("button", name="Send").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("HTTP/1.1 202 Accepted")
    expect(timeline).to_contain_text("HTTP/1.1 303 See Other", timeout=20_000)
    expect(timeline).to_contain_text("sha256")


def test_idempotent_resend_shows_the_same_job(page: Page, site_server: Any) -> None:
    page.goto(f"{site_server.url}/playground/")
    page.get_by_text("More options").click()  # the protocol options are folded
    page.get_by_label("Idempotency-Key").fill("browser-key-1")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 202 Accepted")
    first = page.locator("#run-status code").inner_text()
    assert re.fullmatch(r"job_[A-Za-z0-9]{20}", first), first
    sent = page.locator("#timeline").element_handle()
    page.get_by_role("button", name="Resend with the same Idempotency-Key").click()
    # The resend's answer replaces the run: wait for that before reading the job id again.
    page.wait_for_function("timeline => !timeline.isConnected", arg=sent)
    expect(page.locator("#timeline")).to_contain_text("Idempotency-Key: browser-key-1")
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 202 Accepted")
    expect(page.locator("#run-status code")).to_have_text(first)


def test_without_javascript_a_send_is_sent_on_to_its_runs_page_which_keeps_the_history(
    browser: Browser, site_server: Any, worker: None
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site_server.url}/playground/")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    # Post/Redirect/Get: the address is the run's own, which reloads and shares.
    run_url = page.url.partition("#")[0]
    assert re.fullmatch(rf"{site_server.url}/playground/runs/run_[\w-]+/", run_url), page.url
    items = page.locator("#timeline > .timeline__item")
    expect(items.first).to_contain_text("HTTP/1.1 202 Accepted")
    assert_no_dead_control(page)
    # Each "Poll now" adds the poll to the run and comes back to its page, until a final
    # state has none. Polls the worker has not caught up with only make the run longer.
    poll = page.get_by_role("button", name="Poll now")
    for _ in range(300):
        if not poll.count():
            break
        before = items.count()
        with page.expect_navigation():
            poll.click()
        assert page.url.partition("#")[0] == run_url
        expect(items).not_to_have_count(before)
    expect(page.locator("#timeline")).to_contain_text("Polling stopped")
    expect(page.locator(STATE)).to_have_text("succeeded")
    # The whole history: the Send's 202 first, the 303 and the result last.
    expect(items.first).to_contain_text("HTTP/1.1 202 Accepted")
    expect(items.nth(-2)).to_contain_text("HTTP/1.1 303 See Other")
    shown = items.count()
    page.reload()
    expect(items).to_have_count(shown)
    assert_no_dead_control(page)
    context.close()


def assert_no_dead_control(page: Page) -> None:
    """Without JavaScript, every button a reader can see submits a form."""
    for button in page.locator("button:visible").all():
        assert button.evaluate("(b) => b.type === 'submit' && !!b.form"), button.inner_text()


def test_202_page_runs_the_playground_inline(page: Page, site_server: Any, worker: None) -> None:
    page.goto(f"{site_server.url}/202/#playground")
    page.locator("section.section--playground").get_by_role("button", name="Send").click()
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 303 See Other", timeout=20_000)


@pytest.fixture
def other_site(site_server: Any) -> Iterator[str]:
    """Someone else's docs page, on its own origin, framing the embed and the full page."""
    site = OtherSite(
        {
            "/guide": (
                "<!doctype html><title>Docs</title>"
                f'<iframe title="Embedded" src="{site_server.url}/playground/embed/"></iframe>'
                f'<iframe title="Full page" src="{site_server.url}/playground/"></iframe>'
            )
        }
    )
    yield site.url("/guide")
    site.stop()


def test_embed_can_be_framed_by_other_sites_and_the_playground_cannot(
    page: Page, site_server: Any, other_site: str
) -> None:
    embed_url = f"{site_server.url}/playground/embed/"
    full_url = f"{site_server.url}/playground/"
    with (
        page.expect_response(embed_url) as embed_answer,
        page.expect_response(full_url) as full_answer,
        page.expect_event("requestfailed", lambda request: request.url == full_url) as refused,
    ):
        page.goto(other_site)
    # The embed allows any framer, and loads and works inside the other site's page.
    embed_headers = embed_answer.value.all_headers()
    assert embed_answer.value.status == 200
    assert "frame-ancestors *" in embed_headers["content-security-policy"]
    assert "x-frame-options" not in embed_headers
    embedded = page.frame_locator("iframe[title=Embedded]")
    expect(embedded.get_by_role("button", name="Send")).to_be_visible()
    # The full page refuses every framer, and Chromium blocks it: the frame shows
    # Chromium's error page instead of the playground.
    # Refused before anything rendered: another site's frame is no way into the full page.
    assert full_answer.value.status == 403
    full_headers = full_answer.value.all_headers()
    assert "frame-ancestors 'none'" in full_headers["content-security-policy"]
    assert full_headers["x-frame-options"] == "DENY"
    assert refused.value.failure == "net::ERR_BLOCKED_BY_RESPONSE"
    full = page.locator("iframe[title='Full page']").element_handle().content_frame()
    assert full is not None
    full.wait_for_url("chrome-error://chromewebdata/")
    expect(full.get_by_role("button", name="Send")).to_have_count(0)


def test_playground_at_360_px_does_not_scroll_sideways(
    browser: Browser, site_server: Any, worker: None
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{site_server.url}/playground/")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 303 See Other", timeout=20_000)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    context.close()


def test_pause_holds_polling_and_resume_goes_on(page: Page, site_server: Any, worker: None) -> None:
    page.goto(f"{site_server.url}/playground/")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 202 Accepted")
    page.get_by_role("button", name="Pause polling").click()
    expect(page.get_by_role("button", name="Resume polling")).to_have_attribute(
        "aria-pressed", "true"
    )
    items = page.locator("#timeline .timeline__item")
    polls = items.count()
    # The poll the server's Retry-After scheduled comes due and is held back; the
    # run's status line says so (Retry-After is at most a few seconds).
    expect(page.locator("#next-poll")).to_have_attribute("data-poll-held", "", timeout=10_000)
    status = page.get_by_role("status").filter(has_text="Job")
    expect(status).to_contain_text(HELD_NOTE)
    expect(items).to_have_count(polls)
    page.get_by_role("button", name="Resume polling").click()
    expect(page.locator("[data-poll-held]")).to_have_count(0)
    expect(status).not_to_contain_text(HELD_NOTE)
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 303 See Other", timeout=20_000)
    expect(page.locator(STATE)).to_have_text("succeeded")


def test_keyboard_only_send_announces_the_outcome(
    page: Page, site_server: Any, worker: None
) -> None:
    page.goto(f"{site_server.url}/playground/")
    page.get_by_role("button", name="Send").focus()
    page.keyboard.press("Enter")
    # Focus moves to the run so the reader lands on what happened.
    expect(page.locator("#run-title")).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="Job").locator(".badge")).to_have_text(
        "succeeded", timeout=20_000
    )

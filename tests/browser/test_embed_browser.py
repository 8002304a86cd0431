"""The console where readers really use it: framed on another site, and through failed requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserType, FrameLocator, Page, Route, expect

from tests.browser.helpers import CHROMIUM_ARGS, CHROMIUM_PATH, OtherSite, assert_no_axe_violations

pytestmark = pytest.mark.browser

STATE = "#run-status .badge"
# Chromium's switch for the "third-party cookies blocked" setting readers turn on.
BLOCK_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"


@pytest.fixture
def docs(site_server: Any) -> Iterator[OtherSite]:
    """A doc writer's site on another host name, with the snippet the embed page offers."""
    embed = f"{site_server.url}/playground/embed/"
    site = OtherSite(
        {
            "/guide": (
                '<!doctype html><html lang="en"><title>Our async API</title>'
                "<h1>We answer 202</h1>"
                f'<iframe title="202 Accepted, live" src="{embed}" width="800" height="1400">'
                "</iframe>"
                f'<iframe title="Reference page" src="{site_server.url}/202/"></iframe>'
            ),
            # Another site's page posting straight to the console, as a forged form would.
            "/forged": (
                '<!doctype html><html lang="en"><title>Elsewhere</title>'
                f'<form method="post" action="{site_server.url}/playground/send">'
                '<input type="hidden" name="example" value="bulk-email">'
                '<input type="hidden" name="content_type" value="application/json">'
                '<input type="hidden" name="body" value=\'{"subject": "x", "body": "y", '
                '"recipients": ["ada@example.test"]}\'>'
                "<button>Send it</button></form>"
            ),
        }
    )
    yield site
    site.stop()


@pytest.fixture(params=["third-party cookies allowed", "third-party cookies blocked"])
def reader(request: pytest.FixtureRequest, browser: Browser, browser_type: BrowserType) -> Any:
    """A reader's browser, once as it comes and once with third-party cookies blocked."""
    if request.param == "third-party cookies allowed":
        context = browser.new_context()
        yield context.new_page()
        context.close()
        return
    blocking = browser_type.launch(
        executable_path=CHROMIUM_PATH, args=[*CHROMIUM_ARGS, BLOCK_THIRD_PARTY_COOKIES]
    )
    yield blocking.new_page()
    blocking.close()


def framed(page: Page) -> FrameLocator:
    return page.frame_locator("iframe[title='202 Accepted, live']")


def send_and_confirm(embed: FrameLocator, send: str = "Send") -> None:
    """The embed's two steps: Send shows the request and sends nothing; Confirm sends it."""
    embed.get_by_role("button", name=send).click()
    expect(embed.locator(".confirm-send")).to_contain_text("Nothing is sent yet")
    expect(embed.locator(".confirm-send")).to_contain_text("POST http")
    # Held until the server would count it: a click landing as it appears does nothing.
    # The page's script marks the button held as it disables it; how long it stays
    # disabled is a second of the browser's clock, which a busy machine may let pass
    # before this line runs, so the mark is what is judged, then the click once enabled.
    confirm = embed.get_by_role("button", name="Confirm and send")
    expect(confirm).to_have_attribute("data-held", "")
    expect(confirm).to_be_enabled()
    confirm.click()


def test_the_embed_runs_the_whole_flow_on_another_site(
    reader: Page, docs: OtherSite, worker: None
) -> None:
    reader.goto(docs.url("/guide"))
    embed = framed(reader)
    # A variant, then Send: 202, polls, 303, the result, inside someone else's page.
    embed.get_by_role("link", name="Partial bounces").click()
    # The swapped-in console, variant chosen, before its form is used.
    expect(
        embed.locator("#console [aria-current='true']", has_text="Partial bounces")
    ).to_be_visible()
    expect(embed.get_by_label("Body")).to_contain_text("nobody@bounce.example.test")
    send_and_confirm(embed)
    # The first page of a fresh browser on a loaded machine: give it time.
    expect(embed.locator("#timeline")).to_contain_text("HTTP/1.1 202 Accepted", timeout=20_000)
    expect(embed.locator("#timeline")).to_contain_text("HTTP/1.1 303 See Other", timeout=20_000)
    expect(embed.locator("#timeline")).to_contain_text('"bounced": 1')
    expect(embed.locator(STATE)).to_have_text("succeeded")
    first = embed.locator("#run-status code").inner_text()
    # Send again: a second job, from the same frame, through its own preview.
    send_and_confirm(embed, "Send again")
    expect(embed.locator("#run-status code")).not_to_have_text(first)
    expect(embed.locator(STATE)).to_have_text("succeeded", timeout=20_000)
    assert embed.locator("#run-problem").is_hidden()
    # The same page framing any other page of the site is refused.
    reference = reader.locator("iframe[title='Reference page']").element_handle().content_frame()
    assert reference is not None
    reference.wait_for_url("chrome-error://chromewebdata/")


def test_cancel_and_pause_work_in_the_embed_on_another_site(reader: Page, docs: OtherSite) -> None:
    # No worker: the job stays queued until canceled.
    reader.goto(docs.url("/guide"))
    embed = framed(reader)
    send_and_confirm(embed)
    expect(embed.locator(STATE)).to_have_text("queued")
    embed.get_by_role("button", name="Pause polling").click()
    expect(embed.get_by_role("button", name="Resume polling")).to_have_attribute(
        "aria-pressed", "true"
    )
    embed.get_by_role("button", name="Resume polling").click()
    embed.get_by_role("button", name="Cancel job").click()
    expect(embed.locator("#timeline")).to_contain_text("DELETE")
    expect(embed.locator(STATE)).to_have_text("canceled", timeout=20_000)


def test_a_post_from_another_sites_page_is_refused(page: Page, docs: OtherSite) -> None:
    page.goto(docs.url("/forged"))
    with page.expect_response(lambda response: response.url.endswith("/playground/send")) as sent:
        page.get_by_role("button", name="Send it").click()
    assert sent.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text(
        "Refused: this console sends only from this site's own pages"
    )


def test_polls_that_fail_are_retried_until_the_result(
    page: Page, site_server: Any, worker: None, settings: Any
) -> None:
    settings.DEMO_PACE = 0.3
    answers: list[str] = []

    def flaky(route: Route) -> None:
        # The server goes away for two polls, then answers 503 once, then is back.
        if len(answers) < 2:
            answers.append("aborted")
            route.abort("connectionreset")
        elif len(answers) == 2:
            answers.append("503")
            route.fulfill(status=503, body="Restarting", headers={"Retry-After": "1"})
        else:
            answers.append("passed")
            route.continue_()

    page.goto(f"{site_server.url}/playground/")
    page.route("**/playground/jobs/*/poll*", flaky)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 202 Accepted")
    problem = page.locator("#run-problem")
    expect(problem).to_contain_text("Lost the connection to the server; trying again in")
    # What the page still shows is marked as possibly out of date, and nothing is lost.
    expect(page.locator("#run-status")).to_contain_text("it may have changed since")
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 202 Accepted")
    assert_no_axe_violations(page)  # mid-failure
    expect(problem).to_contain_text("The server answered 503", timeout=15_000)
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 303 See Other", timeout=30_000)
    expect(page.locator(STATE)).to_have_text("succeeded")
    expect(problem).to_be_hidden()
    expect(page.locator("#run-status")).not_to_contain_text("it may have changed")
    assert answers[:3] == ["aborted", "aborted", "503"] and "passed" in answers


def test_a_console_that_cannot_reach_the_server_offers_try_again(
    page: Page, site_server: Any, worker: None
) -> None:
    page.goto(f"{site_server.url}/playground/")
    page.route("**/playground/jobs/*/poll*", lambda route: route.abort("connectionrefused"))
    # Speed the backoff up: every wait is its shortest.
    page.evaluate("Math.random = () => 0")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("button", name="Try again")).to_be_visible(timeout=60_000)
    expect(page.locator("#run-problem")).to_contain_text("Gave up after 6 tries")
    page.unroute("**/playground/jobs/*/poll*")
    page.get_by_role("button", name="Try again").click()
    expect(page.locator(STATE)).to_have_text("succeeded", timeout=20_000)
    expect(page.locator("#run-problem")).to_be_hidden()


def test_a_failed_send_is_not_sent_again_on_its_own_without_an_idempotency_key(
    page: Page, site_server: Any
) -> None:
    sends: list[str] = []

    def cut_off(route: Route) -> None:
        sends.append(route.request.url)
        route.abort("connectionreset")

    page.goto(f"{site_server.url}/playground/")
    page.route("**/playground/send", cut_off)
    page.get_by_role("button", name="Send").click()
    problem = page.locator("#run-problem")
    # It may have been accepted before the connection dropped: the reader decides.
    expect(problem).to_contain_text("may or may not have been accepted")
    expect(problem.get_by_role("button", name="Try again")).to_be_visible()
    assert len(sends) == 1
    page.unroute("**/playground/send")
    problem.get_by_role("button", name="Try again").click()
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 202 Accepted")
    expect(problem).to_be_hidden()


def test_a_failed_send_with_an_idempotency_key_is_retried_on_its_own(
    page: Page, site_server: Any
) -> None:
    sends: list[str] = []

    def once_cut_off(route: Route) -> None:
        sends.append(route.request.url)
        if len(sends) == 1:
            route.abort("connectionreset")
        else:
            route.continue_()

    page.goto(f"{site_server.url}/playground/")
    page.route("**/playground/send", once_cut_off)
    page.get_by_text("More options").click()  # the protocol options are folded
    page.get_by_label("Idempotency-Key").fill("browser-retry-1")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#run-problem")).to_contain_text("trying again in")
    expect(page.locator("#timeline")).to_contain_text("Idempotency-Key: browser-retry-1")
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 202 Accepted")
    assert len(sends) == 2

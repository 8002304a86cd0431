"""The console's convention switch and "What the browser hides", in a real browser.

The switch swaps the console (htmx) and the run goes through the chosen convention's
URLs; once the run is over, the page's own fetch() of the status monitor shows what
a script sees: the RFC 9110 monitor's 303 already followed (response.redirected), and
which headers another origin's script could read.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_no_axe_violations

pytestmark = pytest.mark.browser

STATE = "#run-status .badge"


def row(page: Page, header: str) -> Any:
    """The header table's row for one response header."""
    name = page.get_by_role("rowheader", name=header, exact=True)
    return page.locator("#browser-view tbody tr").filter(has=name)


def fact(page: Page, name: str) -> Any:
    return page.locator(f'#browser-view [data-fact="{name}"]')


def test_the_browser_hides_the_303(page: Page, site_server: Any, worker: None) -> None:
    page.goto(f"{site_server.url}/playground/")
    expect(page.locator("#browser-view")).to_be_hidden()
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 303 See Other", timeout=20_000)
    expect(page.locator(STATE)).to_have_text("succeeded")
    view = page.locator("#browser-view")
    expect(view).to_be_visible()
    expect(fact(page, "response.redirected")).to_have_text("true", timeout=10_000)
    expect(fact(page, "response.status")).to_have_text("200 OK")
    expect(fact(page, "response.url")).to_have_text(
        f"{site_server.url}/api/jobs/{page.locator('#run-status code').inner_text()}/result"
    )
    expect(view).to_contain_text("type opaqueredirect, status 0")
    etag = row(page, "etag")
    expect(etag.locator("[data-cross-origin]")).to_have_text(
        "readable: only because Access-Control-Expose-Headers lists it"
    )
    content_type = row(page, "content-type")
    expect(content_type.locator("[data-cross-origin]")).to_have_text("readable: CORS-safelisted")
    policy = row(page, "cross-origin-opener-policy")
    expect(policy.locator("[data-cross-origin]")).to_have_text(
        "hidden: neither safelisted nor exposed"
    )
    assert_no_axe_violations(page)


def test_the_switch_sends_under_another_convention(
    page: Page, site_server: Any, worker: None
) -> None:
    page.goto(f"{site_server.url}/playground/")
    page.get_by_role("link", name="Request-Reply", exact=True).click()
    expect(page.locator(".console__target code")).to_have_text("/api/request-reply/emails/bulk")
    expect(page.get_by_role("link", name="Request-Reply", exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    # Swapped by htmx, not reloaded: the URL is still the page's own.
    assert "convention=" not in page.url
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Send").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("POST ")
    expect(timeline).to_contain_text("/api/request-reply/emails/bulk")
    expect(timeline).to_contain_text("HTTP/1.1 303 See Other", timeout=20_000)
    expect(page.locator(STATE)).to_have_text("succeeded")
    # The request-reply status redirects too: fetch() follows that 303 as silently.
    expect(fact(page, "response.redirected")).to_have_text("true", timeout=10_000)
    assert_no_axe_violations(page)


def test_no_redirect_to_hide_under_aip151(page: Page, site_server: Any, worker: None) -> None:
    page.goto(f"{site_server.url}/playground/?example=bulk-email&convention=aip151")
    expect(page.locator(".console__target code")).to_have_text("/api/aip151/emails/bulk")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(STATE)).to_have_text("succeeded", timeout=20_000)
    expect(fact(page, "response.redirected")).to_have_text("false", timeout=10_000)
    expect(fact(page, "response.url")).to_contain_text("/api/aip151/operations/job_")
    expect(page.locator("#browser-view")).not_to_contain_text("opaqueredirect")
    # The button fetches again at any time.
    page.get_by_role("button", name="fetch() the status monitor now").click()
    expect(fact(page, "response.status")).to_have_text("200 OK")


def test_odata_ends_with_an_async_result_a_script_can_read(
    page: Page, site_server: Any, worker: None
) -> None:
    page.goto(f"{site_server.url}/playground/?example=bulk-email&convention=odata")
    expect(page.locator(".console__target code")).to_have_text("/api/odata/emails/bulk")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#timeline")).to_contain_text("Prefer: respond-async")
    expect(page.locator(STATE)).to_have_text("succeeded", timeout=20_000)
    expect(page.locator("#timeline")).to_contain_text("AsyncResult: 200")
    expect(fact(page, "response.redirected")).to_have_text("false", timeout=10_000)
    expect(fact(page, "response.status")).to_have_text("200 OK")
    # Another origin's script learns how the request ended only because it is exposed.
    expect(row(page, "asyncresult").locator("[data-cross-origin]")).to_have_text(
        "readable: only because Access-Control-Expose-Headers lists it"
    )


def test_the_api_page_with_its_conventions_is_accessible(page: Page, site_server: Any) -> None:
    page.goto(f"{site_server.url}/api/#conventions")
    expect(page.locator("#convention-aip151")).to_contain_text("/api/aip151/operations/{jobId}")
    assert_no_axe_violations(page)

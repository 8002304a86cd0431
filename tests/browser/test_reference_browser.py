from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import assert_no_axe_violations
from tests.reference.helpers import PUBLIC_SECTION_IDS

pytestmark = pytest.mark.browser

# The dark theme's page background (--bg in static/css/site.css).
DARK_BACKGROUND = "rgb(18, 22, 20)"


def watch_requests(page: Page) -> list[str]:
    """Collect the URL of every request the page makes."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def wait_until_at_the_top(page: Page, element_id: str) -> None:
    """Wait until the page has scrolled (smoothly, it may) to put the element at the top."""
    page.wait_for_function(
        "id => { const top = document.getElementById(id).getBoundingClientRect().top;"
        " return top >= 0 && top < 100 && window.scrollY > 0; }",
        arg=element_id,
    )


def test_202_renders_every_section_and_fetches_only_its_own_origin(
    page: Page, site_server: Any
) -> None:
    requests = watch_requests(page)
    page.goto(f"{site_server.url}/202/")
    expect(page.locator("h1")).to_contain_text("202 Accepted")
    for section_id in PUBLIC_SECTION_IDS:
        expect(page.locator(f"h2#{section_id}")).to_be_visible()
    page.wait_for_load_state("networkidle")
    own = [url for url in requests if url.startswith(f"{site_server.url}/")]
    assert any(url.endswith(".css") for url in own), requests  # the watch saw the page load
    foreign = [url for url in requests if url not in own and not url.startswith("data:")]
    assert foreign == []


def test_section_self_link_updates_the_address_and_scrolls(page: Page, site_server: Any) -> None:
    page.goto(f"{site_server.url}/202/")
    page.locator("h2#pitfalls a.self-link").click()
    expect(page).to_have_url(f"{site_server.url}/202/#pitfalls")
    expect(page.locator("h2#pitfalls")).to_be_in_viewport()
    wait_until_at_the_top(page, "pitfalls")


def test_deep_link_to_a_section_lands_on_it(page: Page, site_server: Any) -> None:
    page.goto(f"{site_server.url}/202/#client-perspective")
    expect(page.locator("h2#client-perspective")).to_be_in_viewport()
    wait_until_at_the_top(page, "client-perspective")


def test_copy_link_copies_the_section_url(browser: Browser, site_server: Any) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{site_server.url}/202/")
    section_url = f"{site_server.url}/202/#pitfalls"
    page.get_by_role("link", name="Copy link to section Server-side pitfalls").click()
    # Announced once the clipboard holds it.
    expect(page.locator("#announcer")).to_have_text(f"Link copied: {section_url}")
    assert page.evaluate("navigator.clipboard.readText()") == section_url
    assert page.url == f"{site_server.url}/202/"  # copying does not navigate
    context.close()


def test_filter_narrows_the_list_as_you_type(page: Page, site_server: Any) -> None:
    page.goto(f"{site_server.url}/")
    codes = page.locator("#code-groups .code-list li")
    total = codes.count()
    assert total >= 60
    page.get_by_label("Filter by code, name or meaning").press_sequentially("gateway", delay=30)
    expect(page.locator("#code-groups")).to_contain_text("502")
    expect(codes).to_have_count(2)
    expect(page.locator("#code-groups")).to_contain_text("504")
    expect(page).to_have_url(f"{site_server.url}/?q=gateway")
    page.get_by_label("Filter by code, name or meaning").fill("")
    expect(codes).to_have_count(total)


@pytest.mark.parametrize(
    "path", ["/", "/202/", "/303/", "/429/", "/299/", "/playground/", "/playground/embed/", "/api/"]
)
def test_axe_finds_no_violations(page: Page, site_server: Any, path: str) -> None:
    page.goto(f"{site_server.url}{path}")
    assert_no_axe_violations(page)


def test_axe_finds_no_violations_in_dark_mode(browser: Browser, site_server: Any) -> None:
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(f"{site_server.url}/202/")
    expect(page.locator("body")).to_have_css("background-color", DARK_BACKGROUND)
    assert_no_axe_violations(page)
    context.close()


def test_page_works_without_javascript(browser: Browser, site_server: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site_server.url}/202/")
    expect(page.locator("h1")).to_contain_text("202 Accepted")
    for section_id in PUBLIC_SECTION_IDS:
        expect(page.locator(f"h2#{section_id}")).to_be_visible()
    expect(page.locator("#eli5 ~ *").first).to_be_visible()
    # "Copy link" is a plain link to the section without JavaScript.
    page.get_by_role("link", name="Copy link to section ELI5").click()
    expect(page).to_have_url(f"{site_server.url}/202/#eli5")
    # The filter submits as a form and the server narrows the list.
    page.goto(f"{site_server.url}/")
    page.get_by_label("Filter by code, name or meaning").fill("teapot")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(f"{site_server.url}/?q=teapot")
    expect(page.locator("#code-groups .code-list li")).to_have_count(1)
    expect(page.locator("#code-groups .code-list li")).to_contain_text("418")
    context.close()


@pytest.mark.parametrize("path", ["/", "/202/"])
def test_no_sideways_scroll_at_360_px(browser: Browser, site_server: Any, path: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{site_server.url}{path}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()

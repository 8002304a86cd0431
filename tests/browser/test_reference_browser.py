from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import assert_no_axe_violations

pytestmark = pytest.mark.browser

SECTION_IDS = [
    "eli5", "spec", "server-perspective", "client-perspective", "when-to-use", "how-to-respond",
    "headers", "response-body", "pitfalls", "examples", "playground", "references", "related",
]  # fmt: skip


def watch_origins(page: Page, origin: str) -> list[str]:
    """Collect every request the page makes to anywhere but the site itself."""
    foreign: list[str] = []

    def record(request: Any) -> None:
        if not request.url.startswith((origin, "data:")):
            foreign.append(request.url)

    page.on("request", record)
    return foreign


def test_202_renders_every_section_and_fetches_only_its_own_origin(
    page: Page, site_server: Any
) -> None:
    foreign = watch_origins(page, site_server.url)
    page.goto(f"{site_server.url}/202/")
    expect(page.locator("h1")).to_contain_text("202 Accepted")
    for section_id in SECTION_IDS:
        expect(page.locator(f"h2#{section_id}")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert foreign == []


def test_section_self_link_updates_the_address_and_scrolls(page: Page, site_server: Any) -> None:
    page.goto(f"{site_server.url}/202/")
    page.locator("h2#pitfalls a.self-link").click()
    expect(page).to_have_url(f"{site_server.url}/202/#pitfalls")
    expect(page.locator("h2#pitfalls")).to_be_in_viewport()


def test_deep_link_to_a_section_lands_on_it(page: Page, site_server: Any) -> None:
    page.goto(f"{site_server.url}/202/#client-perspective")
    expect(page.locator("h2#client-perspective")).to_be_in_viewport()


def test_copy_link_copies_the_section_url(browser: Browser, site_server: Any) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{site_server.url}/202/")
    page.get_by_role("link", name="Copy link to section Server-side pitfalls").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{site_server.url}/202/#pitfalls"
    expect(page.locator("#announcer")).to_contain_text("Link copied")
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
    assert_no_axe_violations(page)
    context.close()


def test_page_works_without_javascript(browser: Browser, site_server: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site_server.url}/202/")
    expect(page.locator("h1")).to_contain_text("202 Accepted")
    for section_id in SECTION_IDS:
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
    context.close()


@pytest.mark.parametrize("path", ["/", "/202/"])
def test_no_sideways_scroll_at_360_px(browser: Browser, site_server: Any, path: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{site_server.url}{path}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()

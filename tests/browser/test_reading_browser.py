"""Reading /202/ as a reader does: the answer first, the depth folded, tables that fit.

Layout facts measured in Chromium at a desktop and a phone size, in both themes:
where "When to use" ends, how long the reading path is (the page with every fold
closed), and that no table is clipped or breaks a word letter by letter.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import assert_no_axe_violations

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
SIZES = [pytest.param(DESKTOP, id="1280x800"), pytest.param(PHONE, id="360x740")]
THEMES = ["light", "dark"]

# A quick reader reaches the end of "When to use" within two screens on a desktop,
# four on a phone; the whole page, folds closed, is at most eight desktop screens.
WHEN_TO_USE_SCREENS = {1280: 2, 360: 4}
READING_PATH_SCREENS = 8

# The pages whose tables must fit: the reference page, the measured clients' own
# page, and the API's page (its endpoints table lost a column on phones).
TABLE_PAGES = ["/202/", "/playground/clients/", "/api/"]

MEASURE = """
() => {
  const section = document.querySelector('section.section--when-to-use');
  const box = section.getBoundingClientRect();
  return {
    whenToUseEnds: box.bottom + window.scrollY,
    readingPath: document.documentElement.scrollHeight,
    closedFolds: document.querySelectorAll('main details:not([open])').length,
  };
}
"""

# Every table, its caption and its scroll container must show all it holds: nothing
# wider than its box, nothing past the window's edge. A word (split where a browser
# may break a line: spaces, hyphens, slashes) spread over two lines is a word broken
# letter by letter.
TABLE_FAULTS = """
() => {
  const faults = [];
  const name = el => (el.closest('[id]') || el).id || el.tagName;
  // Visually hidden (clipped to a pixel on purpose, for screen readers).
  const hidden = el => getComputedStyle(el).clip.startsWith('rect') || !el.checkVisibility();
  const hiddenWithin = (el, table) => {
    for (let at = el; at && at !== table.parentElement; at = at.parentElement) {
      if (hidden(at)) return true;
    }
    return false;
  };
  for (const table of document.querySelectorAll('main table')) {
    if (!table.checkVisibility()) continue;  // inside a closed fold: not on the reading path
    for (const el of [table, table.parentElement, table.querySelector('caption')]) {
      if (!el || hidden(el)) continue;
      if (el.scrollWidth > el.clientWidth + 1) {
        const size = `${el.scrollWidth} px wide in ${el.clientWidth} px`;
        faults.push(`${name(el)}: ${el.tagName} content ${size}`);
      }
      if (el.getBoundingClientRect().right > window.innerWidth + 1) {
        faults.push(`${name(el)}: ${el.tagName} ends past the window`);
      }
    }
    const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (hiddenWithin(node.parentElement, table)) continue;
      for (const match of node.data.matchAll(/[^\\s\\-\\/]+[\\-\\/]?/g)) {
        if (match[0].length < 2) continue;
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = [...range.getClientRects()].filter(r => r.width > 0);
        const tops = new Set(lines.map(r => Math.round(r.top)));
        if (tops.size > 1) {
          faults.push(`${name(node.parentElement)}: "${match[0]}" broken over ${tops.size} lines`);
        }
      }
    }
  }
  return faults;
}
"""


def open_page(browser: Browser, url: str, viewport: dict[str, int], theme: str) -> Page:
    context = browser.new_context(viewport=viewport, color_scheme=theme)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(url)
    # Measured once the fonts are in: a fallback font lays the page out differently.
    page.wait_for_function("document.fonts.status === 'loaded'")
    return page


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("viewport", SIZES)
def test_202_gives_the_answer_on_the_first_screens(
    browser: Browser, site_server: Any, viewport: dict[str, int], theme: str
) -> None:
    page = open_page(browser, f"{site_server.url}/202/", viewport, theme)
    # The answer, in this order: the definition, ELI5, when to use (and which code
    # instead), how to respond and its headers.
    order = page.evaluate(
        "ids => ids.map(id => document.getElementById(id).getBoundingClientRect().top)",
        ["eli5", "when-to-use", "how-to-respond", "headers"],
    )
    lede = page.locator(".status-head .lede").bounding_box()
    assert lede is not None and lede["y"] < order[0] < order[1] < order[2] < order[3], order
    expect(
        page.locator("section.section--when-to-use h3", has_text="Use another code instead")
    ).to_be_visible()
    facts = page.evaluate(MEASURE)
    height = viewport["height"]
    assert facts["whenToUseEnds"] <= WHEN_TO_USE_SCREENS[viewport["width"]] * height, facts
    if viewport["width"] == DESKTOP["width"]:
        assert facts["readingPath"] <= READING_PATH_SCREENS * height, facts
    # The depth is folded, not dropped: the long discussions wait behind summaries.
    assert facts["closedFolds"] >= 10, facts
    assert_no_axe_violations(page)
    page.context.close()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("viewport", SIZES)
@pytest.mark.parametrize("path", TABLE_PAGES)
def test_tables_fit_without_clipping_or_broken_words(
    browser: Browser, site_server: Any, path: str, viewport: dict[str, int], theme: str
) -> None:
    page = open_page(browser, f"{site_server.url}{path}", viewport, theme)
    assert page.locator("main table").count() > 0
    assert page.evaluate(TABLE_FAULTS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.context.close()


def test_opened_folds_keep_their_tables_whole(browser: Browser, site_server: Any) -> None:
    """The tables behind a fold fit too, once the reader opens it."""
    for viewport in (DESKTOP, PHONE):
        page = open_page(browser, f"{site_server.url}/202/", viewport, "light")
        page.evaluate("document.querySelectorAll('main details').forEach(d => { d.open = true; })")
        assert page.locator("main table:visible").count() >= 2  # a body's fields, the constants
        assert page.evaluate(TABLE_FAULTS) == []
        page.context.close()


def test_the_api_pages_stage_folds_fit_and_pass_axe_once_opened(
    browser: Browser, site_server: Any
) -> None:
    """Each convention's stages, quotes and all, behind its fold: open, they fit a phone
    and a desktop, and axe finds nothing wrong in either theme."""
    for viewport, theme in ((DESKTOP, "light"), (PHONE, "dark")):
        page = open_page(browser, f"{site_server.url}/api/", viewport, theme)
        folds = page.locator("main details[id$='-stages']")
        assert folds.count() >= 5
        page.evaluate("document.querySelectorAll('main details').forEach(d => { d.open = true; })")
        expect(page.locator("#rfc9110-stages blockquote[cite]").first).to_be_visible()
        assert page.evaluate(TABLE_FAULTS) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert_no_axe_violations(page)
        page.context.close()


def test_the_clients_page_is_axe_clean_in_both_themes(browser: Browser, site_server: Any) -> None:
    for theme in THEMES:
        page = open_page(browser, f"{site_server.url}/playground/clients/", DESKTOP, theme)
        expect(page.locator("h1")).to_have_text("What real clients conclude")
        assert_no_axe_violations(page)
        page.context.close()


def test_old_anchors_land_behind_a_fold_and_where_content_moved(
    page: Page, site_server: Any
) -> None:
    # Jumps, not smooth scrolls: on a busy machine a smooth scroll can still be on its way
    # (or be cut short by the next jump) when the check looks where it landed.
    page.emulate_media(reduced_motion="reduce")
    # An anchor inside a closed fold opens it on arrival.
    page.goto(f"{site_server.url}/202/#client-python")
    expect(page.locator("#client-python")).to_be_visible()
    expect(page.locator("#example-clients")).to_have_attribute("open", "")
    page.goto(f"{site_server.url}/202/#example-file-processing")
    expect(page.locator("#example-file-processing")).to_be_visible()
    expect(page.locator("#example-file-processing")).to_contain_text("POST /api/files/process")
    # A moved anchor is still on /202/, and its link lands where the content went.
    page.goto(f"{site_server.url}/202/#compatibility-azure-caption")
    moved = page.locator("#compatibility-azure-caption")
    expect(moved).to_be_in_viewport()
    moved.click()
    expect(page).to_have_url(f"{site_server.url}/playground/clients/#compatibility-azure-caption")
    expect(page.locator("#compatibility-azure-caption")).to_be_in_viewport()
    expect(page.locator("#compatibility-azure-caption")).to_contain_text("Azure")
    # And #pitfalls still lands on the pitfalls.
    page.goto(f"{site_server.url}/202/#pitfalls")
    expect(page.locator("h2#pitfalls")).to_be_in_viewport()
    expect(page.locator("h2#pitfalls")).to_contain_text("Server-side pitfalls")
    # The answer to "is Location on a 202 right?" waits in a fold a link opens.
    page.goto(f"{site_server.url}/202/#location-on-202")
    expect(page.locator("#location-on-202")).to_be_in_viewport()
    expect(page.locator("#location-on-202")).to_contain_text("allowed, but given no meaning")

"""The run as a reader sees it, measured: Send on the first screen, exchanges that fit
their cards, the drawing where the eye is, no dead controls, an embed that fits its frame.

Layout facts, so each waits for a state of the page and then measures it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from playground.sending import PROTOCOL_HEADERS
from playground.views.embed import EMBED_FRAME_HEIGHT
from tests.browser.helpers import assert_no_axe_violations

pytestmark = pytest.mark.browser

STATE = "#run-status .badge"
WIDE: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 360, "height": 740}
# The pace the site runs at by default: a run has the polls a reader really sees.
READER_PACE = 1.0

# Each protocol header line of every card: how far it reaches past its own box, and past
# its card (both 0 when nothing is cut).
PROTOCOL_LINES = """() => [...document.querySelectorAll('.exchange-card__response')]
.flatMap(pre => {
  const card = pre.closest('.exchange-card').getBoundingClientRect();
  const cut = Math.max(0, pre.scrollWidth - pre.clientWidth);
  return [...pre.querySelectorAll('code > span')].map(line => ({
    text: line.textContent,
    cut,
    past: Math.max(0, line.getBoundingClientRect().right - card.right),
  }));
})"""

# Shown elements that scroll inside the page (a form's text field is the reader's own to
# scroll; what a closed fold holds is not shown).
NESTED_SCROLLERS = """() => [...document.querySelectorAll('body *')].filter(element => {
  if (element.matches('textarea, select, input') || !element.checkVisibility()) return false;
  const style = getComputedStyle(element);
  const scrolls = (overflow) => overflow === 'auto' || overflow === 'scroll';
  return (scrolls(style.overflowY) && element.scrollHeight > element.clientHeight + 1)
    || (scrolls(style.overflowX) && element.scrollWidth > element.clientWidth + 1);
}).map(element => element.outerHTML.slice(0, 80))"""


@pytest.fixture(params=["light", "dark"])
def color_scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def open_page(browser: Browser, viewport: ViewportSize, **options: Any) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport, **options)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def wide(browser: Browser, color_scheme: str) -> Iterator[Page]:
    yield from open_page(browser, WIDE, color_scheme=color_scheme)


@pytest.fixture
def phone(browser: Browser, color_scheme: str) -> Iterator[Page]:
    yield from open_page(browser, PHONE, color_scheme=color_scheme)


def send_bottom(page: Page) -> float:
    box = page.get_by_role("button", name="Send", exact=True).bounding_box()
    assert box is not None
    return box["y"] + box["height"]


def run_to_the_end(page: Page) -> None:
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(STATE)).to_have_text("succeeded", timeout=30_000)
    expect(page.locator("#timeline .timeline__end")).to_contain_text("Polling stopped")


def assert_protocol_headers_whole(page: Page) -> None:
    lines = page.evaluate(PROTOCOL_LINES)
    assert any(line["text"].startswith("Location: ") for line in lines)
    cut = [line for line in lines if line["cut"] or line["past"] > 0.5]
    assert cut == [], cut


def card_heights(page: Page) -> list[int]:
    return [
        round(box["height"])
        for card in page.locator(".exchange-card").all()
        if (box := card.bounding_box())
    ]


def top(page: Page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None
    return box["y"]


def test_on_a_wide_screen_send_is_on_the_first_screen_and_the_drawing_beside_the_run(
    wide: Page, site_server: Any, worker: None
) -> None:
    wide.goto(f"{site_server.url}/playground/")
    assert send_bottom(wide) <= WIDE["height"]
    run_to_the_end(wide)
    assert_protocol_headers_whole(wide)
    timeline = wide.locator("#timeline").bounding_box()
    drawing = wide.locator(".run-side").bounding_box()
    assert timeline is not None and drawing is not None
    # Beside: to the right of the timeline, starting level with it.
    assert drawing["x"] >= timeline["x"] + timeline["width"]
    assert abs(drawing["y"] - timeline["y"]) < 2
    print(f"1280x800: Send's bottom {send_bottom(wide):.0f} px, card heights {card_heights(wide)}")
    assert_no_axe_violations(wide)


def test_on_a_phone_the_drawing_comes_right_under_the_status(
    phone: Page, site_server: Any, worker: None
) -> None:
    phone.goto(f"{site_server.url}/playground/")
    send = send_bottom(phone)
    run_to_the_end(phone)
    assert_protocol_headers_whole(phone)
    assert top(phone, "#run-status") < top(phone, ".run-side") < top(phone, "#timeline")
    print(f"360x740: Send's bottom {send:.0f} px, card heights {card_heights(phone)}")
    assert_no_axe_violations(phone)


def test_every_protocol_header_a_card_shows_is_one_the_list_names(
    phone: Page, site_server: Any, worker: None
) -> None:
    phone.goto(f"{site_server.url}/playground/")
    run_to_the_end(phone)
    names = {line["text"].split(":", 1)[0] for line in phone.evaluate(PROTOCOL_LINES)}
    assert {"Location", "Retry-After", "Content-Type"} <= names <= set(PROTOCOL_HEADERS)
    # The rest of the answer waits in the fold, closed.
    raw = phone.locator(".exchange-card__raw").first
    expect(raw).not_to_have_attribute("open", "")
    expect(raw.locator("summary")).to_contain_text("response headers")


def test_without_javascript_no_control_is_dead(
    browser: Browser, site_server: Any, worker: None
) -> None:
    for page in open_page(browser, PHONE, java_script_enabled=False):
        page.goto(f"{site_server.url}/playground/")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 202 Accepted")
        # Pending: the run's own controls are there (Cancel, and Pause for the script).
        expect(page.locator("[data-pause-polling]")).to_have_count(1)
        expect(page.locator("[data-pause-polling]")).to_be_hidden()
        expect(page.locator("#browser-view")).to_be_hidden()
        dead = page.evaluate(
            """() => [...document.querySelectorAll('button')]
              .filter(button => button.checkVisibility())
              .filter(button => !(button.type === 'submit' && button.form))
              .filter(button => !button.closest('details'))
              .map(button => button.outerHTML)"""
        )
        assert dead == []


@pytest.mark.parametrize("width", [764, 360])
def test_the_embed_shows_a_whole_run_in_its_frame(
    browser: Browser, site_server: Any, worker: None, settings: Any, width: int
) -> None:
    settings.DEMO_PACE = READER_PACE
    frame: ViewportSize = {"width": width, "height": EMBED_FRAME_HEIGHT}
    for page in open_page(browser, frame):
        page.goto(f"{site_server.url}/playground/embed/?example=bulk-email")
        page.get_by_role("button", name="Send", exact=True).click()
        confirm = page.get_by_role("button", name="Confirm and send")
        expect(confirm).to_have_attribute("data-held", "")
        expect(confirm).to_be_enabled()
        confirm.click()
        expect(page.locator(STATE)).to_have_text("succeeded", timeout=30_000)
        expect(page.locator("#timeline")).to_contain_text("HTTP/1.1 303 See Other")
        page.evaluate("window.scrollTo(0, 0)")
        result = page.locator(".exchange-card").last.bounding_box()
        status = page.locator("#run-status").bounding_box()
        height = page.evaluate("document.documentElement.scrollHeight")
        content = page.evaluate("Math.ceil(document.body.getBoundingClientRect().bottom)")
        assert result is not None and status is not None
        print(
            f"embed at {width} px: {page.locator('.exchange-card').count()} exchanges, "
            f"the result ends at {result['y'] + result['height']:.0f} px, "
            f"the page's content at {content} px (frame {EMBED_FRAME_HEIGHT} px)"
        )
        assert result["y"] + result["height"] <= EMBED_FRAME_HEIGHT
        assert status["y"] + status["height"] <= EMBED_FRAME_HEIGHT
        assert height <= EMBED_FRAME_HEIGHT
        assert page.evaluate(NESTED_SCROLLERS) == []


def test_the_readme_recommends_the_frame_height_the_embed_is_measured_in() -> None:
    from django.conf import settings

    readme = (settings.BASE_DIR / "README.md").read_text()
    assert f'height="{EMBED_FRAME_HEIGHT}"' in readme
    assert f"{EMBED_FRAME_HEIGHT} px" in readme


# Whether the end of the run (the pending poll, or the line saying polling stopped) is
# in the window.
EDGE_IN_VIEW = """() => {
  const edge = document.querySelector('#next-poll, #timeline > .timeline__end');
  if (!edge) return false;
  const box = edge.getBoundingClientRect();
  // Scrolled to "nearest", its edge sits on the window's, to a fraction of a pixel.
  return box.top >= -1 && box.bottom <= window.innerHeight + 1;
}"""


def test_a_reader_at_the_live_edge_follows_it_and_one_reading_above_stays(
    browser: Browser, site_server: Any, worker: None, settings: Any
) -> None:
    settings.DEMO_PACE = READER_PACE
    for page in open_page(browser, PHONE, reduced_motion="reduce"):
        page.goto(f"{site_server.url}/playground/")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#next-poll")).to_be_attached()
        # At the edge: each answer that lands brings the new edge into view, to the end.
        page.locator("#next-poll").scroll_into_view_if_needed()
        expect(page.locator("#timeline > .timeline__end")).to_be_attached(timeout=30_000)
        page.wait_for_function(EDGE_IN_VIEW)
        # Reading above: a new run's answers land below and the window stays put.
        page.get_by_role("button", name="Send again").click()
        expect(page.locator("#next-poll")).to_be_attached()
        page.evaluate("window.scrollTo(0, 0)")
        expect(page.locator("#timeline > .timeline__end")).to_be_attached(timeout=30_000)
        assert page.evaluate("window.scrollY") == 0

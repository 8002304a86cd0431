"""Every kind of copy control says "✓ copied" where it can be read: a contrast of at least
4.5:1 (WCAG 2 AA for text) against what it is drawn on, in the light and the dark theme."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

pytestmark = pytest.mark.browser

# WCAG 2's minimum for text of ordinary size.
MINIMUM_CONTRAST = 4.5

# Read in one go the moment the control holds its mark, since the mark goes after a
# while: the confirmation's own style, and the colours it is seen in. A colour is
# what the page paints: each background laid over what is under it, from the canvas up
# to the control, and each element's brightness() filter (a hovered button's)
# applied to its own background and everything drawn inside it.
MEASURE = """(control) => {
  if (!control.hasAttribute("data-copied")) return null;
  const rgba = (value) => {
    const [r, g, b, a = 1] = value.match(/[\\d.]+/g).map(Number);
    return [r, g, b, a];
  };
  const brightness = (element) => {
    const found = getComputedStyle(element).filter.match(/brightness\\(([\\d.]+)\\)/);
    return found ? Number(found[1]) : 1;
  };
  const lit = (color, factor) => color.slice(0, 3).map((c) => Math.min(255, c * factor));
  const ancestry = [];
  for (let at = control; at; at = at.parentElement) ancestry.push(at);
  const layers = [];
  let filtered = 1;
  for (const element of [...ancestry].reverse()) {
    filtered *= brightness(element);
    layers.push({ color: rgba(getComputedStyle(element).backgroundColor), filtered });
  }
  // From the root's canvas up to the control, each layer over the ones below it.
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  let background = dark ? [18, 18, 18] : [255, 255, 255];
  for (const { color, filtered: factor } of layers) {
    const [r, g, b, a] = color;
    const top = lit([r, g, b], factor);
    background = background.map((under, i) => top[i] * a + under * (1 - a));
  }
  const after = getComputedStyle(control, "::after");
  const text = rgba(after.color);
  const shown = lit(text, layers[layers.length - 1].filtered).map(
    (c, i) => c * text[3] + background[i] * (1 - text[3]));
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((c) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const [lighter, darker] = [luminance(shown), luminance(background)].sort((x, y) => y - x);
  let opacity = 1;
  for (const element of ancestry) opacity *= Number(getComputedStyle(element).opacity);
  return {
    content: after.content,
    display: after.display,
    visibility: after.visibility,
    opacity: opacity * Number(after.opacity),
    text: shown.map(Math.round),
    background: background.map(Math.round),
    contrast: (lighter + 0.05) / (darker + 0.05),
  };
}"""


def client_button(page: Page, origin: str) -> Locator:
    page.goto(f"{origin}/202/#client-perspective")
    page.locator("#example-clients > summary").click()  # the clients wait in a fold
    return page.get_by_role("button", name="Copy Python client")


def section_link(page: Page, origin: str) -> Locator:
    page.goto(f"{origin}/202/")
    return page.get_by_role("link", name=re.compile("^Copy link to section ")).first


def curl_button(page: Page, origin: str) -> Locator:
    page.goto(f"{origin}/playground/")
    page.get_by_role("button", name="Send").click()
    # The curl command is in the exchange's fold, with its whole raw messages.
    page.locator(".exchange-card__raw > summary").first.click()
    return page.get_by_role("button", name="Copy curl command").first


def snippet_button(page: Page, origin: str) -> Locator:
    page.goto(f"{origin}/playground/embed/")
    page.get_by_text("Put this console in your own docs").click()
    return page.get_by_role("button", name="Copy the snippet")


CONTROLS: dict[str, Callable[[Page, str], Locator]] = {
    "client": client_button,
    "section-link": section_link,
    "curl": curl_button,
    "snippet": snippet_button,
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(CONTROLS))
def test_copied_is_said_in_a_readable_colour(
    browser: Browser, site_server: Any, kind: str, scheme: str
) -> None:
    context = browser.new_context(
        color_scheme=scheme,  # type: ignore[arg-type]
        permissions=["clipboard-read", "clipboard-write"],
    )
    try:
        page = context.new_page()
        control = CONTROLS[kind](page, site_server.url)
        expect(control).to_be_visible()
        control.click()
        seen = page.wait_for_function(MEASURE, arg=control.element_handle()).json_value()
        assert seen["content"] == '" ✓ copied"'
        assert seen["display"] != "none" and seen["visibility"] == "visible", seen
        assert seen["opacity"] == 1, seen
        assert seen["contrast"] >= MINIMUM_CONTRAST, seen
        assert page.evaluate("navigator.clipboard.readText()") != ""
    finally:
        context.close()

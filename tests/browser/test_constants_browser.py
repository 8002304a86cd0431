"""The constants table with its version badges and its "how these are checked" note.

/413/ lists the most versions (since, deprecated, an alias note); axe must find
nothing in either theme with the note open, and the note must open without
JavaScript-specific help (a plain <details>).
"""

from __future__ import annotations

from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.helpers import assert_no_axe_violations

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_constants_with_versions_pass_axe_in_both_themes(
    browser: Browser, site_server: Any, scheme: Literal["light", "dark"]
) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{site_server.url}/413/")
    table = page.locator("table.constants")
    expect(table.get_by_text("since Python 3.13")).to_be_visible()
    expect(table.get_by_text("deprecated in Spring 7.0")).to_be_visible()
    checked = page.locator("details.constants__checked")
    expect(checked.get_by_text("Go: checked by hand against")).to_be_hidden()
    checked.locator("summary").click()
    expect(checked.get_by_text("Go: checked by hand against")).to_be_visible()
    assert_no_axe_violations(page)
    context.close()

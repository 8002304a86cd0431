"""Browser tests' fixtures: Playwright driving Debian's Chromium against a live server.

The helpers they use (the live server, the axe check) are in tests/browser/helpers.py.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import CHROMIUM_ARGS, CHROMIUM_PATH, LiveServer


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM_PATH).exists():
        message = f"Chromium not found at {CHROMIUM_PATH} (set CHROMIUM_PATH or run `make test`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": CHROMIUM_ARGS}


@pytest.fixture
def site_server(transactional_db: None) -> Iterator[LiveServer]:
    server = LiveServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def screenshot(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Save a screenshot of the final state of every browser test, to look at failures."""
    # Asking for the page here makes this fixture end before the page closes.
    page = request.getfixturevalue("page") if "page" in request.fixturenames else None
    yield
    if page is None:
        return
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    # A page that already closed has nothing left to show.
    with contextlib.suppress(Exception):
        page.screenshot(path=str(folder / f"{request.node.name}.png"), full_page=True)

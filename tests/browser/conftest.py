"""Browser tests' fixtures: Playwright driving Debian's Chromium against a live server.

The helpers they use (the live server, the axe check) are in tests/browser/helpers.py.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import CHROMIUM_ARGS, CHROMIUM_PATH, LiveServer
from tests.helpers import worker_thread


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM_PATH).exists():
        message = f"Chromium not found at {CHROMIUM_PATH} (set CHROMIUM_PATH or run `make test`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": CHROMIUM_ARGS}


# The live server's thread has a connection of its own: it must see what tests commit.
@pytest.fixture
def site_server(transactional_db: None) -> Iterator[LiveServer]:
    server = LiveServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def worker(settings: Any, site_server: Any) -> Iterator[None]:
    """A real worker in a thread beside the live server, at a fast pace."""
    settings.DEMO_PACE = 0.05
    with worker_thread(worker_id="browser-tests"):
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, so its fixtures know whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def screenshot(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Save a screenshot of the final state of a browser test that failed, to look at.

    Only on failure: a full-page picture of /202/ is some 20,000 px tall and takes
    seconds to encode, which every passing test would pay for nothing.
    """
    # Asking for the page here makes this fixture end before the page closes.
    page = request.getfixturevalue("page") if "page" in request.fixturenames else None
    yield
    report = getattr(request.node, "report_call", None)
    if page is None or report is None or not report.failed:
        return
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)
    # A page that already closed has nothing left to show.
    with contextlib.suppress(Exception):
        page.screenshot(path=str(folder / f"{request.node.name}.png"), full_page=True)

"""Browser tests: Playwright driving Debian's Chromium against a live server.

The live server here serves static files the way production does (WhiteNoise,
hashed names from ``collectstatic``) rather than through Django's finders, so
the pages under test are byte for byte the ones readers get.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test.testcases import LiveServerThread

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Flags for a closed network: without them Chromium keeps reaching out to
# update and sync services that do not answer here.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM_PATH).exists():
        message = f"Chromium not found at {CHROMIUM_PATH} (set CHROMIUM_PATH or run `make test`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": CHROMIUM_ARGS}


def assert_no_axe_violations(page: Any) -> None:
    results = Axe().run(page)
    assert results.response["violations"] == [], results.generate_report()


def _passthrough(handler: Any) -> Any:
    return handler


class LiveServer:
    def __init__(self) -> None:
        self.thread = LiveServerThread(
            "127.0.0.1",
            static_handler=_passthrough,  # type: ignore[arg-type]
        )
        self.thread.daemon = True
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error
        self.url = f"http://127.0.0.1:{self.thread.port}"

    def stop(self) -> None:
        self.thread.terminate()


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

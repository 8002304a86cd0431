"""Helpers the browser tests share: the browser to launch, a live server, an axe check.

The live server serves static files the way production does (WhiteNoise, hashed
names from ``collectstatic``) rather than through Django's finders, so the pages
under test are byte for byte the ones readers get.
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

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


def assert_no_axe_violations(page: Any) -> None:
    results = Axe().run(page)
    assert results.response["violations"] == [], results.generate_report()


def _passthrough(handler: Any) -> Any:
    return handler


class LiveServer:
    """The site in a thread on a free port of 127.0.0.1; ``url`` is its origin."""

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


class OtherSite:
    """Someone else's pages (their docs), served on loopback under another host name.

    "localhost" is another origin, and another site, than the live server's 127.0.0.1.
    """

    def __init__(self, pages: dict[str, str]) -> None:
        class Pages(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "Not found").encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Pages)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://localhost:{self.server.server_address[1]}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

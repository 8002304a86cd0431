"""The checker's fixtures: the demo's (tests/demo.py), and a small API of a user's own."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.demo import api, demo_settings, live_worker

__all__ = ["api", "demo_settings", "live_worker", "their_api"]


class Api(BaseHTTPRequestHandler):
    """202, one pending poll, 303 to the result; /broken accepts without a monitor."""

    polls: ClassVar[dict[str, int]] = {}

    def answer(self, status: int, headers: dict[str, str], body: object = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/broken":
            self.answer(202, {"Retry-After": "0"}, {"status": "queued"})
            return
        self.answer(202, {"Location": "/jobs/1", "Retry-After": "0"}, {"status": "queued"})

    def do_GET(self) -> None:
        if self.path == "/jobs/1/result":
            self.answer(200, {}, {"sent": 1})
            return
        seen = Api.polls[self.path] = Api.polls.get(self.path, 0) + 1
        fresh = {"Cache-Control": "no-cache", "ETag": f'"{seen}"'}
        if seen == 1:
            self.answer(200, {**fresh, "Retry-After": "0"}, {"status": "running"})
        else:
            self.answer(303, {**fresh, "Location": "/jobs/1/result"})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def their_api() -> Iterator[str]:
    """A small asynchronous API on loopback, as a user's own would be."""
    Api.polls = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()

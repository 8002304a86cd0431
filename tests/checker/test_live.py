"""The live check and the command a developer runs in CI, against a small asynchronous
API on loopback (allowed there: the command runs on the developer's own machine)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import ClassVar

import pytest
from django.core.management import CommandError, call_command

from checker import har, live, report
from checker.exchanges import Request


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
def api() -> Iterator[str]:
    Api.polls = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_live_check_follows_the_flow_to_its_result(api: str) -> None:
    waits: list[float] = []
    submit = Request("POST", f"{api}/jobs", (("Content-Type", "application/json"),), "{}")
    exchanges = live.follow(submit, allow_local=True, sleep=waits.append)
    assert [(e.request.method, e.response.status) for e in exchanges] == [
        ("POST", 202),
        ("GET", 200),
        ("GET", 303),
        ("GET", 200),
    ]
    assert exchanges[-1].request.url == f"{api}/jobs/1/result"
    assert waits == [0.0, 0.0]  # each Retry-After, as given
    checked = report.build(exchanges)
    assert checked.convention == "request-reply"
    assert not [f for f in checked.findings if f.rule.level in ("error", "warning")]


def test_a_live_check_of_a_local_address_is_refused_unless_allowed(api: str) -> None:
    with pytest.raises(live.Refused, match="loopback"):
        live.follow(Request("POST", f"{api}/jobs"), allow_local=False)


def test_the_command_prints_the_report_and_writes_the_har(api: str, tmp_path: Path) -> None:
    out = StringIO()
    written = tmp_path / "flow.har"
    call_command("check_api", f"{api}/jobs", "--data", "{}", "--har", str(written), stdout=out)
    printed = out.getvalue()
    assert "Convention: Asynchronous Request-Reply pattern" in printed
    assert "info: location-on-202" in printed and "0 error" in printed
    again = report.build(har.read(written.read_text()))
    assert [e.exchange.response.status for e in again.entries] == [202, 200, 303, 200]


def test_the_command_fails_on_a_flow_with_an_error(api: str, tmp_path: Path) -> None:
    out = StringIO()
    with pytest.raises(CommandError, match="1 error") as raised:
        call_command("check_api", f"{api}/broken", stdout=out)
    assert raised.value.returncode == 1
    assert "error: accepted-without-monitor" in out.getvalue()
    recorded = tmp_path / "flow.txt"
    recorded.write_text("HTTP/1.1 202 Accepted\nRetry-After: 1\n\n")
    with pytest.raises(CommandError, match="1 error"):
        call_command("check_api", "--flow", str(recorded), stdout=StringIO())

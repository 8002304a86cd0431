"""The live check and the command a developer runs in CI, against a small asynchronous
API on loopback (allowed there: the command runs on the developer's own machine)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from checker import har, live, report
from checker.exchanges import Request


def test_a_live_check_follows_the_flow_to_its_result(their_api: str) -> None:
    waits: list[float] = []
    submit = Request("POST", f"{their_api}/jobs", (("Content-Type", "application/json"),), "{}")
    exchanges = live.follow(submit, allow_local=True, sleep=waits.append)
    assert [(e.request.method, e.response.status) for e in exchanges] == [
        ("POST", 202),
        ("GET", 200),
        ("GET", 303),
        ("GET", 200),
    ]
    assert exchanges[-1].request.url == f"{their_api}/jobs/1/result"
    assert waits == [0.0, 0.0, 0.0]  # each Retry-After as given, then straight to the result
    checked = report.build(exchanges)
    assert checked.convention == "request-reply"
    assert not [f for f in checked.findings if f.rule.level in ("error", "warning")]


def test_a_live_check_of_a_local_address_is_refused_unless_allowed(their_api: str) -> None:
    with pytest.raises(live.Refused, match="loopback"):
        live.follow(Request("POST", f"{their_api}/jobs"), allow_local=False)


def test_the_command_prints_the_report_and_writes_the_har(their_api: str, tmp_path: Path) -> None:
    out = StringIO()
    written = tmp_path / "flow.har"
    call_command(
        "check_api", f"{their_api}/jobs", "--data", "{}", "--har", str(written), stdout=out
    )
    printed = out.getvalue()
    assert "Convention: Asynchronous Request-Reply pattern" in printed
    assert "info: location-on-202" in printed and "0 error" in printed
    again = report.build(har.read(written.read_text()))
    assert [e.exchange.response.status for e in again.entries] == [202, 200, 303, 200]


def test_the_command_fails_on_a_flow_with_an_error(their_api: str, tmp_path: Path) -> None:
    out = StringIO()
    with pytest.raises(CommandError, match="1 error") as raised:
        call_command("check_api", f"{their_api}/broken", stdout=out)
    assert raised.value.returncode == 1
    assert "error: accepted-without-monitor" in out.getvalue()
    recorded = tmp_path / "flow.txt"
    recorded.write_text("HTTP/1.1 202 Accepted\nRetry-After: 1\n\n")
    with pytest.raises(CommandError, match="1 error"):
        call_command("check_api", "--flow", str(recorded), stdout=StringIO())


@pytest.fixture
def slow_target(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server that accepts connections, reads the request, then answers nothing
    ("silent") or its status line and a long header a byte at a time ("trickling")."""
    trickles = request.param == "trickling"
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()
    held: list[socket.socket] = []

    def answer(connection: socket.socket) -> None:
        connection.recv(65536)
        if not trickles:
            return
        for byte in b"HTTP/1.1 202 Accepted\r\nX-Slow: " + b"a" * 100_000:
            if stop.wait(0.05):
                return
            try:
                connection.send(bytes([byte]))
            except OSError:
                return

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


@pytest.mark.parametrize(
    ("slow_target", "says"),
    [("silent", "timed out"), ("trickling", "no whole answer within 0.6 s")],
    indirect=["slow_target"],
)
def test_a_target_that_never_answers_whole_is_cut_off(slow_target: str, says: str) -> None:
    # Each byte of the trickle comes well within the timeout: only the cap on the whole
    # answer stops it.
    with pytest.raises(live.Unreachable, match=says):
        submit = Request("POST", f"{slow_target}/jobs")
        live.follow(submit, allow_local=True, limits=live.Limits(timeout=0.3))

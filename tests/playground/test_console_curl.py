"""The curl command the console offers sends exactly the body the reader typed, whatever it is."""

from __future__ import annotations

import html
import re
import shlex
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

NASTY_BODIES = {
    # curl reads a --data or --data-binary value that starts with @ from that file.
    "at-file": "@/etc/passwd",
    "at-stdin": "@-",
    "shell": "it's \"quoted\"\nline two $HOME `id` $(id) \\n; rm -rf x & echo ';'\n",
    "json-with-quote": '{"subject": "It\'s $5", "body": "`x`", "recipients": ["a@b.test"]}',
}


class Capture:
    """A server on loopback that keeps what each request carried."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        captured = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                captured.append(self.rfile.read(length))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.host = f"127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def capture() -> Iterator[Capture]:
    server = Capture()
    yield server
    server.stop()


def offered_curl(client: Client, *, host: str, body: str) -> str:
    """The command the console's "Copy curl command" button copies, for this Send."""
    form = {"example": "bulk-email", "content_type": "application/json", "body": body}
    page = client.post("/playground/send", form, HTTP_HOST=host, follow=True).content.decode()
    commands = re.findall(r'data-copy-text="(curl [^"]*)"', page)
    assert commands, "no curl command in the console"
    return html.unescape(commands[0])


@pytest.mark.parametrize("body", list(NASTY_BODIES.values()), ids=list(NASTY_BODIES))
def test_the_copied_curl_sends_the_body_verbatim(
    client: Client, capture: Capture, body: str
) -> None:
    command = offered_curl(client, host=capture.host, body=body)
    words = shlex.split(command)
    assert "--data-binary" not in words and "--data" not in words
    assert words[words.index("--data-raw") + 1] == body
    # Run as a reader would paste it into a shell.
    subprocess.run(
        ["sh", "-c", f"{command} --silent --output /dev/null --max-time 20"],
        check=True,
        timeout=30,
    )
    assert capture.bodies == [body.encode()]

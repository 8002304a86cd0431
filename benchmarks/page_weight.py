"""Bytes on the wire for a first and a repeat visit to a page, as a browser makes them.

First visit: the page and every stylesheet and script it names, compressed as a
browser asks (Accept-Encoding: gzip, br). Repeat visit: the page revalidated with
its ETag (a 304); the static files have content-hashed names and a far-future
max-age, so a browser does not ask for them again. Counted: status line, headers
and body of each response.
"""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass

from benchmarks.server import Server

BROWSER = {"Accept": "text/html", "Accept-Encoding": "gzip, br"}
ASSETS = re.compile(rb'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="(/[^"]+)"')


@dataclass(frozen=True)
class Weight:
    first_visit: int
    first_visit_files: dict[str, int]
    repeat_visit: int
    repeat_status: int
    assets_cached_for: dict[str, str]


def _fetch(server: Server, path: str, headers: dict[str, str]) -> tuple[int, int, bytes, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + sum(
        len(f"{name}: {value}\r\n") for name, value in response.getheaders()
    )
    connection.close()
    return response.status, head + 2 + len(body), body, dict(response.getheaders())


def measure(server: Server, path: str) -> Weight:
    status, size, _, headers = _fetch(server, path, BROWSER)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    files = {path: size}
    plain = _fetch(server, path, {"Accept": "text/html"})[2]
    cached_for = {}
    for asset in sorted(set(ASSETS.findall(plain))):
        name = asset.decode()
        asset_status, asset_size, _, asset_headers = _fetch(server, name, BROWSER)
        if asset_status != 200:
            raise RuntimeError(f"{name} answered {asset_status}")
        files[name] = asset_size
        cached_for[name] = asset_headers.get("Cache-Control", "")
    repeat_status, repeat_size, _, _ = _fetch(
        server, path, {**BROWSER, "If-None-Match": headers["ETag"]}
    )
    return Weight(
        first_visit=sum(files.values()),
        first_visit_files=files,
        repeat_visit=repeat_size,
        repeat_status=repeat_status,
        assets_cached_for=cached_for,
    )

"""A flow to and from HAR 1.2, the archive browsers' devtools, Playwright, mitmproxy
and REDbot write (http://www.softwareishard.com/blog/har-12-spec/)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from checker.exchanges import MAX_BODY, BadInput, Exchange, Request, Response

# More exchanges than any one job's flow needs, few enough to check at once.
MAX_ENTRIES = 500
CREATOR = {"name": "http-202 checker", "version": "1"}


def read(text: str) -> list[Exchange]:
    """The exchanges of a HAR file, in the order they were sent."""
    try:
        archive = json.loads(text)
    except ValueError as error:
        raise BadInput(f"This is not JSON, so not a HAR file: {error}.") from None
    log = archive.get("log") if isinstance(archive, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise BadInput("This JSON is not a HAR file: it has no log.entries list.")
    if not entries:
        raise BadInput("The HAR file's log.entries is empty: there is no exchange to check.")
    if len(entries) > MAX_ENTRIES:
        raise BadInput(
            f"The HAR file has {len(entries)} entries; the checker reads at most "
            f"{MAX_ENTRIES}. Save only the requests of one job's flow."
        )
    exchanges = [entry_exchange(entry, index) for index, entry in enumerate(entries)]
    times = [started_at(entry) for entry in entries]
    if all(moment is not None for moment in times):
        first = min(moment for moment in times if moment is not None)
        exchanges = [
            Exchange(e.request, e.response, started=(moment or first) - first)
            for e, moment in zip(exchanges, times, strict=True)
        ]
        exchanges.sort(key=lambda e: e.started or 0.0)
    return exchanges


def entry_exchange(entry: Any, index: int) -> Exchange:
    where = f"log.entries[{index}]"
    if not isinstance(entry, dict):
        raise BadInput(f"{where} is not an object.")
    request, response = entry.get("request"), entry.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise BadInput(f"{where} lacks its request or its response object.")
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not isinstance(url, str) or not url:
        raise BadInput(f"{where}.request needs a method and a url.")
    status = response.get("status")
    if not isinstance(status, int) or not 0 <= status <= 999:
        raise BadInput(f"{where}.response.status is not a status code.")
    post = request.get("postData")
    content = response.get("content")
    return Exchange(
        Request(
            method=method.upper(),
            url=url,
            headers=headers_of(request, f"{where}.request"),
            body=text_of(post if isinstance(post, dict) else {}),
        ),
        Response(
            status=status,
            reason=str(response.get("statusText") or ""),
            headers=headers_of(response, f"{where}.response"),
            body=text_of(content if isinstance(content, dict) else {}),
            http_version=str(response.get("httpVersion") or "HTTP/1.1"),
        ),
    )


def headers_of(message: dict[str, Any], where: str) -> tuple[tuple[str, str], ...]:
    listed = message.get("headers", [])
    if not isinstance(listed, list):
        raise BadInput(f"{where}.headers is not a list.")
    headers = []
    for header in listed:
        if not isinstance(header, dict) or not isinstance(header.get("name"), str):
            raise BadInput(f"{where}.headers holds an entry without a name.")
        name = header["name"]
        # HTTP/2 pseudo-headers (:status, :path) are not fields.
        if not name.startswith(":"):
            headers.append((name, str(header.get("value", ""))))
    return tuple(headers)


def text_of(content: dict[str, Any]) -> str:
    """A body as text: base64 decoded, binary named rather than shown, cut at MAX_BODY."""
    text = content.get("text")
    if not isinstance(text, str):
        return ""
    if content.get("encoding") == "base64":
        try:
            raw = base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            return "(a base64 body that does not decode)"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return f"({len(raw)} bytes of binary content)"
    return text[:MAX_BODY]


def started_at(entry: Any) -> float | None:
    moment = entry.get("startedDateTime") if isinstance(entry, dict) else None
    if not isinstance(moment, str):
        return None
    try:
        return datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def write(exchanges: list[Exchange], *, started: datetime) -> dict[str, Any]:
    """The exchanges as a HAR 1.2 log: what the checker reads back as the same flow."""
    entries = []
    for exchange in exchanges:
        offset = exchange.started or 0.0
        moment = datetime.fromtimestamp(started.timestamp() + offset, tz=started.tzinfo)
        request, response = exchange.request, exchange.response
        entry: dict[str, Any] = {
            "startedDateTime": moment.isoformat(),
            "time": 0,
            "request": {
                "method": request.method,
                "url": request.url,
                "httpVersion": "HTTP/1.1",
                "headers": [{"name": n, "value": v} for n, v in request.headers],
                "queryString": [],
                "cookies": [],
                "headersSize": -1,
                "bodySize": len(request.body.encode()),
            },
            "response": {
                "status": response.status,
                "statusText": response.reason,
                "httpVersion": response.http_version,
                "headers": [{"name": n, "value": v} for n, v in response.headers],
                "cookies": [],
                "content": {
                    "size": len(response.body.encode()),
                    "mimeType": response.header("Content-Type") or "",
                    "text": response.body,
                },
                "redirectURL": response.header("Location") or "",
                "headersSize": -1,
                "bodySize": len(response.body.encode()),
            },
            "cache": {},
            "timings": {"send": 0, "wait": 0, "receive": 0},
        }
        if request.body:
            entry["request"]["postData"] = {
                "mimeType": request.header("Content-Type") or "",
                "text": request.body,
            }
        entries.append(entry)
    return {"log": {"version": "1.2", "creator": CREATOR, "entries": entries}}

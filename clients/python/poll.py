"""Start a job on an asynchronous HTTP API and wait for its outcome, with the standard library.

Conventions: rfc9110 azure request-reply aip151 job-resource odata

    python3 poll.py URL [JSON]     POST the JSON body to URL, then wait for the job
    python3 poll.py --monitor URL  wait for a job that is already running

Prints the result (JSON) and exits 0 when the job succeeds. When it fails, is
canceled or is no longer known, says why on stderr and exits 1; exits 3 when
--deadline (seconds, default 300) passes first. Python 3.11 or newer, nothing to
install: HTTP with urllib.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urljoin
from urllib.request import HTTPRedirectHandler, Request, build_opener

PENDING = {"queued", "notstarted", "running", "pending", "inprogress", "accepted"}
FAILED = {"failed", "canceled", "cancelled"}
REDIRECTS = {301, 302, 303, 307, 308}
TRANSIENT = {429, 502, 503, 504}


class JobFailed(Exception):
    """The job failed, was canceled, or its monitor no longer knows it."""


class GaveUp(Exception):
    """The deadline passed before the job finished."""


class Unreachable(Exception):
    """No answer: a dropped connection, a refused one, or a server restarting."""


@dataclass(frozen=True)
class Response:
    status_code: int
    reason: str
    headers: Message  # looked up case-insensitively, as HTTP header names are
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class KeepRedirects(HTTPRedirectHandler):
    """Redirects are ours to see: a 303 means done, not "here is the status"."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# Without a redirect to follow, urllib raises the 3xx as an HTTPError, like a 4xx or 5xx.
opener = build_opener(KeepRedirects)


def send(request: Request) -> Response:
    """One request, and its answer whatever its status; Unreachable when there is none."""
    try:
        try:
            response = opener.open(request, timeout=30)
        except HTTPError as error:  # an answer all the same: a redirect, a 4xx or a 5xx
            response = error
        with response:
            return Response(response.status, response.reason, response.headers, response.read())
    except (URLError, HTTPException, OSError) as error:
        raise Unreachable(str(error)) from error


def retry_after(value: str | None) -> float | None:
    """Seconds to wait: Retry-After is delay-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def problem(response: Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.reason}"
    detail = body.get("detail") or body.get("message") or body.get("title") if body else None
    return f"{response.status_code} {response.reason}: {detail or body}"


def error_of(body: dict[str, Any]) -> str:
    error = body.get("error") or {}
    if isinstance(error, dict):
        return str(error.get("detail") or error.get("message") or error.get("code") or error)
    return str(error)


class Poller:
    def __init__(self, *, deadline: float, api_root: str | None = None, cap: float = 30.0) -> None:
        self.give_up = time.monotonic() + deadline
        self.deadline = deadline
        self.api_root = api_root
        self.cap = cap
        self.backoff = 1.0
        self.etags: dict[str, str] = {}

    def wait(self, response: Response | None) -> None:
        """Sleep no less than the server asked, else back off; jitter spreads clients apart."""
        hint = retry_after(response.headers.get("Retry-After")) if response is not None else None
        if hint is None:
            hint = min(self.cap, self.backoff)
            self.backoff *= 2
        delay = hint * random.uniform(1.0, 1.2)
        if time.monotonic() + delay > self.give_up:
            deadline = f"{self.deadline:g} s"
            raise GaveUp(
                f"the job is not done, and the next poll would be past the {deadline} deadline"
            )
        time.sleep(delay)

    def get(self, url: str) -> Response:
        headers = {"Accept": "application/json"}
        if url in self.etags:
            headers["If-None-Match"] = self.etags[url]
        while True:
            try:
                r = send(Request(url, headers=headers))
                break
            except Unreachable:
                self.wait(None)  # a dropped connection or a restart: try again later
        if r.status_code == 200 and "ETag" in r.headers:
            self.etags[url] = r.headers["ETag"]
        return r

    def submit(self, url: str, body: Any) -> Any:
        # A POST is retried only with the same Idempotency-Key, so that a retry
        # never starts a second job.
        headers = {
            # A structured-field string (RFC 8941), as the Idempotency-Key draft defines it.
            "Idempotency-Key": f'"{uuid.uuid4()}"',
            "Accept": "application/json",
            "Content-Type": "application/json",
            # OData answers 202 only to a request that prefers it; elsewhere it is the default.
            "Prefer": "respond-async",
        }
        data = json.dumps(body).encode()
        while True:
            try:
                r = send(Request(url, data=data, headers=headers, method="POST"))
            except Unreachable:
                self.wait(None)
                continue
            if r.status_code not in TRANSIENT:
                return self.follow(r, url)
            self.wait(r)

    def poll(self, monitor: str) -> Any:
        return self.follow(self.get(monitor), monitor)

    def follow(self, r: Response, url: str) -> Any:
        """Read each answer, wait if it says so, and ask where it says, until an outcome."""
        while True:
            after, wait = self.read(r, url)
            if after is None:
                return wait
            if wait:
                self.wait(r)
            url = after
            r = self.get(url)

    def read(self, r: Response, url: str) -> tuple[str | None, Any]:
        """What one answer means: (the URL to ask next, whether to wait first),
        or (None, the result). Raises JobFailed when the job did not succeed."""
        code = r.status_code
        if code in TRANSIENT or code == 304:  # busy, or nothing changed: ask again later
            return url, True
        if code in REDIRECTS:  # done: the result lives elsewhere
            return urljoin(url, r.headers["Location"]), False
        if code in (404, 410):
            raise JobFailed(f"the job is no longer known at {url}: {problem(r)}")
        if code >= 400:
            raise JobFailed(problem(r))
        body = r.json() if r.content else {}
        status = str(body.get("status", "")).lower() if isinstance(body, dict) else ""
        if code in (201, 202):  # accepted, or still pending: poll the monitor it names
            monitor = (
                r.headers.get("Location")
                or r.headers.get("Operation-Location")
                or r.headers.get("Content-Location")
            )
            # A 201's Location is the job itself, worth asking at once.
            return (urljoin(url, monitor) if monitor else url), code == 202 or status in PENDING
        final = r.headers.get("AsyncResult")
        if final is not None:  # OData: finished; the body is the final response's body
            if not final.startswith("2"):
                raise JobFailed(f"the request ended with {final}: {error_of(body)}")
            return None, body
        if isinstance(body, dict) and "done" in body and "name" in body:
            return self.read_operation(url, body)
        if status in FAILED:
            raise JobFailed(f"the job {status}: {error_of(body)}")
        if status in PENDING:
            return url, True
        if status == "succeeded":
            link = body.get("resourceLocation") or body.get("result")
            if isinstance(link, str):
                return urljoin(url, link), False
            if isinstance(link, dict):  # embedded: Azure's status monitor, a job resource
                return None, link
        return None, body

    def read_operation(self, url: str, body: dict[str, Any]) -> tuple[str | None, Any]:
        """An AIP-151 Operation: poll it by name until done, then read response or error."""
        if body["done"]:
            if "error" in body:
                error = body["error"]
                raise JobFailed(f"the operation failed: {error.get('message', error)}")
            return None, body.get("response")
        # Names are relative to the API's root: given, or the submit URL's grandparent.
        root = self.api_root or (
            url.split("/operations/")[0] if "/operations/" in url else url.rsplit("/", 2)[0]
        )
        return f"{root.rstrip('/')}/{body['name']}", True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", help="the submit URL, or with --monitor the monitor URL")
    parser.add_argument("body", nargs="?", default="{}", help="the JSON body to POST")
    parser.add_argument("--monitor", action="store_true", help="url is a monitor: only wait")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds to wait at most")
    parser.add_argument("--api-root", help="what AIP-151 operation names are relative to")
    args = parser.parse_args(argv)
    poller = Poller(deadline=args.deadline, api_root=args.api_root)
    try:
        if args.monitor:
            outcome = poller.poll(args.url)
        else:
            outcome = poller.submit(args.url, json.loads(args.body))
    except JobFailed as failed:
        print(f"job failed: {failed}", file=sys.stderr)
        return 1
    except GaveUp as gave_up:
        print(f"gave up: {gave_up}", file=sys.stderr)
        return 3
    except ValueError as error:  # not a URL urllib can send to, or an answer not JSON
        print(f"request failed: {error}", file=sys.stderr)
        return 1
    print(json.dumps(outcome, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

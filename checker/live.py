"""A live check: send the submit a user describes, then follow the flow as a polite
client would, and record every exchange for the report.

Every request goes through the address guard (guard.py) — the submit, each poll, a
redirect's target — and connects to the address it checked (pinned). Polls wait for
the Retry-After they were given (at most MAX_WAIT, one second without it); the whole
run is capped in polls, in time and in the bytes kept of each body. Nothing is followed
silently: a redirect is recorded, then its target is fetched as the next exchange.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.http import parse_http_date_safe

from checker import flow
from checker.exchanges import MAX_BODY, Exchange, Request, Response
from checker.guard import Refused, Resolver, Target, check_url, system_resolver

MAX_POLLS = 30
MAX_SECONDS = 300.0
MAX_WAIT = 30.0
TIMEOUT = 10.0
USER_AGENT = "http-202-checker (+/check/)"
TERMINAL = {"succeeded", "failed", "canceled"}


@dataclass(frozen=True)
class Limits:
    polls: int = MAX_POLLS
    seconds: float = MAX_SECONDS
    wait: float = MAX_WAIT
    timeout: float = TIMEOUT


class Unreachable(Exception):
    """The target did not answer (refused, reset, timed out); the message says which."""


def follow(
    submit: Request,
    *,
    allow_local: bool,
    limits: Limits = Limits(),
    resolve: Resolver = system_resolver,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Exchange]:
    """The submit and the flow after it, until the job ends or a cap is reached."""
    started = clock()
    first = send(submit, allow_local=allow_local, resolve=resolve, timeout=limits.timeout)
    exchanges = [first]
    monitor = flow.monitor_of(first) if flow.starts_job(first.response) else None
    polls = 0
    answer = first
    while monitor is not None and polls < limits.polls:
        wait = min(limits.wait, retry_after(answer.response))
        if clock() + wait - started > limits.seconds:
            break
        sleep(wait)
        answer = send(
            Request("GET", monitor),
            allow_local=allow_local,
            resolve=resolve,
            timeout=limits.timeout,
        )
        exchanges.append(answer)
        polls += 1
        state, _ = flow.state_of(answer.response)
        target = answer.response.header("Location")
        if answer.response.status in (301, 302, 303, 307, 308) and target:
            # Recorded, then fetched as a client following it would: the result.
            result = Request("GET", answer.resolve(target))
            exchanges.append(
                send(result, allow_local=allow_local, resolve=resolve, timeout=limits.timeout)
            )
            break
        if state in TERMINAL or (
            answer.response.status >= 400 and answer.response.status not in (429, 503)
        ):
            links = flow.result_links(answer.response) if state == "succeeded" else []
            for link in links[:1]:
                result = Request("GET", answer.resolve(link))
                exchanges.append(
                    send(result, allow_local=allow_local, resolve=resolve, timeout=limits.timeout)
                )
            break
    return exchanges


def retry_after(response: Response) -> float:
    """The seconds Retry-After asks for (delay-seconds or an HTTP-date); 1 without it."""
    value = (response.header("Retry-After") or "").strip()
    if value.isdigit():
        return float(value)
    moment = parse_http_date_safe(value)
    if moment is not None:
        return max(0.0, moment - time.time())
    return 1.0


def send(request: Request, *, allow_local: bool, resolve: Resolver, timeout: float) -> Exchange:
    target = check_url(request.url, allow_local=allow_local, resolve=resolve)
    parts = urlsplit(request.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {name: value for name, value in request.headers}
    headers.setdefault("User-Agent", USER_AGENT)
    headers.setdefault("Accept", "application/json")
    connection = pinned(target, timeout=timeout)
    try:
        connection.request(
            request.method, path, body=request.body.encode() or None, headers=headers
        )
        answer = connection.getresponse()
        body = answer.read(MAX_BODY + 1)
    except (OSError, http.client.HTTPException) as error:
        raise Unreachable(
            f"{request.method} {request.url}: {error or type(error).__name__}"
        ) from None
    finally:
        connection.close()
    text = body[:MAX_BODY].decode("utf-8", errors="replace")
    if len(body) > MAX_BODY:
        text += f"\n[… cut at {MAX_BODY} bytes]"
    sent = tuple((name, value) for name, value in headers.items())
    return Exchange(
        Request(request.method, request.url, sent, request.body),
        Response(
            answer.status,
            answer.reason,
            tuple(answer.getheaders()),
            text,
            http_version="HTTP/1.1" if answer.version == 11 else "HTTP/1.0",
        ),
    )


def pinned(target: Target, *, timeout: float) -> http.client.HTTPConnection:
    """A connection to the host that connects to the addresses the guard checked."""

    def connect_checked() -> socket.socket:
        last: OSError | None = None
        for address in target.addresses:
            try:
                return socket.create_connection((str(address), target.port), timeout=timeout)
            except OSError as error:
                last = error
        raise last or OSError("no address")

    if target.scheme == "https":
        context = ssl.create_default_context()

        class PinnedHTTPS(http.client.HTTPSConnection):
            def connect(self) -> None:
                self.sock = context.wrap_socket(connect_checked(), server_hostname=target.host)

        return PinnedHTTPS(target.host, target.port, timeout=timeout, context=context)

    class PinnedHTTP(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = connect_checked()

    return PinnedHTTP(target.host, target.port, timeout=timeout)


__all__ = ["Limits", "Refused", "Unreachable", "follow"]

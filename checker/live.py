"""A live check: send the submit a user describes, then follow the flow as a polite
client would, and record every exchange for the report.

Every request goes through the address guard (guard.py) — the submit, each poll, a
redirect's target — and connects to the address it checked (pinned). Polls wait for
the Retry-After they were given (at most MAX_WAIT, one second without it); the whole
run is capped in polls, in time and in the bytes kept of each body. Nothing is followed
silently: a redirect is recorded, then its target is fetched as the next exchange.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
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
# The most one answer may take, whole, in TIMEOUTs: connect, headers and body together.
ANSWER_TIMEOUTS = 2
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
    exchanges = [send(submit, allow_local=allow_local, resolve=resolve, timeout=limits.timeout)]
    while (move := next_request(exchanges, limits=limits, elapsed=clock() - started)) is not None:
        request, wait = move
        sleep(wait)
        exchanges.append(
            send(request, allow_local=allow_local, resolve=resolve, timeout=limits.timeout)
        )
    return exchanges


def next_request(
    exchanges: list[Exchange], *, limits: Limits = Limits(), elapsed: float
) -> tuple[Request, float] | None:
    """What a polite client sends next after these exchanges (the submit first), and how
    many seconds it waits before sending it; None when the flow is over or a cap reached.

    It polls the monitor the submit named, as often as Retry-After says; fetches the
    result a redirect or a finished status points to, once; and stops there.
    """
    first = exchanges[0]
    monitor = flow.monitor_of(first) if flow.starts_job(first.response) else None
    if monitor is None:
        return None
    polls = [e for e in exchanges[1:] if flow.same_resource(e.request.url, monitor)]
    last = exchanges[-1]
    if len(exchanges) > 1 and not (polls and last is polls[-1]):
        return None  # the last exchange fetched the result: the flow is over
    if polls:
        response = last.response
        target = response.header("Location")
        if response.status in (301, 302, 303, 307, 308) and target:
            # Recorded, then fetched as a client following it would: the result.
            return Request("GET", last.resolve(target)), 0.0
        state, _ = flow.state_of(response)
        if state in TERMINAL or (response.status >= 400 and response.status not in (429, 503)):
            links = flow.result_links(response) if state == "succeeded" else []
            links = [link for link in links if not flow.same_resource(last.resolve(link), monitor)]
            return (Request("GET", last.resolve(links[0])), 0.0) if links else None
    if len(polls) >= limits.polls:
        return None
    wait = min(limits.wait, retry_after(last.response))
    if elapsed + wait > limits.seconds:
        return None
    return Request("GET", monitor), wait


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
    # The timeout bounds each wait for a byte; this bounds the whole answer, so a target
    # that trickles its headers or body a byte at a time is cut off all the same.
    cut = threading.Event()
    watchdog = threading.Timer(timeout * ANSWER_TIMEOUTS, cut_off, args=(connection, cut))
    watchdog.start()
    try:
        connection.request(
            request.method, path, body=request.body.encode() or None, headers=headers
        )
        answer = connection.getresponse()
        body = answer.read(MAX_BODY + 1)
    except (OSError, http.client.HTTPException, ValueError) as error:
        reason = str(error) or type(error).__name__
        if cut.is_set():
            reason = f"no whole answer within {timeout * ANSWER_TIMEOUTS:g} s"
        raise Unreachable(f"{request.method} {request.url}: {reason}") from None
    finally:
        watchdog.cancel()
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


def cut_off(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    """Stop a connection whose answer took too long: the read in progress fails."""
    cut.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


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

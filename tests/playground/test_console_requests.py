"""The console shows every request it sends: what the API receives is what the timeline shows.

A request the reader does not see changes what they see: a monitor-503 job's
monitors answer 503 to their first polls, whoever sends them, so a hidden poll
would take one of the busy answers the preset promises the reader.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.http import HttpRequest, HttpResponseBase
from django.test import Client

from api.presets import BUSY_POLLS
from playground import sending
from tests.helpers import run_worker
from tests.playground.test_console_embed import OWN_PAGE, confirm, send_form

pytestmark = pytest.mark.django_db

# Every request any Django handler in this process received for the API, in order.
RECEIVED: list[tuple[str, str]] = []


def record_api_requests(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    """Middleware, first in the stack: the API counts what reaches it, however it was sent."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        if request.path.startswith("/api/"):
            RECEIVED.append((request.method or "", request.get_full_path()))
        return get_response(request)

    return middleware


@pytest.fixture
def received(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    settings.MIDDLEWARE = [f"{__name__}.record_api_requests", *settings.MIDDLEWARE]
    # The in-process client builds its middleware once: build it again with the recorder.
    monkeypatch.setattr(sending, "_handler", None)
    RECEIVED.clear()
    yield RECEIVED
    RECEIVED.clear()


@dataclass(frozen=True)
class Shown:
    """One exchange as the console's timeline shows it."""

    method: str
    path: str
    status: int
    retry_after: str | None


CARD = re.compile(
    r'<code class="exchange-card__line">(\w+) (\S+)</code>\s*'
    r'<span class="badge badge--status">(\d{3}) [^<]*</span>'
    r"(.*?)</article>",
    re.S,
)


def shown_exchanges(page: str) -> list[Shown]:
    shown = []
    for method, url, status, rest in CARD.findall(page):
        retry_after = re.search(r'<span class="hl">Retry-After: ([^<]+)</span>', rest)
        parts = urlsplit(html.unescape(url))
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        shown.append(Shown(method, path, int(status), retry_after and retry_after.group(1)))
    return shown


def next_poll(fragment: str) -> str | None:
    """The URL the fragment's pending poll asks for next; None once polling stopped."""
    match = re.search(r'<li id="next-poll"[^>]*data-hx-get="([^"]+)"', fragment)
    return html.unescape(match.group(1)) if match else None


HTMX = {**OWN_PAGE, "HX-Request": "true"}


def press_send(client: Client, *, embed: bool, **fields: str) -> str:
    """Press Send (and, in the embed, Confirm) as a reader with JavaScript does."""
    url = "/playground/embed/send" if embed else "/playground/send"
    page = client.post(url, send_form(**fields), headers=HTMX).content.decode()
    return confirm(client, page, **{"HX-Request": "true"}) if embed else page


def poll(client: Client, fragment: str) -> str:
    url = next_poll(fragment)
    assert url is not None, "polling stopped"
    return client.get(url, headers=HTMX).content.decode()


@pytest.mark.parametrize("embed", [False, True], ids=["console", "embed"])
def test_a_monitor_503_run_shows_both_busy_answers_before_the_normal_one(
    client: Client, embed: bool
) -> None:
    fragment = press_send(client, embed=embed, outcome="monitor-503")
    timeline = shown_exchanges(fragment)
    assert [(e.method, e.status) for e in timeline] == [("POST", 202)]
    # No worker: the job stays queued, so the monitor's normal answer is a 200.
    while timeline[-1].status != 200:
        fragment = poll(client, fragment)
        timeline += shown_exchanges(fragment)
        assert len(timeline) <= 1 + BUSY_POLLS + 1, timeline
    polls = timeline[1:]
    assert [e.status for e in polls] == [503] * BUSY_POLLS + [200]
    job_monitor = polls[-1].path
    assert job_monitor.startswith("/api/jobs/job_")
    for busy in polls[:BUSY_POLLS]:
        assert busy.path == job_monitor
        assert busy.retry_after is not None and busy.retry_after.isdigit()
    assert next_poll(fragment) is not None


@pytest.mark.parametrize("embed", [False, True], ids=["console", "embed"])
@pytest.mark.django_db(transaction=True)
def test_the_api_receives_exactly_the_requests_the_console_shows(
    client: Client, received: list[tuple[str, str]], embed: bool
) -> None:
    fragment = press_send(client, embed=embed, outcome="monitor-503")
    shown = shown_exchanges(fragment)
    while next_poll(fragment) is not None:
        if shown[-1].status == 200:
            # The busy answers are over: let the job finish, then poll to its end.
            run_worker()
        fragment = poll(client, fragment)
        shown += shown_exchanges(fragment)
        assert len(shown) <= 10, shown
    # Send, two busy polls, a normal one, the 303 and the result it points at.
    assert [e.status for e in shown] == [202, 503, 503, 200, 303, 200]
    assert received == [(e.method, e.path) for e in shown]
    # The same job through its operation is still beside the timeline, read, not requested.
    operation = re.search(r'<aside id="operation-view".*?</aside>', fragment, re.S)
    assert operation is not None
    assert "&quot;status&quot;: &quot;Succeeded&quot;" in operation.group(0)
    assert "/api/operations/job_" in operation.group(0)


@pytest.mark.parametrize("embed", [False, True], ids=["console", "embed"])
def test_a_cancel_sends_only_the_cancel_it_shows(
    client: Client, received: list[tuple[str, str]], embed: bool
) -> None:
    fragment = press_send(client, embed=embed)
    shown = shown_exchanges(fragment)
    cancel = re.search(r'<form method="post" action="([^"]+/cancel[^"]*)"', fragment)
    assert cancel is not None
    answer = client.post(html.unescape(cancel.group(1)), headers=HTMX).content.decode()
    shown += shown_exchanges(answer)
    # No worker runs: the queued job is canceled at once, and the DELETE answers 200.
    assert [(e.method, e.status) for e in shown] == [("POST", 202), ("DELETE", 200)]
    assert received == [(e.method, e.path) for e in shown]


def test_the_recorder_sees_a_request_the_console_does_not_show(
    client: Client, received: list[tuple[str, str]]
) -> None:
    # The count above could not fail if the recorder missed the in-process client's requests.
    origin = client.get("/playground/").wsgi_request
    sending.send(origin_request=origin, method="GET", url="/api/jobs/job_unknown")
    assert received == [("GET", "/api/jobs/job_unknown")]


@pytest.mark.parametrize("what", ["pending", "early"])
def test_tripping_a_limit_shows_every_request_it_sends(
    client: Client, received: list[tuple[str, str]], settings: Any, what: str
) -> None:
    settings.DEMO_MAX_PENDING_PER_CLIENT = 3
    settings.DEMO_POLLS_PER_MINUTE = 50
    page = client.post("/playground/limits/trip", {"what": what}).content.decode()
    shown = shown_exchanges(page)
    started = [e for e in shown if e.method == "POST" and e.status == 202]
    assert started and [e.method for e in shown].count("DELETE") == len(started)
    # The early polls answered alike are counted on the page rather than each shown.
    counted = re.search(r"(\d+) more polls like the one above were answered too", page)
    repeats = int(counted.group(1)) if counted else 0
    assert (repeats > 0) == (what == "early")
    sent = [(e.method, e.path) for e in shown]
    assert received == sent[:2] + [sent[1]] * repeats + sent[2:]

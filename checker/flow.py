"""A job's flow read from its exchanges: where it was accepted, which exchanges poll its
status, what each status answer says of the job, and the convention the flow follows.

The rules (rules.py) judge a flow through this reading, so a flow is judged by the
convention it follows: a valid Azure flow is not faulted for not being JSON:API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from checker.exchanges import Exchange, Response

# Headers that name where to poll, in the order clients look for them.
MONITOR_HEADERS = ("Operation-Location", "Azure-AsyncOperation", "Location", "Content-Location")
# Members of a JSON body that link to the status (JSON:API's links.self among them).
MONITOR_MEMBERS = ("monitor", "statusUrl", "status_url", "self", "href", "location")
RESULT_MEMBERS = ("resourceLocation", "result", "resultUrl", "response", "output", "data")

# How status values read, lower-cased, whatever the convention spells them.
PENDING = {
    "queued",
    "notstarted",
    "not_started",
    "running",
    "inprogress",
    "in_progress",
    "pending",
    "accepted",
    "processing",
    "started",
    "waiting",
}
SUCCEEDED = {"succeeded", "success", "successful", "completed", "complete", "done", "finished"}
FAILED = {"failed", "failure", "error", "errored"}
CANCELED = {"canceled", "cancelled"}

# The status values a convention defines, for those that define a vocabulary (the
# others leave the status to the API, so any value is theirs).
VOCABULARY: dict[str, set[str]] = {
    "azure": {"NotStarted", "Running", "Succeeded", "Failed", "Canceled"},
}

CONVENTION_NAMES = {
    "rfc9110": "RFC 9110 with JSON:API's asynchronous processing",
    "azure": "Azure REST API guidelines: long-running operations",
    "request-reply": "Asynchronous Request-Reply pattern (Azure Architecture Center)",
    "odata": "OData 4.01: asynchronous requests",
    "aip151": "Google AIP-151: long-running operations",
    "job-resource": "A job resource (Zalando rule #253)",
    "none": "none this checker knows",
}


@dataclass(frozen=True)
class Answer:
    """One status answer: the exchange, and what it says of the job."""

    index: int
    exchange: Exchange
    # pending, succeeded, failed, canceled, or "" when it does not say.
    state: str
    # The status value as sent ("Running", "queued"), if the body has one.
    value: str | None


@dataclass(frozen=True)
class Flow:
    exchanges: list[Exchange]
    # The exchange that accepted the job (202, or a convention's own start), if any.
    accepted: int | None
    monitor: str | None
    # The exchanges that ask for the job's status after it was accepted.
    answers: list[Answer]
    convention: str

    @property
    def convention_name(self) -> str:
        return CONVENTION_NAMES[self.convention]


def read(exchanges: list[Exchange]) -> Flow:
    accepted = next(
        (i for i, e in enumerate(exchanges) if starts_job(e.response)),
        None,
    )
    if accepted is None:
        return Flow(exchanges, None, None, [], "none")
    later = exchanges[accepted + 1 :]
    candidates = monitors_of(exchanges[accepted])
    # The monitor the client polled, of those the answer named; else the first of them.
    polled = [
        (name, url)
        for name, url in candidates
        if any(same_resource(e.request.url, url) for e in later)
    ]
    # Not polled yet: the first a client would look for; the convention from the answer.
    source, monitor = polled[0] if polled else (candidates[0] if candidates else ("", None))
    if not polled:
        source = ""
    answers: list[Answer] = []
    results: list[str] = []
    for index in range(accepted + 1, len(exchanges)):
        exchange = exchanges[index]
        if any(same_resource(exchange.request.url, url) for url in results):
            continue  # the result, fetched where the status pointed
        if asks_status(exchange, monitor):
            state, value = state_of(exchange.response)
            answers.append(Answer(index, exchange, state, value))
            if state in ("succeeded", "failed", "canceled"):
                results += [exchange.resolve(link) for link in result_links(exchange.response)]
    convention = recognise(exchanges[accepted], source, answers)
    return Flow(exchanges, accepted, monitor, answers, convention)


def result_links(response: Response) -> list[str]:
    links = [response.header("Location") or ""]
    links.append(body_link(response.json, ("resourceLocation", "resultUrl", "result")) or "")
    return [link for link in links if link]


def starts_job(response: Response) -> bool:
    if response.status == 202:
        return True
    body = response.json
    if response.status == 201 and response.header("Location"):
        return isinstance(body, dict) and isinstance(body.get("status"), str)
    # AIP-151: a 200 whose body is an Operation not yet done.
    return response.status == 200 and isinstance(body, dict) and body.get("done") is False


def monitor_of(exchange: Exchange) -> str | None:
    """Where a client following the answer would poll: the first monitor it names."""
    candidates = monitors_of(exchange)
    return candidates[0][1] if candidates else None


def monitors_of(exchange: Exchange) -> list[tuple[str, str]]:
    """Every monitor the answer names, (where it was found, its absolute URL), in the
    order clients look for them."""
    response = exchange.response
    found = [
        (name, exchange.resolve(value))
        for name in MONITOR_HEADERS
        if (value := response.header(name))
    ]
    link = body_link(response.json, MONITOR_MEMBERS)
    if link:
        found.append(("body", exchange.resolve(link)))
    body = response.json
    if isinstance(body, dict) and isinstance(body.get("name"), str) and "done" in body:
        found.append(("body:name", exchange.resolve(body["name"])))
    return found


def body_link(body: Any, members: tuple[str, ...]) -> str | None:
    """A URL the body gives under one of these members (or in links: JSON:API, HAL)."""
    if not isinstance(body, dict):
        return None
    for name in members:
        value = body.get(name)
        if isinstance(value, dict):
            value = value.get("href")
        if isinstance(value, str) and looks_like_url(value):
            return value
    links = body.get("links") or body.get("_links")
    if isinstance(links, dict):
        return body_link(links, ("self", "status", "monitor"))
    return None


def looks_like_url(value: str) -> bool:
    return value.startswith(("http://", "https://", "/")) and " " not in value


def asks_status(exchange: Exchange, monitor: str | None) -> bool:
    request = exchange.request
    if request.method not in ("GET", "HEAD", ""):
        return False
    if monitor is None or not request.url:
        return True
    return same_resource(request.url, monitor)


def same_resource(a: str, b: str) -> bool:
    first, second = urlsplit(a), urlsplit(b)
    return (first.netloc, first.path) == (second.netloc, second.path) or (
        not first.netloc and first.path == second.path
    )


def state_of(response: Response) -> tuple[str, str | None]:
    """What a status answer says of the job, and its status value as sent."""
    body = response.json
    if isinstance(body, dict):
        if "done" in body and "name" in body:
            if body["done"] is False:
                return "pending", None
            if "error" in body:
                return "failed", None
            return "succeeded", None
        value = body.get("status")
        if isinstance(value, int) and isinstance(body.get("job"), dict):
            value = body["job"].get("status")  # a problem carrying the job
        if isinstance(value, str):
            lowered = value.lower()
            for state, words in (
                ("pending", PENDING),
                ("succeeded", SUCCEEDED),
                ("failed", FAILED),
                ("canceled", CANCELED),
            ):
                if lowered in words:
                    return state, value
            return "", value
    if response.status in (302, 303):
        return "succeeded", None
    if response.status == 202:
        return "pending", None
    async_result = response.header("AsyncResult")
    if async_result is not None:
        # OData: the final response's status, carried beside the monitor's 200.
        return ("succeeded" if async_result.strip().startswith("2") else "failed"), None
    return "", None


def recognise(start: Exchange, source: str, answers: list[Answer]) -> str:
    """The convention of a flow, from its start and the monitor its client polled."""
    response = start.response
    body = response.json
    prefer = (start.request.header("Prefer") or "").lower()
    if "respond-async" in prefer or any(a.exchange.response.header("AsyncResult") for a in answers):
        return "odata"
    if source in ("Operation-Location", "Azure-AsyncOperation"):
        return "azure"
    if not source and response.header("Content-Location"):
        return "rfc9110"  # JSON:API's monitor, whatever else the answer names
    if not source and (
        response.header("Operation-Location") or response.header("Azure-AsyncOperation")
    ):
        return "azure"
    if isinstance(body, dict) and "done" in body and "name" in body:
        return "aip151"
    if response.status == 201:
        return "job-resource"
    if response.header("Content-Location") or (isinstance(body, dict) and "links" in body):
        return "rfc9110"
    if source in ("Location", "") and response.header("Location"):
        statuses = {a.exchange.response.status for a in answers}
        return "request-reply" if 202 not in statuses else "rfc9110"
    return "none"

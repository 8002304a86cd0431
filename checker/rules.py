"""The flow rules: what this reference teaches about an asynchronous flow, checked.

Each rule has a stable id (reports and links name it; never renamed), a level, one
sentence, and the section of this reference that explains it. check() runs every rule
on a flow and returns its findings, each naming the exchange it is about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.http import parse_http_date_safe

from checker.exchanges import Exchange, Response
from checker.flow import RESULT_MEMBERS, VOCABULARY, Flow, body_link, same_resource, state_of

LEVELS = ("error", "warning", "advice", "info")


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    sentence: str
    # A path of this site, with the section's fragment.
    link: str


@dataclass(frozen=True)
class Finding:
    rule: Rule
    # The exchange it is about (0-based), or None for the flow as a whole.
    exchange: int | None
    detail: str

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule.id,
            "level": self.rule.level,
            "sentence": self.rule.sentence,
            "link": self.rule.link,
            "exchange": self.exchange,
            "detail": self.detail,
        }


RULES = {
    rule.id: rule
    for rule in (
        Rule(
            "accepted-without-monitor",
            "error",
            "A 202 must say where to find the job's status: Location, Content-Location, "
            "Operation-Location or a link in its body.",
            "/202/#headers",
        ),
        Rule(
            "accepted-but-done",
            "error",
            "A 202 says the work is not done yet; this body already reports how it ended.",
            "/202/#pitfalls",
        ),
        Rule(
            "retry-after-invalid",
            "error",
            "Retry-After is either delay-seconds or an HTTP-date; clients cannot read this.",
            "/202/#headers",
        ),
        Rule(
            "retry-after-missing",
            "advice",
            "Without Retry-After a client guesses how often to poll; tell it.",
            "/202/#headers",
        ),
        Rule(
            "busy-without-retry-after",
            "warning",
            "A 429 or 503 should say when to come back (Retry-After), or clients retry at once.",
            "/503/",
        ),
        Rule(
            "monitor-cacheable",
            "warning",
            "A cache may serve this pending status again, so a client could poll a stale "
            "answer forever; send Cache-Control: no-cache (or no-store).",
            "/202/#pitfalls",
        ),
        Rule(
            "monitor-without-validator",
            "advice",
            "No ETag or Last-Modified: polls can never be cheap 304 Not Modified answers.",
            "/304/",
        ),
        Rule(
            "done-with-302",
            "warning",
            "302 lets a client repeat its method; 303 See Other says GET the result.",
            "/303/",
        ),
        Rule(
            "done-without-result",
            "warning",
            "The job succeeded, but its status neither links to nor embeds a result, or the "
            "link does not answer 2xx.",
            "/202/#response-body",
        ),
        Rule(
            "failure-as-server-error",
            "warning",
            "The status answered 5xx for a job that failed: the monitor worked, the job "
            "failed; answer the status (or a 4xx) and say why in the body.",
            "/202/#pitfalls",
        ),
        Rule(
            "cors-hides-monitor",
            "warning",
            "Browser code on another origin cannot read Location, Retry-After or "
            "Operation-Location unless Access-Control-Expose-Headers names them.",
            "/202/#headers",
        ),
        Rule(
            "status-vocabulary",
            "warning",
            "A status value the convention this flow follows does not define; its clients "
            "will not recognise it.",
            "/api/#conventions",
        ),
        Rule(
            "location-on-202",
            "info",
            "Location on a 202 is a convention, not RFC 9110's meaning of Location; many "
            "clients read it, and HTTP linters warn on it.",
            "/202/#location-on-202",
        ),
    )
}
EXPOSABLE = ("Location", "Retry-After", "Operation-Location")
SAFELISTED = {"cache-control", "content-language", "content-length", "content-type"}
SAFELISTED |= {"expires", "last-modified", "pragma"}
# RFC 9111 section 4.2.2: statuses a cache may store and reuse without explicit freshness.
HEURISTIC = {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501}
MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
DELAY_SECONDS = re.compile(r"^\d+$")


def check(flow: Flow) -> list[Finding]:
    findings = [finding for rule in CHECKS for finding in rule(flow)]
    return sorted(findings, key=lambda f: (f.exchange is None, f.exchange or 0, f.rule.id))


def finding(rule_id: str, exchange: int | None, detail: str) -> Finding:
    return Finding(RULES[rule_id], exchange, detail)


def accepted_without_monitor(flow: Flow) -> Iterator[Finding]:
    for index, exchange in enumerate(flow.exchanges):
        response = exchange.response
        if response.status == 202 and not exchange_monitor(exchange):
            yield finding(
                "accepted-without-monitor",
                index,
                "No Location, Content-Location, Operation-Location, Azure-AsyncOperation, "
                "nor a link in the body.",
            )


def exchange_monitor(exchange: Exchange) -> bool:
    response = exchange.response
    headers = ("Location", "Content-Location", "Operation-Location", "Azure-AsyncOperation")
    if any(response.header(name) for name in headers):
        return True
    body = response.json
    named = isinstance(body, dict) and isinstance(body.get("name"), str) and "done" in body
    return (
        named or body_link(body, ("monitor", "statusUrl", "status_url", "self", "href")) is not None
    )


def accepted_but_done(flow: Flow) -> Iterator[Finding]:
    for index, exchange in enumerate(flow.exchanges):
        if exchange.response.status != 202 or exchange.request.method in ("GET", "HEAD"):
            continue
        state, value = state_of(exchange.response)
        if state in ("succeeded", "failed", "canceled"):
            yield finding("accepted-but-done", index, f"The 202's body says status {value!r}.")


def retry_after(flow: Flow) -> Iterator[Finding]:
    for index, exchange in enumerate(flow.exchanges):
        for value in exchange.response.headers_named("Retry-After"):
            if not valid_retry_after(value):
                yield finding("retry-after-invalid", index, f"Retry-After: {value}")


def valid_retry_after(value: str) -> bool:
    value = value.strip()
    return bool(DELAY_SECONDS.match(value)) or parse_http_date_safe(value) is not None


def retry_after_missing(flow: Flow) -> Iterator[Finding]:
    pending = [a.index for a in flow.answers if a.state == "pending" and ok(a.exchange.response)]
    if flow.accepted is not None and flow.exchanges[flow.accepted].response.status == 202:
        pending.insert(0, flow.accepted)
    for index in pending:
        if flow.exchanges[index].response.header("Retry-After") is None:
            yield finding(
                "retry-after-missing",
                index,
                f"{flow.exchanges[index].response.status} without Retry-After.",
            )


def busy_without_retry_after(flow: Flow) -> Iterator[Finding]:
    for index, exchange in enumerate(flow.exchanges):
        response = exchange.response
        if response.status in (429, 503) and response.header("Retry-After") is None:
            yield finding("busy-without-retry-after", index, f"{response.status} without it.")


def monitor_cacheable(flow: Flow) -> Iterator[Finding]:
    for answer in flow.answers:
        response = answer.exchange.response
        if answer.state == "pending" and ok(response) and (why := cacheable(response)):
            yield finding("monitor-cacheable", answer.index, why)


def cacheable(response: Response) -> str:
    """Why a cache may reuse this answer without asking the server, or ""."""
    control = (response.header("Cache-Control") or "").lower()
    if "no-store" in control or "no-cache" in control or "private" in control:
        return ""
    ages = [int(age) for age in MAX_AGE.findall(control)]
    if ages:
        return f"Cache-Control: {control}" if max(ages) > 0 else ""
    expires = response.header("Expires")
    if expires is not None:
        moment = parse_http_date_safe(expires)
        date = parse_http_date_safe(response.header("Date") or "")
        now = date or datetime.now(tz=UTC).timestamp()
        return f"Expires: {expires}" if moment is not None and moment > now else ""
    if response.status in HEURISTIC:
        return (
            f"{response.status} with no Cache-Control or Expires: a cache may reuse it "
            "for a while of its own choosing (RFC 9111 section 4.2.2)."
        )
    return ""


def monitor_without_validator(flow: Flow) -> Iterator[Finding]:
    for answer in flow.answers:
        response = answer.exchange.response
        if ok(response) and not response.header("ETag") and not response.header("Last-Modified"):
            yield finding(
                "monitor-without-validator", answer.index, "Neither ETag nor Last-Modified."
            )
            return  # once is enough: every poll would say the same


def done_with_302(flow: Flow) -> Iterator[Finding]:
    for answer in flow.answers:
        if answer.exchange.response.status == 302:
            yield finding("done-with-302", answer.index, "302 Found; send 303 See Other.")


def done_without_result(flow: Flow) -> Iterator[Finding]:
    done = [a for a in flow.answers if a.state == "succeeded"]
    if not done:
        return
    last = done[-1]
    response = last.exchange.response
    if response.status in (301, 302, 303, 307, 308):
        target = response.header("Location")
        if not target:
            yield finding("done-without-result", last.index, f"{response.status} without Location.")
            return
        fetched = followed(flow, last.index, last.exchange.resolve(target))
        if fetched is not None and not ok(flow.exchanges[fetched].response):
            status = flow.exchanges[fetched].response.status
            yield finding("done-without-result", fetched, f"The result answered {status}.")
        return
    body = response.json
    if response.header("AsyncResult") is not None or response.header("Location"):
        return
    if isinstance(body, dict) and any(body.get(name) is not None for name in RESULT_MEMBERS):
        link = body_link(body, ("resourceLocation", "resultUrl"))
        fetched = followed(flow, last.index, last.exchange.resolve(link)) if link else None
        if fetched is not None and not ok(flow.exchanges[fetched].response):
            status = flow.exchanges[fetched].response.status
            yield finding("done-without-result", fetched, f"The result answered {status}.")
        return
    yield finding("done-without-result", last.index, "No result member, link or redirect.")


def followed(flow: Flow, after: int, url: str) -> int | None:
    """The exchange, after `after`, that fetched url; None if the flow never did."""
    for index in range(after + 1, len(flow.exchanges)):
        if same_resource(flow.exchanges[index].request.url, url):
            return index
    return None


def failure_as_server_error(flow: Flow) -> Iterator[Finding]:
    for answer in flow.answers:
        response = answer.exchange.response
        if (
            response.status >= 500
            and not (response.status == 503 and response.header("Retry-After"))
            and (answer.state == "failed" or says_failed(response))
        ):
            yield finding(
                "failure-as-server-error",
                answer.index,
                f"{response.status} for a job whose status says it failed.",
            )


def says_failed(response: Response) -> bool:
    body = response.json
    return isinstance(body, dict) and any(
        isinstance(body.get(name), (dict, str)) for name in ("error", "job")
    )


def cors_hides_monitor(flow: Flow) -> Iterator[Finding]:
    for index, exchange in enumerate(flow.exchanges):
        response = exchange.response
        if not response.header("Access-Control-Allow-Origin"):
            continue
        exposed = {
            name.strip().lower()
            for value in response.headers_named("Access-Control-Expose-Headers")
            for name in value.split(",")
        }
        if "*" in exposed and response.header("Access-Control-Allow-Credentials") != "true":
            continue
        hidden = [
            name
            for name in EXPOSABLE
            if response.header(name) is not None and name.lower() not in exposed | SAFELISTED
        ]
        if hidden:
            yield finding("cors-hides-monitor", index, "Not exposed: " + ", ".join(hidden) + ".")


def status_vocabulary(flow: Flow) -> Iterator[Finding]:
    vocabulary = VOCABULARY.get(flow.convention)
    if vocabulary is None:
        return
    seen: set[str] = set()
    for answer in flow.answers:
        value = answer.value
        if value is not None and value not in vocabulary and value not in seen:
            seen.add(value)
            yield finding(
                "status-vocabulary",
                answer.index,
                f"status {value!r}; {flow.convention_name} defines "
                + ", ".join(sorted(vocabulary))
                + ".",
            )


def location_on_202(flow: Flow) -> Iterator[Finding]:
    for index, exchange in enumerate(flow.exchanges):
        if exchange.response.status == 202 and exchange.response.header("Location"):
            yield finding("location-on-202", index, "Location on a 202.")
            return


def ok(response: Response) -> bool:
    return 200 <= response.status < 300


CHECKS: tuple[Callable[[Flow], Iterator[Finding]], ...] = (
    accepted_without_monitor,
    accepted_but_done,
    retry_after,
    retry_after_missing,
    busy_without_retry_after,
    monitor_cacheable,
    monitor_without_validator,
    done_with_302,
    done_without_result,
    failure_as_server_error,
    cors_hides_monitor,
    status_vocabulary,
    location_on_202,
)

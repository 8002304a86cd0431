"""The report of a flow: each exchange with httplint's notes and the flow rules' findings
beside it, the convention recognised, and the counts by level."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from checker import flow, har, linting, rules, transcript
from checker.exchanges import Exchange
from checker.linting import LintNote
from checker.rules import Finding

# Shown in place of a secret: never stored, never shown.
REDACTED = "(redacted)"
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie"}
SECRET_WORDS = ("key", "token", "secret", "password", "signature", "session", "auth")
# Named like a secret, but not one: shown as sent.
NOT_SECRET = {"idempotency-key", "www-authenticate", "authentication-info"}


@dataclass(frozen=True)
class Entry:
    index: int
    exchange: Exchange
    findings: list[Finding]
    notes: list[LintNote]


@dataclass(frozen=True)
class Report:
    convention: str
    convention_name: str
    entries: list[Entry]
    # Findings about the flow as a whole, not one exchange.
    flow_findings: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [*self.flow_findings, *(f for e in self.entries for f in e.findings)]

    @property
    def counts(self) -> dict[str, int]:
        counted = {level: 0 for level in rules.LEVELS}
        for found in self.findings:
            counted[found.rule.level] += 1
        return counted

    def to_json(self) -> dict[str, Any]:
        return {
            "convention": {"id": self.convention, "name": self.convention_name},
            "counts": self.counts,
            "findings": [f.to_json() for f in self.findings],
            "exchanges": [
                {
                    "request": {
                        "method": e.exchange.request.method,
                        "url": e.exchange.request.url,
                        "headers": [list(h) for h in e.exchange.request.headers],
                    },
                    "response": {
                        "status": e.exchange.response.status,
                        "reason": e.exchange.response.reason,
                        "headers": [list(h) for h in e.exchange.response.headers],
                        "body": e.exchange.response.body,
                    },
                    "findings": [f.rule.id for f in e.findings],
                    "httplint": [n.to_json() for n in e.notes],
                }
                for e in self.entries
            ],
        }


def read_recorded(text: str) -> list[Exchange]:
    """A recorded flow handed over as text: a HAR file if it is JSON, else a transcript."""
    if text.lstrip().startswith(("{", "[")):
        return har.read(text)
    return transcript.read(text)


def build(exchanges: list[Exchange]) -> Report:
    exchanges = [redact(exchange) for exchange in exchanges]
    read = flow.read(exchanges)
    found = rules.check(read)
    entries = [
        Entry(
            index,
            exchange,
            [f for f in found if f.exchange == index],
            linting.lint(exchange),
        )
        for index, exchange in enumerate(exchanges)
    ]
    return Report(
        convention=read.convention,
        convention_name=read.convention_name,
        entries=entries,
        flow_findings=[f for f in found if f.exchange is None],
    )


def redact(exchange: Exchange) -> Exchange:
    """The exchange with its credentials replaced: they never reach a report."""

    def headers(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((n, REDACTED if secret(n) else v) for n, v in pairs)

    parts = urlsplit(exchange.request.url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(secret(name) for name, _ in query):
        cleaned = urlencode([(n, REDACTED if secret(n) else v) for n, v in query])
        url = urlunsplit(parts._replace(query=cleaned))
    else:
        url = exchange.request.url
    request = replace(exchange.request, url=url, headers=headers(exchange.request.headers))
    response = replace(exchange.response, headers=headers(exchange.response.headers))
    return replace(exchange, request=request, response=response)


def without_secret_parameters(url: str) -> tuple[str, list[str]]:
    """The URL without its query parameters named like credentials, and their names."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    left_out = [name for name, _ in query if secret(name)]
    if not left_out:
        return url, []
    kept = urlencode([(n, v) for n, v in query if not secret(n)])
    return urlunsplit(parts._replace(query=kept)), left_out


def secret(name: str) -> bool:
    lowered = name.lower()
    if lowered in NOT_SECRET:
        return False
    return lowered in SECRET_HEADERS or any(word in lowered for word in SECRET_WORDS)

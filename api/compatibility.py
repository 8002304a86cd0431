"""What real HTTP clients conclude about one job under each convention: measured, as data.

Every row says what one client concluded about a job in one scenario under one
convention: its verdict. tests/clients/test_compatibility.py runs each client
against a live server and worker for every row and fails when what it observes
differs from the row, or when a row is missing or has no run; the
client perspective of /202/ and the playground render their table from these
rows. So the table claims only what the tests saw, and a client library whose
behaviour changes fails the suite until its rows are measured again.

The rows themselves are in ``api.compatibility_rows``; this module says what
the words in them mean. The clients are programs in ``clients/`` (the library
runners in ``clients/libraries/``); the checker replays a user's recorded flow to
the same programs and judges them with the same verdicts (``checker.replay``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.conventions import CONVENTIONS


@dataclass(frozen=True)
class Verdict:
    id: str
    label: str
    meaning: str


VERDICTS: dict[str, Verdict] = {
    verdict.id: verdict
    for verdict in (
        Verdict("succeeded", "succeeded", "returned the job's result"),
        Verdict(
            "raised",
            "raised an error",
            "stopped with an error (an exception, exit 1) once the job had ended",
        ),
        Verdict(
            "raised-early",
            "raised an error while the job was still running",
            "stopped with an error before the job had ended, so it never learned how it ended",
        ),
        Verdict("gave-up", "gave up at its deadline", "stopped when its own deadline passed"),
        Verdict(
            "pending-success",
            "wrongly reported success while still pending",
            "returned as if done while the job was still queued or running",
        ),
        Verdict(
            "false-success",
            "wrongly reported success",
            "returned as if done for a job that failed or was canceled",
        ),
        Verdict(
            "no-result",
            "reported success without the result",
            "returned as if done, but with something other than the job's result",
        ),
        Verdict(
            "never-stopped",
            "never stopped polling",
            "was still polling when the test's own deadline stopped it",
        ),
    )
}


@dataclass(frozen=True)
class Client:
    id: str
    name: str
    language: str
    summary: str
    # Packages whose installed version the rows were measured with: (registry, name, version).
    packages: tuple[tuple[str, str, str], ...] = ()
    # An example client's file: the one /202/ shows and the tests run.
    source: str | None = None
    url: str | None = None


CLIENTS: tuple[Client, ...] = (
    Client(
        "azure-core",
        "azure-core LROPoller + LROBasePolling",
        "Python",
        "The Azure SDK for Python's poller, with a generated client's pipeline "
        "(redirects followed, 429 and 5xx retried).",
        packages=(("pypi", "azure-core", "1.41.0"),),
        url="https://learn.microsoft.com/python/api/azure-core/azure.core.polling.base_polling.lrobasepolling",
    ),
    Client(
        "core-lro",
        "@azure/core-lro createHttpPoller",
        "JavaScript (Node.js)",
        "The Azure SDK for JavaScript's HTTP poller, its requests sent with fetch().",
        packages=(("npm", "@azure/core-lro", "3.3.1"),),
        url="https://www.npmjs.com/package/@azure/core-lro",
    ),
    Client(
        "naive-requests",
        "A hand-written requests loop",
        "Python",
        "POST, then GET Location while the answer is 202, sleeping Retry-After; "
        "redirects followed; raise_for_status(), then the JSON.",
        packages=(("pypi", "requests", "2.34.2"),),
        source="clients/libraries/naive_requests.py",
    ),
    Client(
        "example-python",
        "This site's Python example",
        "Python",
        "clients/python/poll.py (the standard library's urllib), shown on /202/.",
        source="clients/python/poll.py",
    ),
    Client(
        "example-javascript",
        "This site's JavaScript example",
        "JavaScript (Node.js)",
        "clients/javascript/poll.mjs (fetch), shown on /202/.",
        source="clients/javascript/poll.mjs",
    ),
    Client(
        "example-shell",
        "This site's shell example",
        "POSIX shell",
        "clients/shell/poll.sh (curl and jq), shown on /202/.",
        source="clients/shell/poll.sh",
    ),
)
CLIENTS_BY_ID = {client.id: client for client in CLIENTS}


@dataclass(frozen=True)
class Scenario:
    id: str
    name: str
    summary: str
    # The verdict a correct client reaches.
    expected: str
    # The ?outcome= preset (a Job.Preset) that provokes it, if any.
    preset: str | None = None


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("success", "Succeeds", "An ordinary job that succeeds.", "succeeded"),
    Scenario(
        "fails",
        "Fails after acceptance",
        "Accepted, then failed: every recipient bounces.",
        "raised",
        preset="fails-after-accept",
    ),
    Scenario(
        "canceled",
        "Canceled",
        "Canceled (DELETE /api/jobs/<id>) while the client polls.",
        "raised",
    ),
    Scenario(
        "retry-after-date",
        "Retry-After as a date",
        "Succeeds; every Retry-After is an HTTP-date.",
        "succeeded",
        preset="retry-after-date",
    ),
    Scenario(
        "monitor-503",
        "Monitor 503 for a while",
        "Succeeds; the first polls answer 503 with Retry-After.",
        "succeeded",
        preset="monitor-503",
    ),
    Scenario(
        "monitor-429",
        "Monitor 429 for a while",
        "Succeeds; the first polls answer 429 with Retry-After.",
        "succeeded",
        preset="monitor-429",
    ),
    Scenario(
        "gone-after-done",
        "Monitor gone once done",
        "Succeeds, but its monitors answer 410 Gone once it is done.",
        "raised",
        preset="gone-after-done",
    ),
    Scenario(
        "lost-by-worker",
        "Lost by its worker",
        "Its first worker lets go of it after one step; it stays running, with no "
        "progress, until its lease runs out, goes back to queued, then succeeds.",
        "succeeded",
        preset="lost-by-worker",
    ),
)
SCENARIOS_BY_ID = {scenario.id: scenario for scenario in SCENARIOS}
CONVENTION_IDS = tuple(convention.id for convention in CONVENTIONS)


@dataclass(frozen=True)
class Row:
    client: str
    convention: str
    scenario: str
    verdict: str
    # Why, in a few words; empty where the verdict is the right one and needs none.
    why: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.client, self.convention, self.scenario)

    @property
    def label(self) -> str:
        return VERDICTS[self.verdict].label

    @property
    def is_right(self) -> bool:
        return self.verdict == SCENARIOS_BY_ID[self.scenario].expected

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "convention": self.convention,
            "scenario": self.scenario,
            # The public keys keep the word they were published with.
            "outcome": self.verdict,
            "outcomeLabel": VERDICTS[self.verdict].label,
            "right": self.is_right,
            "why": self.why,
        }

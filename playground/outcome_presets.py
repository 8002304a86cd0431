"""The outcome presets: outcomes a client must survive, provoked from the request itself.

Data, as the conventions are (playground/conventions.py, which re-exports these and
lists them at GET /api/conventions). Most are asked for with the ``outcome`` query
parameter of any submit URL, recorded on the job (Job.outcome) and applied by
playground/outcomes.py whenever a monitor answers about the job; the failure after
acceptance is provoked by the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXAMPLES = ("bulk-email", "file-processing")
# The query parameter of every submit URL that asks for an outcome preset.
OUTCOME_PARAMETER = "outcome"
# How many monitor polls a "busy" preset answers 503 or 429 before it recovers.
BUSY_POLLS = 2


@dataclass(frozen=True)
class Provoke:
    """How a request provokes a preset: where, and what to put there."""

    where: str  # "query" (the outcome parameter of any submit URL) or "body"
    value: str
    examples: tuple[str, ...] = EXAMPLES

    def to_json(self) -> dict[str, Any]:
        how: dict[str, Any] = {"in": self.where, "examples": list(self.examples)}
        if self.where == "query":
            how |= {"name": OUTCOME_PARAMETER, "value": self.value}
        else:
            how["body"] = self.value
        return how


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    summary: str
    provoke: Provoke
    # The status codes a client meets that it would not meet otherwise.
    statuses: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "summary": self.summary,
            "provoke": self.provoke.to_json(),
            "statuses": list(self.statuses),
        }


# The preset the worker acts on (playground/work/steps.py); the others change only
# how the API answers (playground/outcomes.py).
LOST_BY_WORKER = "lost-by-worker"

PRESETS: tuple[Preset, ...] = (
    Preset(
        "retry-after-date",
        "Retry-After as an HTTP-date",
        "Every Retry-After the job's answers carry (the submit's, the monitors') is an "
        "HTTP-date (Sun, 06 Nov 1994 08:49:37 GMT) instead of delay-seconds; both forms "
        "are RFC 9110's (section 10.2.3).",
        Provoke("query", "retry-after-date"),
    ),
    Preset(
        "monitor-503",
        "The monitor is unavailable for a while",
        f"The first {BUSY_POLLS} polls of any of the job's monitors answer 503 Service "
        "Unavailable with Retry-After (a problem); later polls answer as usual.",
        Provoke("query", "monitor-503"),
        statuses=(503,),
    ),
    Preset(
        "monitor-429",
        "The monitor is rate limited for a while",
        f"The first {BUSY_POLLS} polls of any of the job's monitors answer 429 Too Many "
        "Requests with Retry-After (a problem); later polls answer as usual.",
        Provoke("query", "monitor-429"),
        statuses=(429,),
    ),
    Preset(
        "gone-after-done",
        "The monitor expired once the job finished",
        "Once the job has finished, its monitors and result answer 410 Gone (problem "
        "job-expired), as a job kept past its retention period does: the client never "
        "sees the final state.",
        Provoke("query", "gone-after-done"),
        statuses=(410,),
    ),
    Preset(
        LOST_BY_WORKER,
        "The job is lost by its worker",
        "The worker running the job's first attempt lets go of it before its second step, "
        "as a worker killed there would: nothing more commits and the job's lease stays "
        "taken. The monitors go on answering running, with no progress, until the lease "
        "runs out (DEMO_LEASE_TIMEOUT, 30 s by default); then the job is queued again "
        "(attempt 2) and a worker finishes it from its last committed step. Nothing "
        "accepted is lost; with DEMO_MAX_ATTEMPTS=1 the job ends failed (error worker-lost).",
        Provoke("query", LOST_BY_WORKER),
    ),
    Preset(
        "fails-after-accept",
        "The job fails after it was accepted",
        "The submit is accepted as usual; the job then ends failed (error all-bounced) "
        "because every recipient is at bounce.example.test.",
        Provoke(
            "body",
            '{"subject": "Hi", "body": "Hello {name}", "recipients": '
            '["ada@bounce.example.test", "grace@bounce.example.test"]}',
            examples=("bulk-email",),
        ),
    ),
)

# The values the outcome query parameter takes: the presets provoked that way.
OUTCOMES: dict[str, Preset] = {
    preset.provoke.value: preset for preset in PRESETS if preset.provoke.where == "query"
}
BUSY_STATUS = {"monitor-503": 503, "monitor-429": 429}

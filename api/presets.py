"""The presets: outcomes a client must survive, provoked from the request itself.

Data, as the conventions are (GET /api/conventions lists both), and how they are
applied. Most are asked for with the ``outcome`` query parameter of any submit URL
and recorded on the job (Job.preset, whose enum lists them); watched_job applies the
ones that change how the API answers whenever a monitor answers about the job. One
changes what happens to the job instead, and is the worker's: lost-by-worker. The
failure after acceptance is provoked by the body.

No HTTP here: a busy monitor is an error (MonitorUnavailable, MonitorThrottled) the
API maps to its problem type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.utils import timezone

from jobs import lifecycle
from jobs.models import Job

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


PRESETS: tuple[Preset, ...] = (
    Preset(
        Job.Preset.RETRY_AFTER_DATE,
        "Retry-After as an HTTP-date",
        "Every Retry-After the job's answers carry (the submit's, the monitors') is an "
        "HTTP-date (Sun, 06 Nov 1994 08:49:37 GMT) instead of delay-seconds; both forms "
        "are RFC 9110's (section 10.2.3).",
        Provoke("query", Job.Preset.RETRY_AFTER_DATE),
    ),
    Preset(
        Job.Preset.MONITOR_503,
        "The monitor is unavailable for a while",
        f"The first {BUSY_POLLS} polls of any of the job's monitors answer 503 Service "
        "Unavailable with Retry-After (a problem); later polls answer as usual.",
        Provoke("query", Job.Preset.MONITOR_503),
        statuses=(503,),
    ),
    Preset(
        Job.Preset.MONITOR_429,
        "The monitor is rate limited for a while",
        f"The first {BUSY_POLLS} polls of any of the job's monitors answer 429 Too Many "
        "Requests with Retry-After (a problem); later polls answer as usual.",
        Provoke("query", Job.Preset.MONITOR_429),
        statuses=(429,),
    ),
    Preset(
        Job.Preset.GONE_AFTER_DONE,
        "The monitor expired once the job finished",
        "Once the job has finished, its monitors and result answer 410 Gone (problem "
        "job-expired), as a job kept past its retention period does: the client never "
        "sees the final state.",
        Provoke("query", Job.Preset.GONE_AFTER_DONE),
        statuses=(410,),
    ),
    Preset(
        Job.Preset.LOST_BY_WORKER,
        "The job is lost by its worker",
        "The worker running the job's first attempt lets go of it before its second step, "
        "as a worker killed there would: nothing more commits and the job's lease stays "
        "taken. The monitors go on answering running, with no progress, until the lease "
        "runs out (DEMO_LEASE_TIMEOUT, 30 s by default); then the job is queued again "
        "(attempt 2) and a worker finishes it from its last committed step. Nothing "
        "accepted is lost; with DEMO_MAX_ATTEMPTS=1 the job ends failed (error worker-lost).",
        Provoke("query", Job.Preset.LOST_BY_WORKER),
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
BUSY_STATUS: dict[str, int] = {Job.Preset.MONITOR_503: 503, Job.Preset.MONITOR_429: 429}


# -- Applying them ---------------------------------------------------------------


class MonitorBusy(lifecycle.JobError):
    """The job's monitor does not answer this poll (a preset); a later one will."""


class MonitorUnavailable(MonitorBusy):
    pass


class MonitorThrottled(MonitorBusy):
    pass


BUSY_ERRORS: dict[int, type[MonitorBusy]] = {503: MonitorUnavailable, 429: MonitorThrottled}


def watched_job(*, public_id: str, monitor: bool) -> Job:
    """The job, as a monitor (or, with monitor=False, its result) may answer about it.

    Raises what lifecycle.get_job raises; JobExpired once a gone-after-done job finished;
    MonitorUnavailable or MonitorThrottled for the first BUSY_POLLS polls of a monitor-503
    or monitor-429 job's monitors.
    """
    job = lifecycle.get_job(public_id=public_id)
    if job.preset == Job.Preset.GONE_AFTER_DONE and not job.is_pending:
        # Expired for real, as retention would expire it: every URL of the job agrees.
        finished = job.finished_at or timezone.now()
        Job.objects.filter(pk=job.pk).update(expires_at=finished)
        return lifecycle.get_job(public_id=public_id)
    status = BUSY_STATUS.get(job.preset)
    if monitor and status is not None:
        # One conditional update: two polls at once cannot both take the last busy answer.
        taken = Job.objects.filter(pk=job.pk, monitor_answers__lt=BUSY_POLLS).update(
            monitor_answers=F("monitor_answers") + 1
        )
        if taken:
            raise BUSY_ERRORS[status](
                f"The monitors of job {public_id} do not answer its first {BUSY_POLLS} polls "
                f"(outcome {job.preset}); poll again after Retry-After.",
                job=job,
            )
    return job


def watched_result(*, public_id: str) -> Job:
    """The succeeded job whose result is asked for, as lifecycle.get_succeeded_job finds it,
    after the presets that make a result URL answer otherwise (gone-after-done)."""
    watched_job(public_id=public_id, monitor=False)
    return lifecycle.get_succeeded_job(public_id=public_id)

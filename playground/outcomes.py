"""Outcome presets on a job: what a submit's ?outcome= asked for, applied when it is watched.

playground.conventions.PRESETS says what each one is. The job keeps the preset from
its first write (Job.outcome, jobs.accept_*); the API finds a job to answer about
through watched_job, which applies the presets that change how the API answers. One
preset changes what happens to the job instead, and is the worker's: lost-by-worker
(playground/work/steps.py). No HTTP here: a busy monitor is an error
(MonitorUnavailable, MonitorThrottled) the API maps to its problem type.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from playground import jobs
from playground.conventions import BUSY_POLLS, BUSY_STATUS
from playground.models import Job


class MonitorBusy(jobs.JobError):
    """The job's monitor does not answer this poll (a preset); a later one will."""


class MonitorUnavailable(MonitorBusy):
    pass


class MonitorThrottled(MonitorBusy):
    pass


BUSY_ERRORS: dict[int, type[MonitorBusy]] = {503: MonitorUnavailable, 429: MonitorThrottled}


def watched_job(*, public_id: str, monitor: bool) -> Job:
    """The job, as a monitor (or, with monitor=False, its result) may answer about it.

    Raises what jobs.get_job raises; JobExpired once a gone-after-done job finished;
    MonitorUnavailable or MonitorThrottled for the first BUSY_POLLS polls of a monitor-503
    or monitor-429 job's monitors.
    """
    job = jobs.get_job(public_id=public_id)
    if job.outcome == "gone-after-done" and not job.is_pending:
        # Expired for real, as retention would expire it: every URL of the job agrees.
        finished = job.finished_at or timezone.now()
        Job.objects.filter(pk=job.pk).update(expires_at=finished)
        return jobs.get_job(public_id=public_id)
    status = BUSY_STATUS.get(job.outcome)
    if monitor and status is not None:
        # One conditional update: two polls at once cannot both take the last busy answer.
        taken = Job.objects.filter(pk=job.pk, monitor_answers__lt=BUSY_POLLS).update(
            monitor_answers=F("monitor_answers") + 1
        )
        if taken:
            raise BUSY_ERRORS[status](
                f"The monitors of job {public_id} do not answer its first {BUSY_POLLS} polls "
                f"(outcome {job.outcome}); poll again after Retry-After.",
                job=job,
            )
    return job


def watched_result(*, public_id: str) -> Job:
    """The succeeded job whose result is asked for, as jobs.get_succeeded_job finds it,
    after the presets that make a result URL answer otherwise (gone-after-done)."""
    watched_job(public_id=public_id, monitor=False)
    return jobs.get_succeeded_job(public_id=public_id)

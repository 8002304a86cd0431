"""Jobs of the demo API: accept, find and cancel them, and queue their tasks.

Plain functions, knowing nothing of HTTP: the API calls them, and they raise the
errors below, which the API maps to problem types. The Job row holds a job's state;
the task of its current slice follows it (see ``Job``). Beside this module:
``running`` runs a slice, ``work`` holds each job kind's steps, ``retention``
prunes, and ``recovery`` stands in for the task library's missing lease.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jobs import admission, idempotency, running
from jobs.models import Job, new_job_id, upload_path
from jobs.work import bulk_email, file_digest, steps

logger = logging.getLogger(__name__)


class JobError(Exception):
    """A job cannot be found or do what was asked; carries the job when there is one."""

    def __init__(self, message: str, *, job: Job | None = None) -> None:
        super().__init__(message)
        self.job = job


class JobNotFound(JobError):
    pass


class JobExpired(JobError):
    """The job finished longer ago than the retention period; its data is deleted."""


class JobFinished(JobError):
    """Cancellation is too late: the job reached a final state, or did all its work."""


class ResultNotAvailable(JobError):
    """The job has not succeeded (yet)."""


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str


@dataclass(frozen=True)
class Accepted:
    """The job a request to start one got: its own, or the one an identical earlier
    request created (an Idempotency-Key replayed)."""

    job: Job
    # Whether the request waited for the job (Prefer: wait): a replay never does, nor a
    # request that found no place to wait (admission.place_to_wait).
    waited: bool


# -- Accepting -------------------------------------------------------------------


def accept_bulk_email(
    *,
    subject: str,
    body: str,
    recipients: list[Recipient],
    fingerprint: str,
    client: str = "",
    idempotency_key: str | None = None,
    wait: float | None = None,
    preset: str = "",
) -> Accepted:
    """Queue a bulk email, or return the job an identical earlier request created.

    With wait (Prefer: wait), return once the job finished or wait seconds passed, if
    the job is this request's own and a place to wait is free (wait_for_job).
    preset is the ?outcome= preset the request asked for, kept
    on the job from its first write: the worker acts on one of them.
    """
    rows = [{"email": r.email, "name": r.name} for r in recipients]
    job_input = {
        "subject": subject,
        "body": body,
        "recipients": rows,
        "steps": bulk_email.planned_steps(recipients=rows),
        "storedBytes": bulk_email.stored_bytes(subject=subject, body=body, recipients=rows),
    }
    # Chosen here, so that a job with another id is one an earlier request created.
    public_id = new_job_id()
    job = idempotency.create_once(
        client=client,
        kind=Job.Kind.BULK_EMAIL,
        key=idempotency_key,
        fingerprint=fingerprint,
        create=lambda: _create_job(
            kind=Job.Kind.BULK_EMAIL,
            job_input=job_input,
            client=client,
            preset=preset,
            public_id=public_id,
        ),
    )
    return _accepted(job=job, own=job.public_id == public_id, wait=wait, client=client)


def accept_file_processing(
    *,
    stored_as: str,
    filename: str,
    content_type: str,
    size: int,
    fingerprint: str,
    client: str = "",
    idempotency_key: str | None = None,
    wait: float | None = None,
    preset: str = "",
) -> Accepted:
    """Queue the digest of an upload already written to upload_path(public_id=stored_as).

    preset as for accept_bulk_email. The job gets the upload's id. When no job takes
    the upload (a replayed Idempotency-Key, a refusal, a crash before commit), the file
    goes.
    """
    job_input = {
        "filename": filename,
        "contentType": content_type,
        "size": size,
        "path": str(upload_path(public_id=stored_as)),
        "steps": file_digest.planned_steps(size=size),
        "storedBytes": file_digest.stored_bytes(filename=filename, content_type=content_type),
    }
    try:
        job = idempotency.create_once(
            client=client,
            kind=Job.Kind.FILE_PROCESSING,
            key=idempotency_key,
            fingerprint=fingerprint,
            create=lambda: _create_job(
                kind=Job.Kind.FILE_PROCESSING,
                job_input=job_input,
                client=client,
                preset=preset,
                public_id=stored_as,
            ),
        )
    finally:
        if not Job.objects.filter(public_id=stored_as).exists():
            upload_path(public_id=stored_as).unlink(missing_ok=True)
    # The job of a replay has the id of the earlier request's upload.
    return _accepted(job=job, own=job.public_id == stored_as, wait=wait, client=client)


def _accepted(*, job: Job, own: bool, wait: float | None, client: str) -> Accepted:
    # A replay answers at once: waiting again for a job another request started would let
    # one job hold any number of threads, one per replay.
    if not wait or not own:
        return Accepted(job=job, waited=False)
    return Accepted(job=job, waited=wait_for_job(job=job, timeout=wait, client=client))


def _create_job(
    *,
    kind: str,
    job_input: dict[str, Any],
    client: str,
    preset: str = "",
    public_id: str | None = None,
) -> Job:
    now = timezone.now()
    # The job and its task row are in the same database and the same transaction:
    # once this commits (before the 202 is sent) the job cannot be lost. The limits
    # are checked in it too, so two requests cannot both take the last place.
    with transaction.atomic():
        job = Job(
            kind=kind,
            input=job_input,
            client=client,
            network=admission.network_of(client),
            preset=preset,
            estimated_completion_at=now,
        )
        if public_id:
            job.public_id = public_id
        priority = admission.admit(job=job)
        # Jobs do not wait for each other: a worker interleaves their slices.
        job.estimated_completion_at = now + timedelta(seconds=job.planned_seconds())
        # The task first: the job's row is then written once, pointing to it.
        running.enqueue_slice(job=job, priority=priority)
        job.save()
    return job


def wait_for_job(*, job: Job, timeout: float, client: str = "", poll: float = 0.1) -> bool:
    """Poll until the job is finished or timeout seconds passed (Prefer: wait), refreshing
    job; whether it waited at all.

    A wait holds a web thread and polls the database, so it needs a place to wait
    (admission.place_to_wait: a few per process, and per client); without one it
    returns False at once.
    """
    with admission.place_to_wait(client=client) as free:
        if not free:
            return False
        # The place lapses after WAIT_PLACE_SECONDS: the wait ends before.
        deadline = time.monotonic() + min(timeout, admission.WAIT_PLACE_SECONDS - 1)
        while job.is_pending and time.monotonic() < deadline:
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
            job.refresh_from_db()
    return True


# -- Finding ---------------------------------------------------------------------


def get_job(*, public_id: str) -> Job:
    """The job with this id; JobNotFound, or JobExpired once its data is gone."""
    job = Job.objects.filter(public_id=public_id).first()
    if job is None:
        raise JobNotFound(f"There is no job {public_id}.")
    if job.pruned or (job.expires_at is not None and job.expires_at <= timezone.now()):
        raise JobExpired(
            f"Job {public_id} finished more than the retention period ago; its data is deleted.",
            job=job,
        )
    return job


def get_succeeded_job(*, public_id: str) -> Job:
    """The job, if it succeeded: what its result is read from."""
    job = get_job(public_id=public_id)
    if job.status != Job.Status.SUCCEEDED:
        state = "is still " + job.status if job.is_pending else "ended " + job.status
        raise ResultNotAvailable(f"Job {job.public_id} {state}", job=job)
    return job


# -- Cancelling ------------------------------------------------------------------


def cancel_job(*, public_id: str) -> Job:
    """Cancel a queued job at once; ask a running one to stop at its next step.

    A job whose work is all done (every message sent, the whole file read) is not
    canceled: what was done cannot be undone, so this raises JobFinished and the job
    ends as its work did. Serialised with each step on the job's row: either the step
    commits first (and the job is judged with it), or the request is recorded first
    and no later step runs.
    """
    with transaction.atomic():
        get_job(public_id=public_id)
        current = Job.objects.select_for_update().get(public_id=public_id)
        if not current.is_pending:
            raise JobFinished(
                f"Job {public_id} already finished ({current.status}); there is nothing to cancel.",
                job=current,
            )
        if work_done(current):
            raise JobFinished(
                f"Job {public_id} has done all its work ({work_summary(current)}) and "
                "cannot be undone; it is finishing, and its result will be read as usual.",
                job=current,
            )
        now = timezone.now()
        current.cancel_requested_at = current.cancel_requested_at or now
        if current.status == Job.Status.QUEUED:
            running.cancel(job=current, now=now)
            # Its task follows: a worker must not start it any more.
            running.close_task(
                job=current, error=steps.JobCanceled("Canceled while queued."), now=now
            )
        else:
            current.message = "Cancellation requested; the job stops at its next step."
        current.save()
    if not current.is_pending:
        running.discard_upload(job=current)
    return current


def work_done(job: Job) -> bool:
    """Whether nothing the job does remains to be done (only its report is left)."""
    if job.kind == Job.Kind.BULK_EMAIL:
        return bulk_email.all_handled(job)
    return steps.steps_done(job) >= steps.steps_planned(job)


def work_summary(job: Job) -> str:
    if job.kind == Job.Kind.BULK_EMAIL:
        return bulk_email.handled_summary(job)
    return "the whole file was read"

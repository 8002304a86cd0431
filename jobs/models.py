"""What the job engine stores: jobs, idempotency keys, worker heartbeats, delivered
mail, and the counters of the abuse limits.

A job's state lives on Job and only there; its transitions to a final state are its
methods. An attempt at running it is a chain of tasks of Django's Tasks API
(DBTaskResult rows), one per slice: the steps that were due (running.py).
Job.task_result references the current one, whose status follows the slice:
SUCCESSFUL when it made the job succeed or queued the next slice, FAILED when it
ended any other way (failed, canceled, lost, superseded).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.models import DBTaskResult

JOB_ID_PREFIX = "job_"
CANCELED_DETAIL = "A client asked for cancellation (DELETE on the status monitor)."


def new_job_id() -> str:
    # Random, not sequential: a job id is the only "credential" for its monitor.
    return JOB_ID_PREFIX + get_random_string(20)


def upload_path(*, public_id: str) -> Path:
    """Where the bytes a file job reads are kept while it needs them."""
    return Path(settings.DEMO_UPLOAD_DIR) / public_id


# The tables keep the names they had when these models were the playground app's:
# moving the models between apps changed no table (migrations say so, state only).


class Job(models.Model):
    class Kind(models.TextChoices):
        BULK_EMAIL = "bulk-email"
        FILE_PROCESSING = "file-processing"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELED = "canceled"

    class ErrorCode(models.TextChoices):
        """Why a job ended failed or canceled; the label is the title clients see."""

        ALL_BOUNCED = "all-bounced", "Every recipient bounced"
        CANCELED = "canceled", "The job was canceled"
        WORKER_LOST = "worker-lost", "The worker running this job stopped"
        UPLOAD_MISSING = "upload-missing", "The uploaded file is gone"
        INTERNAL_ERROR = "internal-error", "The job failed unexpectedly"

    class Preset(models.TextChoices):
        """The ?outcome= preset a job was submitted with. All but lost-by-worker change
        only how the API answers about the job; lost-by-worker is the worker's."""

        NONE = "", "none"
        RETRY_AFTER_DATE = "retry-after-date"
        MONITOR_503 = "monitor-503"
        MONITOR_429 = "monitor-429"
        GONE_AFTER_DONE = "gone-after-done"
        LOST_BY_WORKER = "lost-by-worker"

    PENDING = (Status.QUEUED, Status.RUNNING)

    public_id = models.CharField(max_length=40, unique=True, default=new_job_id)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Who asked (an address): the per-client limits count this (``jobs.admission``).
    client = models.CharField(max_length=64, blank=True, default="")
    # The IPv6 /48 the client is in ("" for IPv4): the /64s of one /48 share a cap on
    # pending jobs, so a block of addresses cannot hold the queue.
    network = models.CharField(max_length=64, blank=True, default="", db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=200, default="Waiting for a worker.")
    # What was asked (recipients, template; file name, type, size, stored path).
    input: models.JSONField[Any] = models.JSONField(default=dict)
    # What the finished steps recorded, so a retry resumes instead of redoing them.
    state: models.JSONField[Any] = models.JSONField(default=dict)
    result: models.JSONField[Any] = models.JSONField(null=True, blank=True)
    # {"code": an ErrorCode, "detail"}; the API renders it as an RFC 9457 object.
    error: models.JSONField[Any] = models.JSONField(null=True, blank=True)

    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # The task of the current (or last) slice; its worker_ids say who runs it.
    task_result = models.ForeignKey(
        DBTaskResult, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_requested_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    estimated_completion_at = models.DateTimeField()
    # Set when the job finishes; afterwards the job answers 410 Gone.
    expires_at = models.DateTimeField(null=True, blank=True)
    # Pruned jobs keep this row (without their data) so they still answer 410.
    pruned = models.BooleanField(default=False)
    # The preset the submit asked for with ?outcome=, and how many monitor polls were
    # answered: it changes only how the API answers (the column keeps its first name).
    preset = models.CharField(
        max_length=30, blank=True, default="", choices=Preset.choices, db_column="outcome"
    )
    monitor_answers = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "playground_job"
        indexes = [  # noqa: RUF012 (Django reads Meta, never mutates it)
            models.Index(fields=["status", "lease_expires_at"]),
            models.Index(fields=["expires_at"]),
            models.Index(fields=["client", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.kind}, {self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING

    def planned_seconds(self) -> float:
        return float(self.input.get("steps", 1)) * settings.DEMO_PACE

    def remaining_seconds(self) -> float:
        """Seconds until the estimated completion."""
        return max(0.0, (self.estimated_completion_at - timezone.now()).total_seconds())

    def remaining_work(self) -> float:
        """Seconds of work the job still needs: its planned time not yet covered by progress."""
        return self.planned_seconds() * (100 - self.progress) / 100

    # -- Transitions to a final state (the caller saves the job) -------------------

    def finish(
        self,
        *,
        status: str,
        now: datetime,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """Put the job in a final state."""
        self.status = status
        self.result = result
        self.error = error
        self.finished_at = now
        self.estimated_completion_at = now
        self.expires_at = now + timedelta(seconds=settings.DEMO_JOB_RETENTION)
        self.lease_expires_at = None
        if status == self.Status.SUCCEEDED:
            self.progress = 100
        title = self.ErrorCode(error["code"]).label if error else "unknown error"
        self.message = {
            self.Status.SUCCEEDED: "Done.",
            self.Status.FAILED: f"Failed: {title}.",
            self.Status.CANCELED: "Canceled.",
        }[self.Status(status)]

    def cancel(self, *, now: datetime, report: dict[str, Any] | None) -> None:
        """Put the job in the canceled state, with the report of what it did before it
        stopped: a bulk email's says who got the message and who did not, so a client
        resends only to the rest; a file job did nothing that outlasts it (None)."""
        detail = CANCELED_DETAIL
        if report is not None:
            counts = report["counts"]
            detail += (
                f" {counts['recipients'] - counts['notSent']} of {counts['recipients']} "
                f"messages had been sent ({counts['delivered']} delivered, "
                f"{counts['bounced']} bounced), {counts['notSent']} not: the report lists which."
            )
        error = {"code": self.ErrorCode.CANCELED.value, "detail": detail}
        self.finish(status=self.Status.CANCELED, result=report, error=error, now=now)


class IdempotencyKey(models.Model):
    """An Idempotency-Key seen on a POST; job is empty while its request is in flight.

    A key is the client's own: another client sending the same key (guessed, or
    copied from documentation) names another request, and gets a job of its own.
    """

    # Who sent it, as Job.client says: the client its job belongs to.
    client = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, choices=Job.Kind.choices)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    job = models.OneToOneField(Job, on_delete=models.CASCADE, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "playground_idempotencykey"
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(
                fields=["client", "kind", "key"], name="unique_idempotency_key_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.kind} {self.key}"


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(max_length=64, primary_key=True)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField()

    class Meta:
        db_table = "playground_workerheartbeat"

    def __str__(self) -> str:
        return f"worker {self.worker_id} (pid {self.pid})"


class MailboxMessage(models.Model):
    """A message accepted by the local mail backend: the demo's "inbox"."""

    # Deterministic per job and recipient, so a retried delivery is recognised.
    message_id = models.CharField(max_length=255, unique=True)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    delivered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "playground_mailboxmessage"

    def __str__(self) -> str:
        return f"{self.message_id} to {self.recipient}"


class RateLimitEntry(models.Model):
    """One counter of the abuse limits, when they are kept in PostgreSQL (``jobs.ratestore``).

    value is a GCRA's theoretical arrival time, or a remembered fact; both in seconds
    since the epoch of the database's clock, as expires is.
    """

    key = models.CharField(max_length=200, primary_key=True)
    value = models.FloatField()
    expires = models.FloatField(db_index=True)

    class Meta:
        db_table = "playground_ratelimitentry"

    def __str__(self) -> str:
        return self.key

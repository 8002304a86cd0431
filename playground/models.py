"""What the demo API stores: jobs, idempotency keys, worker heartbeats, delivered mail.

A job's state lives on Job and only there. An attempt at running it is a chain of
tasks of Django's Tasks API (DBTaskResult rows), one per slice: the steps that were
due (playground/running.py). Job.task_result references the current one, whose
status follows the slice: SUCCESSFUL when it made the job succeed or queued the
next slice, FAILED when it ended any other way (failed, canceled, lost, superseded).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.models import DBTaskResult

JOB_ID_PREFIX = "job_"


def new_job_id() -> str:
    # Random, not sequential: a job id is the only "credential" for its monitor.
    return JOB_ID_PREFIX + get_random_string(20)


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

    PENDING = (Status.QUEUED, Status.RUNNING)

    public_id = models.CharField(max_length=40, unique=True, default=new_job_id)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Who asked (an address): the per-client limits count this (playground/admission.py).
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
    # An outcome preset asked for with ?outcome= (playground.conventions.OUTCOMES), and
    # how many monitor polls were answered: it changes only how the API answers.
    outcome = models.CharField(max_length=30, blank=True, default="")
    monitor_answers = models.PositiveIntegerField(default=0)

    class Meta:
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

    def __str__(self) -> str:
        return f"{self.message_id} to {self.recipient}"


class RateLimitEntry(models.Model):
    """One counter of the abuse limits, when they are kept in PostgreSQL (playground/ratestore.py).

    value is a GCRA's theoretical arrival time, or a remembered fact; both in seconds
    since the epoch of the database's clock, as expires is.
    """

    key = models.CharField(max_length=200, primary_key=True)
    value = models.FloatField()
    expires = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return self.key

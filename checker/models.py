"""A check kept on the site: a live check while it runs, and any report kept for a link.

Nothing is stored unless a user asks for it: a live check (its flow is recorded as it
goes), or a recorded flow kept for a shareable link and replayed to real clients.
What is stored is already redacted (checker.report.redact), expires after
CHECKER_KEEP_DAYS, and is found only by its unguessable id.
"""

from __future__ import annotations

import secrets

from django.db import models


def new_id() -> str:
    # 128 random bits: a link nobody can guess or enumerate.
    return secrets.token_urlsafe(16)


class Check(models.Model):
    class Kind(models.TextChoices):
        LIVE = "live"
        RECORDED = "recorded"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"

    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(db_index=True)
    # A live check's submit as the user described it, credentials removed:
    # {"method", "url", "headers": [[name, value], ...], "body"}.
    submit = models.JSONField(null=True, blank=True)
    # The exchanges recorded so far, as a HAR 1.2 archive (checker.har).
    flow = models.JSONField(default=dict, blank=True)
    # What each client library concluded when the flow was replayed to it (checker.replay).
    conclusions = models.JSONField(default=list, blank=True)
    # Why a live check stopped short (a refused address, a target that did not answer).
    stopped = models.TextField(blank=True)
    # When the next step is due; a step overdue by far was lost with its worker.
    next_at = models.DateTimeField(null=True, blank=True)
    # Which queued task owns the next step: a task of an older generation does nothing.
    generation = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = (models.Index(fields=["status", "next_at"], name="checker_pending"),)

    def __str__(self) -> str:
        return f"{self.kind} check {self.id} ({self.status})"

    @property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE

"""What the console keeps: a run, the exchanges of one Send and the polls after it."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models

RUN_ID_PREFIX = "run_"


def new_run_id() -> str:
    return RUN_ID_PREFIX + secrets.token_urlsafe(16)


class Run(models.Model):
    """One Send and what followed it, as a page without JavaScript shows it: the run's own
    URL (Post/Redirect/Get) reloads and shares the whole history so far."""

    public_id = models.CharField(max_length=40, unique=True, default=new_run_id)
    # Who sent it, as the limits key clients: each keeps only its newest runs.
    client = models.CharField(max_length=64, db_index=True)
    embed = models.BooleanField(default=False)
    convention = models.CharField(max_length=40)
    job_id = models.CharField(max_length=40, blank=True, default="")
    # [{"kind": "send" | "poll" | "cancel", "exchanges": [Exchange fields, ...]}, ...]
    steps: models.JSONField[Any] = models.JSONField(default=list)
    # Polls forgotten to keep the run within its cap (playground/runs.py).
    dropped = models.PositiveIntegerField(default=0)
    # The fields its Send had, for "Send again".
    fields: models.JSONField[Any] = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.public_id

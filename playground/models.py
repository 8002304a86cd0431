"""What the console keeps: a run, the exchanges of one Send and the polls after it."""

from __future__ import annotations

import json
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
    # JSON as text, not a JSONField: PostgreSQL's jsonb cannot hold a NUL character, and
    # what a reader sends (and so what the API echoes) may carry one. Read and written
    # through .steps and .fields.
    # [{"kind": "send" | "poll" | "cancel", "exchanges": [Exchange fields, ...]}, ...]
    steps_json = models.TextField(default="[]")
    # Polls forgotten to keep the run within its cap (playground/runs.py).
    dropped = models.PositiveIntegerField(default=0)
    # The fields its Send had, for "Send again".
    fields_json = models.TextField(default="{}")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.public_id

    @property
    def steps(self) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = json.loads(self.steps_json)
        return steps

    @steps.setter
    def steps(self, steps: list[dict[str, Any]]) -> None:
        self.steps_json = json.dumps(steps)

    @property
    def fields(self) -> dict[str, str]:
        fields: dict[str, str] = json.loads(self.fields_json)
        return fields

    @fields.setter
    def fields(self, fields: dict[str, str]) -> None:
        self.fields_json = json.dumps(fields)

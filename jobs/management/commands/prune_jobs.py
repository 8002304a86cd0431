"""`manage.py prune_jobs`: drop expired jobs, their uploads, mail and task rows."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jobs.retention import prune_jobs


class Command(BaseCommand):
    help = "Prune expired demo jobs (they keep answering 410 Gone for one more retention period)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = prune_jobs()
        summary = ", ".join(f"{name}: {count}" for name, count in counts.items())
        self.stdout.write(f"Pruned. {summary}")

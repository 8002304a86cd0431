from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register


class CheckerConfig(AppConfig):
    name = "checker"
    verbose_name = "Check your own API"

    def ready(self) -> None:
        register(replay_clients_are_known)


def replay_clients_are_known(**kwargs: Any) -> list[CheckMessage]:
    """CHECKER_REPLAY_CLIENTS names only clients of the compatibility table."""
    # Imported when the check runs: the table's module reads models, not loaded yet here.
    from api.compatibility import CLIENTS_BY_ID

    unknown = [c for c in settings.CHECKER_REPLAY_CLIENTS if c not in CLIENTS_BY_ID]
    if not unknown:
        return []
    return [
        Error(
            f"CHECKER_REPLAY_CLIENTS names {', '.join(unknown)}, no client of the "
            f"compatibility table; accepted values: {', '.join(CLIENTS_BY_ID)} "
            "(comma-separated), or empty for all.",
            id="checker.E001",
        )
    ]

from __future__ import annotations

from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "reference"
    verbose_name = "Status code reference"

    def ready(self) -> None:
        from reference import checks  # noqa: F401  (registers the content check)

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks

from reference.catalog import get_catalog
from reference.schema import ContentError


@checks.register("content")
def check_content(
    *,
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """Validate every content file, so bad content stops the process, not a request."""
    get_catalog.cache_clear()
    try:
        get_catalog()
    except ContentError as error:
        return [
            checks.Error(
                str(error),
                hint=f"Fix {error.path}.",
                obj=str(error.path),
                id="reference.E001",
            )
        ]
    return []

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks

from reference.catalog import get_catalog
from reference.schema import ContentError
from reference.which_code import get_guide


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


@checks.register("content")
def check_which_code(
    *,
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """Validate the questions of /which-code/ against the pages their answers name."""
    try:
        get_catalog()
    except ContentError:
        return []  # check_content reports it; the guide cannot be judged without pages
    get_guide.cache_clear()
    try:
        get_guide()
    except ContentError as error:
        return [
            checks.Error(
                str(error),
                hint=f"Fix {error.path}.",
                obj=str(error.path),
                id="reference.E002",
            )
        ]
    return []

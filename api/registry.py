"""The registry GET /api/conventions serves: the conventions (each with what its
document says of each stage), the presets, and what real clients concluded under each
convention (measured by the client tests)."""

from __future__ import annotations

from typing import Any

from api.citations import CITATIONS
from api.compatibility_rows import ROWS
from api.conventions import CONVENTIONS
from api.presets import PRESETS


def registry_json() -> dict[str, Any]:
    """The whole registry as GET /api/conventions answers it (paths relative to the site)."""
    return {
        "conventions": [
            {
                **convention.to_json(),
                "stages": [stage.to_json() for stage in CITATIONS.get(convention.id, ())],
            }
            for convention in CONVENTIONS
        ],
        "presets": [preset.to_json() for preset in PRESETS],
        "compatibility": [row.to_json() for row in ROWS],
    }

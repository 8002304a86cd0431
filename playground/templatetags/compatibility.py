"""The client-compatibility table, for any page: {% compatibility_tables as compat %}."""

from __future__ import annotations

from typing import Any

from django import template

from api.compatibility import CLIENTS, SCENARIOS, VERDICTS
from api.compatibility_rows import rows_by_key
from api.conventions import CONVENTIONS

register = template.Library()


@register.simple_tag
def compatibility_tables(only: str | None = None) -> dict[str, Any]:
    """One table per convention (or only the one named): a row per client, a cell per scenario.

    Every cell is a measured row, never anything else.
    """
    table = rows_by_key()
    groups = []
    for convention in CONVENTIONS:
        if only and convention.id != only:
            continue
        rows = []
        for client in CLIENTS:
            cells = [table.get((client.id, convention.id, scenario.id)) for scenario in SCENARIOS]
            if any(cells):
                rows.append({"client": client, "cells": cells})
        groups.append({"convention": convention, "rows": rows})
    return {
        "conventions": groups,
        "scenarios": SCENARIOS,
        "verdicts": VERDICTS.values(),
        "clients": CLIENTS,
    }

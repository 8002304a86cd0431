"""The measured rows of the client-compatibility table (see playground/compatibility.py)."""

from __future__ import annotations

from playground.compatibility import Row

ROWS: tuple[Row, ...] = ()

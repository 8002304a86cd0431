"""Reading a page's ``constants:`` header against the schema.

Each language maps to one constant or a list of them; a constant is its name
(a string) or a mapping with the library versions it is tied to (keys in
``reference.schema.CONSTANT_KEYS``). The result is the page's constants grouped
by language in ``CONSTANT_LANGUAGES`` order, each group in the file's order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reference.schema import (
    CHECKED_RE,
    CONSTANT_KEYS,
    CONSTANT_LANGUAGES,
    CONSTANT_VERSION_KEYS,
    VERSION_RE,
    Constant,
    ConstantGroup,
    ContentError,
)


def _constant(*, path: Path, where: str, language: str, raw: Any) -> Constant:
    label = CONSTANT_LANGUAGES[language].label
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict):
        raise ContentError(path, where, "expected a constant name or a mapping with a name")
    unknown = sorted(set(raw) - set(CONSTANT_KEYS))
    if unknown:
        raise ContentError(
            path,
            f"{where}.{unknown[0]}",
            f"unknown key; expected one of {', '.join(CONSTANT_KEYS)}",
        )
    if "name" not in raw:
        raise ContentError(path, f"{where}.name", "missing required key")
    for key, value in raw.items():
        if key in CONSTANT_VERSION_KEYS:
            if not isinstance(value, str) or not VERSION_RE.match(value):
                raise ContentError(
                    path,
                    f"{where}.{key}",
                    "expected a version string such as '3.13' (quote it in YAML)",
                )
        elif not isinstance(value, str) or not value.strip():
            raise ContentError(path, f"{where}.{key}", "expected a string")
    if "checked" in raw and not CHECKED_RE.match(raw["checked"]):
        raise ContentError(
            path, f"{where}.checked", "expected what it was checked against, then ', YYYY-MM-DD'"
        )
    return Constant(
        language=language,
        label=label,
        value=raw["name"].strip(),
        since=raw.get("since", ""),
        deprecated=raw.get("deprecated", ""),
        removed=raw.get("removed", ""),
        checked=raw.get("checked", ""),
        note=raw.get("note", "").strip(),
    )


def parse_constants(*, path: Path, raw: dict[Any, Any]) -> tuple[ConstantGroup, ...]:
    """The header's ``constants`` mapping, validated, as one group per language."""
    for language in raw:
        if language not in CONSTANT_LANGUAGES:
            raise ContentError(
                path,
                f"constants.{language}",
                f"unknown language; expected one of {', '.join(CONSTANT_LANGUAGES)}",
            )
    groups = []
    for language, spec in CONSTANT_LANGUAGES.items():
        if language not in raw:
            continue
        where = f"constants.{language}"
        items = raw[language]
        if isinstance(items, list):
            if not items:
                raise ContentError(path, where, "expected at least one constant")
            constants = tuple(
                _constant(path=path, where=f"{where}[{index}]", language=language, raw=item)
                for index, item in enumerate(items)
            )
        else:
            constants = (_constant(path=path, where=where, language=language, raw=items),)
        names = [constant.value for constant in constants]
        if len(names) != len(set(names)):
            raise ContentError(path, where, "expected every constant to be listed once")
        groups.append(ConstantGroup(language=language, spec=spec, constants=constants))
    return tuple(groups)

"""The real libraries behind the pages' constants, and the check of one against the other.

Each probe asks a library itself which status-code constants it defines (a
``Snapshot``: constant as a page writes it -> code, for one library version).
``check_language`` compares the constants the pages list with every snapshot
of that library: a listed constant must exist where its versions say it does
(and not where they say it does not), a constant the library has for a code
with a page must be listed, and a version fact that no pair of snapshots
confirms from both sides comes back as unconfirmed, for the test to report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reference.schema import Constant

Version = tuple[int, ...]


def parse_version(text: str) -> Version:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def version_text(version: Version) -> str:
    return ".".join(str(part) for part in version)


@dataclass(frozen=True)
class Snapshot:
    """What one version of one library defines: constant as written on a page -> code."""

    library: str
    version: Version
    names: dict[str, int]
    deprecated: frozenset[str] = frozenset()
    # Whether ``deprecated`` is the library's own word on it (Starlette warns),
    # so that a page's ``deprecated:`` can be held to it.
    knows_deprecation: bool = False
    # Constants the library itself marks deprecated that a page may leave out.
    may_omit: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"{self.library} {version_text(self.version)}"


@dataclass(frozen=True)
class Listed:
    """One constant as one page lists it."""

    code: int
    constant: Constant
    key: str


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    # (listed constant, version fact) pairs no snapshot pair confirms.
    unconfirmed: list[tuple[Listed, str]] = field(default_factory=list)
    checked: int = 0


# -- Probes ------------------------------------------------------------------------

PYTHON_PROBE = (
    "import http, json, sys; print(json.dumps({'version': list(sys.version_info[:3]), "
    "'names': {'http.HTTPStatus.' + n: int(v) for n, v in http.HTTPStatus.__members__.items()}}))"
)


def _python_candidates(minor: str) -> Iterable[str]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    yield from sorted(
        (str(p) for p in root.glob(f"versions/{minor}.*/bin/python{minor}")), reverse=True
    )
    yield from (f"/usr/bin/python{minor}", f"/usr/local/bin/python{minor}")
    found = shutil.which(f"python{minor}")
    if found:
        yield found


def _python_snapshot(executable: str) -> Snapshot | None:
    try:
        ran = subprocess.run(
            [executable, "-I", "-c", PYTHON_PROBE], capture_output=True, text=True, timeout=60
        )
    except OSError:
        return None
    if ran.returncode != 0:
        return None
    data = json.loads(ran.stdout)
    return Snapshot("Python", tuple(data["version"]), data["names"])


def python_snapshots(*, versions: Iterable[str]) -> list[Snapshot]:
    """The running Python, and each other ``major.minor`` asked for that is installed."""
    running = _python_snapshot(sys.executable)
    assert running is not None, "the running Python's http module could not be read"
    snapshots = [running]
    for wanted in sorted({".".join(v.split(".")[:2]) for v in versions}):
        if parse_version(wanted) == running.version[:2]:
            continue
        for candidate in _python_candidates(wanted):
            snapshot = _python_snapshot(candidate)
            if snapshot and snapshot.version[:2] == parse_version(wanted):
                snapshots.append(snapshot)
                break
    return snapshots


def drf_snapshot() -> Snapshot:
    import rest_framework  # type: ignore[import-untyped]
    from rest_framework import status

    names = {f"status.{n}": getattr(status, n) for n in dir(status) if re.match(r"HTTP_\d{3}_", n)}
    return Snapshot("Django REST framework", parse_version(rest_framework.VERSION), names)


def starlette_snapshot() -> Snapshot:
    import starlette
    from starlette import status

    names: dict[str, int] = {}
    deprecated = set()
    listed = [n for n in status.__all__ if n.startswith("HTTP_")]
    for name in [*listed, *getattr(status, "__deprecated__", {})]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            names[f"status.{name}"] = getattr(status, name)
        if caught:
            deprecated.add(f"status.{name}")
    return Snapshot(
        "Starlette",
        parse_version(starlette.__version__),
        names,
        frozenset(deprecated),
        knows_deprecation=True,
    )


NODE_PROBE = (
    "console.log(JSON.stringify({version: process.versions.node, "
    "codes: require('http').STATUS_CODES}))"
)
NODE_VALUE_RE = re.compile(r"""^http\.STATUS_CODES\[(\d{3})\] // (?:'([^']*)'|"([^"]*)")$""")


def node_key(code: int | str, message: str) -> str:
    return f"STATUS_CODES[{code}] = {message}"


def node_snapshot() -> Snapshot | None:
    node = shutil.which("node")
    if node is None:
        return None
    ran = subprocess.run([node, "-e", NODE_PROBE], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    data = json.loads(ran.stdout)
    names = {node_key(code, message): int(code) for code, message in data["codes"].items()}
    return Snapshot("Node.js", parse_version(data["version"]), names)


JAVAP_FIELD_RE = re.compile(r"public static final int (HTTP_\w+) = (\d+);")


def java_snapshot() -> Snapshot | None:
    javap = shutil.which("javap")
    java = shutil.which("java")
    if javap is None or java is None:
        return None
    ran = subprocess.run(
        [javap, "-v", "-constants", "java.net.HttpURLConnection"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if ran.returncode != 0:
        return None
    names: dict[str, int] = {}
    deprecated = set()
    current = ""
    for line in ran.stdout.splitlines():
        found = JAVAP_FIELD_RE.search(line)
        if found:
            current = f"HttpURLConnection.{found.group(1)}"
            names[current] = int(found.group(2))
        elif line.strip().startswith("public ") or line.strip().startswith("private "):
            current = ""
        elif current and line.strip() == "Deprecated: true":
            deprecated.add(current)
    version = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    found_version = re.search(r'version "([\d.]+)', version.stderr)
    return Snapshot(
        "Java",
        parse_version(found_version.group(1) if found_version else "0"),
        names,
        frozenset(deprecated),
        may_omit=frozenset(deprecated),
    )


def key_for(language: str, value: str) -> str:
    """The constant as a snapshot names it (Node's are a number and a message)."""
    if language == "node":
        found = NODE_VALUE_RE.match(value)
        if found:
            return node_key(found.group(1), found.group(2) or found.group(3) or "")
    return value


# -- The check -----------------------------------------------------------------------


def _present_in(constant: Constant, version: Version) -> bool:
    if constant.since and version < parse_version(constant.since):
        return False
    return not (constant.removed and version >= parse_version(constant.removed))


def _confirmed(listed: Listed, fact: str, snapshots: list[Snapshot]) -> bool:
    boundary = parse_version(getattr(listed.constant, fact))
    pool = snapshots
    if fact == "deprecated":
        pool = [s for s in snapshots if s.knows_deprecation and listed.key in s.names]
    before = any(s.version < boundary for s in pool)
    after = any(s.version >= boundary for s in pool)
    return before and after


def check_language(
    *, listed: list[Listed], snapshots: list[Snapshot], page_codes: set[int]
) -> Report:
    report = Report()
    for item in listed:
        constant = item.constant
        for snapshot in snapshots:
            report.checked += 1
            where = f"{item.code}: {constant.value}"
            present = item.key in snapshot.names
            wanted = _present_in(constant, snapshot.version)
            if wanted and not present:
                report.problems.append(f"{where} does not exist in {snapshot.label}")
            elif wanted and snapshot.names[item.key] != item.code:
                report.problems.append(
                    f"{where} is {snapshot.names[item.key]} in {snapshot.label}, not {item.code}"
                )
            elif present and not wanted:
                report.problems.append(
                    f"{where} exists in {snapshot.label}, which its versions "
                    f"({', '.join(constant.versions)}) say it does not"
                )
            if present and snapshot.knows_deprecation:
                says = bool(constant.deprecated) and snapshot.version >= parse_version(
                    constant.deprecated
                )
                if says != (item.key in snapshot.deprecated):
                    state = "deprecated" if item.key in snapshot.deprecated else "not deprecated"
                    report.problems.append(
                        f"{where} is {state} in {snapshot.label}; the page says otherwise"
                    )
        for fact in ("since", "deprecated", "removed"):
            if getattr(constant, fact) and not _confirmed(item, fact, snapshots):
                report.unconfirmed.append((item, fact))
    listed_keys = {(item.code, item.key) for item in listed}
    for snapshot in snapshots:
        for key, code in sorted(snapshot.names.items()):
            if (
                code in page_codes
                and (code, key) not in listed_keys
                and key not in snapshot.may_omit
            ):
                report.problems.append(
                    f"{code}: {snapshot.label} defines {key}, which the page does not list"
                )
    return report

"""Example client files a page shows in its client perspective: the very files the tests run.

A full page's header may name them (``clients:``, a list of ``{label, file}``);
each file is read once, with the catalog, so the page shows the same text that
tests/clients/ runs against the live API. A file that is missing, outside the
``clients/`` folder or not UTF-8 text stops the catalog like any content error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from reference.schema import SLUG_RE, ClientFile, ContentError

CLIENT_KEYS = {"label": str, "file": str}
# Where example clients live, relative to the project root.
CLIENTS_FOLDER = "clients"
LANGUAGES = {".py": "python", ".mjs": "javascript", ".js": "javascript", ".sh": "shell"}


def parse_client_files(*, path: Path, raw: Any, kind: str) -> tuple[ClientFile, ...]:
    """The ``clients`` key of a content file's header, checked and read."""
    if raw is None:
        return ()
    if kind != "full":
        raise ContentError(path, "clients", "only full pages show example clients")
    if not isinstance(raw, list) or not raw:
        raise ContentError(path, "clients", "expected a non-empty list of {label, file}")
    root = Path(settings.BASE_DIR).resolve()
    folder = root / CLIENTS_FOLDER
    files = []
    for index, item in enumerate(raw):
        where = f"clients[{index}]"
        if not isinstance(item, dict) or set(item) != set(CLIENT_KEYS):
            raise ContentError(path, where, "expected exactly the keys label and file")
        if not all(isinstance(item[key], str) and item[key].strip() for key in CLIENT_KEYS):
            raise ContentError(path, where, "expected label and file to be non-empty strings")
        source = (root / item["file"]).resolve()
        if not source.is_relative_to(folder) or not source.is_file():
            raise ContentError(
                path, f"{where}.file", f"expected a file in {CLIENTS_FOLDER}/: {item['file']}"
            )
        language = LANGUAGES.get(source.suffix)
        if language is None:
            raise ContentError(
                path, f"{where}.file", f"expected one of {', '.join(LANGUAGES)} files"
            )
        try:
            text = source.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise ContentError(path, f"{where}.file", "expected UTF-8 text") from error
        slug = item["label"].strip().lower().replace(" ", "-")
        if not SLUG_RE.match(slug):
            raise ContentError(path, f"{where}.label", "expected letters, digits and spaces")
        files.append(ClientFile(slug, item["label"].strip(), item["file"], language, text))
    if len({client.id for client in files}) != len(files):
        raise ContentError(path, "clients", "expected every label to be unique")
    return tuple(files)

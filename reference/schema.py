"""The schema of status-code content: one Markdown file with a YAML header per code.

The schema lives here and nowhere else: which keys a header may carry and of
what type, which ``##`` headings a body holds and in what order, the public
``id`` of every section (people link to those from their docs, so they never
change silently), and what a parsed page is. The files are in
``reference/content/`` (how to write one: ``reference/CONTENT.md``);
``reference.catalog`` reads them against this schema and raises
:class:`ContentError` on the first one that does not follow it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# -- The schema ---------------------------------------------------------------

STATUS_CLASSES: dict[str, str] = {
    "1xx": "Informational",
    "2xx": "Success",
    "3xx": "Redirection",
    "4xx": "Client Error",
    "5xx": "Server Error",
}

# Language and framework constants a page may list, in display order.
CONSTANT_LANGUAGES: dict[str, str] = {
    "python": "Python",
    "drf": "Django REST framework",
    "go": "Go",
    "rust": "Rust (http crate)",
    "rails": "Ruby on Rails",
    "dotnet": ".NET",
    "spring": "Spring",
    "java": "Java",
    "symfony": "PHP (Symfony)",
    "node": "Node.js",
}


@dataclass(frozen=True)
class SectionSpec:
    id: str
    heading: str
    # "prose" sections come from the Markdown body; the others are rendered
    # from the structured header.
    source: str = "prose"


# The sections of a full page, in order. Their ids are public URLs.
FULL_SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("eli5", "ELI5"),
    SectionSpec("spec", "What the specification says"),
    SectionSpec("server-perspective", "Server perspective"),
    SectionSpec("client-perspective", "Client perspective"),
    SectionSpec("when-to-use", "When to use"),
    SectionSpec("how-to-respond", "How to respond"),
    SectionSpec("headers", "Headers to consider"),
    SectionSpec("response-body", "Response body"),
    SectionSpec("pitfalls", "Server-side pitfalls"),
    SectionSpec("examples", "Examples", source="examples"),
    SectionSpec("playground", "Playground", source="playground"),
    SectionSpec("references", "References", source="references"),
    SectionSpec("related", "Related status codes", source="related"),
)

# The sections of a summary page, in order.
SUMMARY_SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("explanation", "Explanation"),
    SectionSpec("references", "References", source="references"),
    SectionSpec("related", "Related status codes", source="related"),
)

PAGE_KINDS = {"full": FULL_SECTIONS, "summary": SUMMARY_SECTIONS}

HEADER_KEYS: dict[str, tuple[type, ...]] = {
    "code": (int,),
    "title": (str,),
    "class": (str,),
    "kind": (str,),
    "summary": (str,),
    "spec": (list,),
    "related": (list,),
    "constants": (dict,),
    "examples": (list,),
    "references": (list,),
    "playground": (bool,),
}
REQUIRED_KEYS = ("code", "title", "class", "kind", "summary", "spec", "related", "constants")

SPEC_KEYS = {"document": str, "section": str, "title": str, "url": str}
REFERENCE_KEYS = {"title": str, "url": str}
EXAMPLE_KEYS = {"id": str, "title": str, "description": str, "request": dict, "response": dict}
REQUEST_KEYS = {"method": str, "target": str, "host": str, "headers": dict, "body": str}
RESPONSE_KEYS = {"status": int, "reason": str, "headers": dict, "body": str}

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SPEC_URL_RE = re.compile(r"^https://[^\s#]+#[A-Za-z0-9._-]+$")
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class ContentError(Exception):
    """A content file does not follow the schema."""

    def __init__(self, path: Path | str, where: str, expected: str) -> None:
        self.path = Path(path)
        self.where = where
        self.expected = expected
        super().__init__(f"{self.path.name}: {where}: {expected}")


# -- What a page is ------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    source: str
    markdown: str = ""
    html: str = ""


@dataclass(frozen=True)
class SpecReference:
    document: str
    section: str
    title: str
    url: str

    @property
    def label(self) -> str:
        return f"{self.document}, section {self.section}: {self.title}"


@dataclass(frozen=True)
class Reference:
    title: str
    url: str


@dataclass(frozen=True)
class Message:
    """One side of an HTTP exchange, as shown in an example."""

    start_line: str
    headers: tuple[tuple[str, str], ...]
    body: str

    @property
    def text(self) -> str:
        lines = [self.start_line, *(f"{name}: {value}" for name, value in self.headers)]
        raw = "\n".join(lines)
        return f"{raw}\n\n{self.body.rstrip()}" if self.body.strip() else raw


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    description: str
    method: str
    target: str
    request: Message
    response: Message
    request_headers: dict[str, str]
    request_body: str


@dataclass(frozen=True)
class Constant:
    language: str
    label: str
    value: str


@dataclass(frozen=True)
class StatusPage:
    """One content file, parsed and validated by ``reference.catalog.parse_file``."""

    code: int
    title: str
    status_class: str
    kind: str
    summary: str
    spec: tuple[SpecReference, ...]
    related: tuple[int, ...]
    constants: tuple[Constant, ...]
    examples: tuple[Example, ...]
    references: tuple[Reference, ...]
    sections: tuple[Section, ...]
    playground: bool
    path: Path = field(compare=False)

    @property
    def class_name(self) -> str:
        return STATUS_CLASSES[self.status_class]

    @property
    def is_full(self) -> bool:
        return self.kind == "full"

    @property
    def section_ids(self) -> tuple[str, ...]:
        return tuple(section.id for section in self.sections)

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)


@dataclass(frozen=True)
class Catalog:
    """Every page by code, as ``reference.catalog.load_catalog`` builds it."""

    pages: Mapping[int, StatusPage]

    def get(self, code: int) -> StatusPage | None:
        return self.pages.get(code)

    def __iter__(self) -> Any:
        return iter(sorted(self.pages.values(), key=lambda page: page.code))

    def by_class(self) -> list[tuple[str, str, list[StatusPage]]]:
        groups: list[tuple[str, str, list[StatusPage]]] = []
        for status_class, name in STATUS_CLASSES.items():
            members = [page for page in self if page.status_class == status_class]
            groups.append((status_class, name, members))
        return groups

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

# An example client says what conventions it supports on a line of its own.
CONVENTIONS_PREFIX = "Conventions:"


@dataclass(frozen=True)
class ClientFile:
    id: str
    label: str
    file: str
    language: str
    text: str

    @property
    def conventions(self) -> tuple[str, ...]:
        """What the file's own "Conventions:" line says it supports."""
        for line in self.text.splitlines():
            _, found, rest = line.partition(CONVENTIONS_PREFIX)
            if found:
                return tuple(rest.split())
        return ()


# -- The schema ---------------------------------------------------------------

STATUS_CLASSES: dict[str, str] = {
    "1xx": "Informational",
    "2xx": "Success",
    "3xx": "Redirection",
    "4xx": "Client Error",
    "5xx": "Server Error",
}

# How the constants of a language are checked. "test": tests/reference/
# test_constants.py imports the library itself (every version it can find) and
# fails on a listed constant it lacks or on one it has that a page omits.
# "hand": nothing here can run the library, so a person compared the listed
# constants with ``source`` on ``checked_on``; the page says so.
CHECKED_BY_TEST = "test"
CHECKED_BY_HAND = "hand"


@dataclass(frozen=True)
class ConstantLanguage:
    """A language or framework whose status-code constants a page may list."""

    label: str
    # The name a version belongs to, as the page shows it: "since Python 3.13",
    # "deprecated in Spring 7.0", "removed in Rack 3.1".
    library: str
    checked_by: str
    # What the constants were compared with (the library, its source or docs).
    source: str
    # The day a person last compared them (hand-checked languages only), ISO 8601.
    checked_on: str = ""

    @property
    def check_text(self) -> str:
        if self.checked_by == CHECKED_BY_TEST:
            return f"{self.label}: checked by this site's test suite against {self.source}."
        return f"{self.label}: checked by hand against {self.source}, {self.checked_on}."


# Language and framework constants a page may list, in display order. This
# table is the one place that says how each language's constants are checked.
CONSTANT_LANGUAGES: dict[str, ConstantLanguage] = {
    "python": ConstantLanguage(
        "Python", "Python", CHECKED_BY_TEST, "the standard library's http.HTTPStatus"
    ),
    "drf": ConstantLanguage(
        "Django REST framework",
        "Django REST framework",
        CHECKED_BY_TEST,
        "rest_framework.status, imported",
    ),
    "starlette": ConstantLanguage(
        "FastAPI / Starlette",
        "Starlette",
        CHECKED_BY_TEST,
        "starlette.status (which fastapi.status is), imported",
    ),
    "go": ConstantLanguage(
        "Go", "Go", CHECKED_BY_HAND, "the net/http source (status.go)", "2026-12-01"
    ),
    "rust": ConstantLanguage(
        "Rust (http crate)",
        "http",
        CHECKED_BY_HAND,
        "the http crate's StatusCode source and changelog",
        "2026-12-01",
    ),
    "rails": ConstantLanguage(
        "Ruby on Rails",
        "Rack",
        CHECKED_BY_HAND,
        "Rack's Rack::Utils status tables (lib/rack/utils.rb), which Rails uses",
        "2026-12-01",
    ),
    "dotnet": ConstantLanguage(
        ".NET",
        ".NET",
        CHECKED_BY_HAND,
        "the System.Net.HttpStatusCode reference",
        "2026-12-01",
    ),
    "spring": ConstantLanguage(
        "Spring",
        "Spring",
        CHECKED_BY_HAND,
        "Spring Framework's HttpStatus source and its 7.0 changes",
        "2026-12-01",
    ),
    "java": ConstantLanguage(
        "Java",
        "Java",
        CHECKED_BY_HAND,
        "the java.net.HttpURLConnection javadoc (and, where a JDK is installed, "
        "by the test suite with javap)",
        "2026-12-01",
    ),
    "symfony": ConstantLanguage(
        "PHP (Symfony)",
        "Symfony",
        CHECKED_BY_HAND,
        "Symfony's HttpFoundation Response class",
        "2026-12-01",
    ),
    "node": ConstantLanguage(
        "Node.js", "Node.js", CHECKED_BY_TEST, "http.STATUS_CODES, read with node"
    ),
    "ktor": ConstantLanguage(
        "Kotlin (Ktor)",
        "Ktor",
        CHECKED_BY_HAND,
        "ktor-http's HttpStatusCode source",
        "2026-12-01",
    ),
    "plug": ConstantLanguage(
        "Elixir (Plug)",
        "Plug",
        CHECKED_BY_HAND,
        "Plug.Conn.Status's status table",
        "2026-12-01",
    ),
}

# A constant is a string (its name) or a mapping with these keys. Versions are
# strings ("3.13", quoted in YAML so 3.10 stays 3.10); ``checked`` records a
# hand check of this one constant, as "what it was checked against, YYYY-MM-DD",
# for facts the test suite cannot confirm on this machine.
CONSTANT_KEYS = {
    "name": str,
    "since": str,
    "deprecated": str,
    "removed": str,
    "checked": str,
    "note": str,
}
CONSTANT_VERSION_KEYS = ("since", "deprecated", "removed")
VERSION_RE = re.compile(r"^\d+(?:\.\d+)*$")
CHECKED_RE = re.compile(r"^(?P<source>\S.*), (?P<date>\d{4}-\d{2}-\d{2})$")


# An element of a section's prose that links may name: <div markdown="1" id="...">.
PROSE_ID_RE = re.compile(r'<[a-z]+\b[^>]*\bid="([a-z0-9-]+)"')


@dataclass(frozen=True)
class SectionSpec:
    id: str
    heading: str
    # "prose" sections come from the Markdown body; the others are rendered
    # from the structured header.
    source: str = "prose"


# The sections of a full page, in order. Their ids are public URLs. The answer
# comes first (what it is, when to use it, how to respond); the depth (the
# specification, each side's view, the live console) follows, and the
# constants come last, as a reference does.
FULL_SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("eli5", "ELI5"),
    SectionSpec("when-to-use", "When to use"),
    SectionSpec("how-to-respond", "How to respond"),
    SectionSpec("headers", "Headers to consider"),
    SectionSpec("response-body", "Response body"),
    SectionSpec("pitfalls", "Server-side pitfalls"),
    SectionSpec("examples", "Examples", source="examples"),
    SectionSpec("spec", "What the specification says"),
    SectionSpec("server-perspective", "Server perspective"),
    SectionSpec("client-perspective", "Client perspective"),
    SectionSpec("playground", "Playground", source="playground"),
    SectionSpec("references", "References", source="references"),
    SectionSpec("related", "Related status codes", source="related"),
    SectionSpec("constants", "Constants", source="constants"),
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
    "clients": (list,),  # example client files (reference.client_files)
    "keywords": (list,),  # what the page is about, for the index's filter
}
REQUIRED_KEYS = ("code", "title", "class", "kind", "summary", "spec", "related", "constants")

SPEC_KEYS = {"document": str, "section": str, "title": str, "url": str}
REFERENCE_KEYS = {"title": str, "url": str}
EXAMPLE_KEYS = {"id": str, "title": str, "description": str, "request": dict, "response": dict}
REQUEST_KEYS = {"method": str, "target": str, "host": str, "headers": dict, "body": str}
RESPONSE_KEYS = {"status": int, "reason": str, "headers": dict, "body": str}

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A keyword is a word or a short phrase a reader might type, in lowercase.
KEYWORD_RE = re.compile(r"^[a-z0-9][a-z0-9 /.-]*[a-z0-9]$")
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
    """One constant of one language, with the library versions it is tied to."""

    language: str
    label: str
    value: str
    since: str = ""
    deprecated: str = ""
    removed: str = ""
    checked: str = ""
    note: str = ""

    @property
    def library(self) -> str:
        return CONSTANT_LANGUAGES[self.language].library

    @property
    def versions(self) -> tuple[str, ...]:
        """What the page says about versions: "since Python 3.13", "deprecated in ..."."""
        parts = []
        if self.since:
            parts.append(f"since {self.library} {self.since}")
        if self.deprecated:
            parts.append(f"deprecated in {self.library} {self.deprecated}")
        if self.removed:
            parts.append(f"removed in {self.library} {self.removed}")
        return tuple(parts)

    @property
    def is_current(self) -> bool:
        return not (self.deprecated or self.removed)


@dataclass(frozen=True)
class ConstantGroup:
    """The constants one page lists for one language, in the file's order."""

    language: str
    spec: ConstantLanguage
    constants: tuple[Constant, ...]


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
    # The first constant listed for each language: the one to use.
    constants: tuple[Constant, ...]
    examples: tuple[Example, ...]
    references: tuple[Reference, ...]
    sections: tuple[Section, ...]
    playground: bool
    path: Path = field(compare=False)
    # Every constant listed, by language (``constants`` holds the first of each).
    constant_groups: tuple[ConstantGroup, ...] = ()
    # Example clients shown in the client perspective (reference.client_files).
    clients: tuple[ClientFile, ...] = ()
    # What the page is about beyond its title and summary ("retry", "redirect").
    keywords: tuple[str, ...] = ()

    @property
    def class_name(self) -> str:
        return STATUS_CLASSES[self.status_class]

    @property
    def is_full(self) -> bool:
        return self.kind == "full"

    @property
    def section_ids(self) -> tuple[str, ...]:
        """The anchors a link may name: each section's, and each id its prose gives an
        element of its own (the body of a fold: a link to it opens the fold)."""
        ids = (PROSE_ID_RE.findall(section.markdown) for section in self.sections)
        return (*(section.id for section in self.sections), *(i for found in ids for i in found))

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

"""Reading status-code content: parsing the files in ``reference/content/``,
checking the links between them, and the site's catalog of pages.

What a file may hold is declared in ``reference.schema`` (keys and their
types, headings and their public ids, the page dataclasses); this module
applies it, plus the rules that span keys (a code matching its file name,
examples only on full pages, links that lead somewhere). The system check in
``reference.checks`` runs the same validation through :func:`get_catalog`, so
a broken file stops ``manage.py check``, ``runserver`` and the tests, never a
request.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import markdown
import yaml
from django.conf import settings

from reference.client_files import parse_client_files
from reference.figures import render_prose
from reference.language_constants import parse_constants
from reference.schema import (
    EXAMPLE_KEYS,
    HEADER_KEYS,
    KEYWORD_RE,
    METHODS,
    PAGE_KINDS,
    REFERENCE_KEYS,
    REQUEST_KEYS,
    REQUIRED_KEYS,
    RESPONSE_KEYS,
    SLUG_RE,
    SPEC_KEYS,
    SPEC_URL_RE,
    Catalog,
    ContentError,
    Example,
    Message,
    Reference,
    Section,
    SectionSpec,
    SpecReference,
    StatusPage,
)

# -- Parsing and validation ------------------------------------------------------

# Internal links in prose: /202/ or /202/#pitfalls (or any other site path).
INTERNAL_LINK_RE = re.compile(r"\]\((/[^)\s]*)\)")
CODE_LINK_RE = re.compile(r"^/(\d{3})/(?:#([a-z0-9-]+))?$")
FRONT_MATTER_RE = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)


def render_markdown(text: str) -> str:
    html = markdown.markdown(
        text, extensions=["tables", "fenced_code", "sane_lists", "md_in_html"], output_format="html"
    )
    # Code blocks scroll sideways on small screens; keyboard users must reach them too.
    return html.replace("<pre>", '<pre tabindex="0">')


def _type_name(types: tuple[type, ...] | type) -> str:
    names = {
        int: "an integer",
        str: "a string",
        list: "a list",
        dict: "a mapping",
        bool: "a boolean",
    }
    if isinstance(types, type):
        types = (types,)
    return " or ".join(names.get(t, t.__name__) for t in types)


def _check_mapping(
    path: Path,
    where: str,
    value: Any,
    schema: Mapping[str, type | tuple[type, ...]],
    required: Iterable[str],
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ContentError(path, where, "expected a mapping")
    unknown = sorted(set(value) - set(schema))
    if unknown:
        raise ContentError(
            path, f"{where}.{unknown[0]}", f"unknown key; expected one of {', '.join(schema)}"
        )
    for key in required:
        if key not in value:
            raise ContentError(path, f"{where}.{key}", "missing required key")
    for key, item in value.items():
        expected = schema[key]
        allowed = expected if isinstance(expected, tuple) else (expected,)
        # YAML booleans are ints to Python: accept one only where a boolean is expected.
        if (isinstance(item, bool) and bool not in allowed) or not isinstance(item, allowed):
            raise ContentError(path, f"{where}.{key}", f"expected {_type_name(expected)}")
    return value


def _headers(path: Path, where: str, value: Mapping[Any, Any]) -> tuple[tuple[str, str], ...]:
    headers = []
    for name, header_value in value.items():
        if not isinstance(name, str) or not isinstance(header_value, str | int):
            raise ContentError(path, where, "expected header names mapped to string values")
        headers.append((name, str(header_value)))
    return tuple(headers)


def _parse_example(path: Path, index: int, raw: Any) -> Example:
    where = f"examples[{index}]"
    data = _check_mapping(path, where, raw, EXAMPLE_KEYS, EXAMPLE_KEYS)
    if not SLUG_RE.match(data["id"]):
        raise ContentError(path, f"{where}.id", "expected a lowercase slug like bulk-email")
    request = _check_mapping(
        path, f"{where}.request", data["request"], REQUEST_KEYS, ["method", "target"]
    )
    response = _check_mapping(
        path, f"{where}.response", data["response"], RESPONSE_KEYS, ["status", "reason"]
    )
    method = request["method"]
    if method not in METHODS:
        raise ContentError(
            path, f"{where}.request.method", f"expected one of {', '.join(sorted(METHODS))}"
        )
    if not request["target"].startswith("/"):
        raise ContentError(path, f"{where}.request.target", "expected a path starting with /")
    host = request.get("host", "api.example.test")
    request_headers = _headers(path, f"{where}.request.headers", request.get("headers", {}))
    response_headers = _headers(path, f"{where}.response.headers", response.get("headers", {}))
    status = response["status"]
    if not 100 <= status <= 599:
        raise ContentError(
            path, f"{where}.response.status", "expected a status code from 100 to 599"
        )
    return Example(
        id=data["id"],
        title=data["title"],
        description=data["description"],
        method=method,
        target=request["target"],
        request=Message(
            start_line=f"{method} {request['target']} HTTP/1.1",
            headers=(("Host", host), *request_headers),
            body=request.get("body", ""),
        ),
        response=Message(
            start_line=f"HTTP/1.1 {status} {response['reason']}",
            headers=response_headers,
            body=response.get("body", ""),
        ),
        request_headers=dict(request_headers),
        request_body=request.get("body", ""),
    )


def _parse_keywords(path: Path, raw: list[Any]) -> tuple[str, ...]:
    keywords: list[str] = []
    for index, item in enumerate(raw):
        where = f"keywords[{index}]"
        if not isinstance(item, str) or not KEYWORD_RE.match(item):
            raise ContentError(
                path, where, "expected a word or short phrase in lowercase, like retry-after"
            )
        if item in keywords:
            raise ContentError(path, where, f"'{item}' is listed twice")
        keywords.append(item)
    return tuple(keywords)


def _split_body(path: Path, body: str, specs: tuple[SectionSpec, ...]) -> dict[str, str]:
    """Split the Markdown body on ``##`` headings and check them against the schema."""
    expected = [spec.heading for spec in specs if spec.source == "prose"]
    chunks: list[tuple[str, list[str]]] = []
    preamble: list[str] = []
    in_fence = False
    for line in body.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            chunks.append((line[3:].strip(), []))
        elif not in_fence and line.startswith("# "):
            raise ContentError(
                path,
                f"heading '{line.strip()}'",
                "the title comes from the header; use ## headings",
            )
        elif chunks:
            chunks[-1][1].append(line)
        else:
            preamble.append(line)
    if "".join(preamble).strip():
        raise ContentError(path, "body", f"expected the body to start with '## {expected[0]}'")
    found = [heading for heading, _ in chunks]
    for position, heading in enumerate(found):
        if heading not in expected:
            raise ContentError(
                path,
                f"heading '## {heading}'",
                f"unknown heading; expected one of: {', '.join(expected)}",
            )
        if position >= len(expected) or heading != expected[position]:
            wanted = expected[position] if position < len(expected) else "no more headings"
            raise ContentError(
                path, f"heading '## {heading}'", f"out of order; expected '## {wanted}' here"
            )
    if len(found) < len(expected):
        raise ContentError(path, f"heading '## {expected[len(found)]}'", "missing heading")
    sections = {}
    for heading, lines in chunks:
        text = "\n".join(lines).strip()
        if not text:
            raise ContentError(path, f"heading '## {heading}'", "expected text under the heading")
        sections[heading] = text
    return sections


def parse_file(path: Path) -> StatusPage:
    """Parse and validate one content file on its own (links are checked by the catalog)."""
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER_RE.match(text)
    if not match:
        raise ContentError(path, "header", "expected a YAML header between '---' lines at the top")
    try:
        header = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        raise ContentError(path, "header", f"expected valid YAML ({error})") from error
    data = _check_mapping(path, "header", header, HEADER_KEYS, REQUIRED_KEYS)

    code = data["code"]
    if path.stem != str(code):
        raise ContentError(path, "code", f"expected {path.stem} to match the file name")
    if not 100 <= code <= 599:
        raise ContentError(path, "code", "expected a status code from 100 to 599")
    status_class = f"{code // 100}xx"
    if data["class"] != status_class:
        raise ContentError(path, "class", f"expected '{status_class}' for code {code}")
    kind = data["kind"]
    if kind not in PAGE_KINDS:
        raise ContentError(path, "kind", f"expected one of {', '.join(PAGE_KINDS)}")
    if kind == "full" and "examples" not in data:
        raise ContentError(path, "examples", "missing required key (full pages show examples)")
    if kind == "summary" and "examples" in data:
        raise ContentError(path, "examples", "only full pages carry examples")
    if data.get("playground") and kind != "full":
        raise ContentError(path, "playground", "only full pages can embed the playground")
    for key in ("title", "summary"):
        if not data[key].strip():
            raise ContentError(path, key, "expected a non-empty string")

    if not data["spec"]:
        raise ContentError(path, "spec", "expected at least one specification reference")
    spec = []
    for index, raw in enumerate(data["spec"]):
        item = _check_mapping(path, f"spec[{index}]", raw, SPEC_KEYS, SPEC_KEYS)
        if not SPEC_URL_RE.match(item["url"]):
            raise ContentError(
                path, f"spec[{index}].url", "expected an https URL with a #section anchor"
            )
        spec.append(SpecReference(**item))

    related = []
    for index, item in enumerate(data["related"]):
        if isinstance(item, bool) or not isinstance(item, int):
            raise ContentError(path, f"related[{index}]", "expected a status code (integer)")
        if item == code:
            raise ContentError(path, f"related[{index}]", "a page cannot be related to itself")
        related.append(item)

    constant_groups = parse_constants(path=path, raw=data["constants"])

    references = []
    for index, raw in enumerate(data.get("references", [])):
        item = _check_mapping(path, f"references[{index}]", raw, REFERENCE_KEYS, REFERENCE_KEYS)
        if not item["url"].startswith(("https://", "/")):
            raise ContentError(
                path, f"references[{index}].url", "expected an https URL or a site path"
            )
        references.append(Reference(**item))

    keywords = _parse_keywords(path, data.get("keywords", []))

    examples = tuple(_parse_example(path, i, raw) for i, raw in enumerate(data.get("examples", [])))
    ids = [example.id for example in examples]
    if len(ids) != len(set(ids)):
        raise ContentError(path, "examples", "expected every example id to be unique")

    specs = PAGE_KINDS[kind]
    prose = _split_body(path, match.group(2), specs)
    playground = bool(data.get("playground", False))
    sections = tuple(
        Section(
            id=spec.id,
            heading=spec.heading,
            source=spec.source,
            markdown=prose.get(spec.heading, ""),
            html=render_prose(
                path=path, heading=spec.heading, text=prose[spec.heading], to_html=render_markdown
            )
            if spec.heading in prose
            else "",
        )
        for spec in specs
        if spec.source != "playground" or playground
    )
    return StatusPage(
        code=code,
        title=data["title"].strip(),
        status_class=status_class,
        kind=kind,
        summary=data["summary"].strip(),
        spec=tuple(spec),
        related=tuple(related),
        constants=tuple(group.constants[0] for group in constant_groups),
        constant_groups=constant_groups,
        examples=examples,
        references=tuple(references),
        sections=sections,
        playground=playground,
        path=path,
        clients=parse_client_files(path=path, raw=data.get("clients"), kind=kind),
        keywords=keywords,
    )


def _check_links(pages: Mapping[int, StatusPage], known_paths: Iterable[str]) -> None:
    """Every related code and every internal link must lead to a page and anchor that exist."""
    known = set(known_paths)
    for page in pages.values():
        for index, code in enumerate(page.related):
            if code not in pages:
                raise ContentError(
                    page.path, f"related[{index}]", f"no content file for code {code}"
                )
        for section in page.sections:
            for link in INTERNAL_LINK_RE.findall(section.markdown):
                target = CODE_LINK_RE.match(link)
                where = f"heading '## {section.heading}'"
                if target:
                    linked = pages.get(int(target.group(1)))
                    if linked is None:
                        raise ContentError(
                            page.path, where, f"link {link} leads to no content file"
                        )
                    anchor = target.group(2)
                    if anchor and anchor not in linked.section_ids:
                        raise ContentError(
                            page.path, where, f"link {link} names no section of that page"
                        )
                elif link.split("#")[0] not in known:
                    raise ContentError(
                        page.path, where, f"link {link} leads to no page of this site"
                    )


def load_catalog(directory: Path, known_paths: Iterable[str] = ()) -> Catalog:
    """Parse every ``*.md`` file in ``directory``; raise on the first bad one."""
    pages: dict[int, StatusPage] = {}
    files = sorted(directory.glob("*.md"))
    if not files:
        raise ContentError(directory, "directory", "expected at least one content file")
    for path in files:
        page = parse_file(path)
        pages[page.code] = page
    _check_links(pages, known_paths)
    return Catalog(pages=pages)


# Site paths prose may link to besides status pages.
SITE_PATHS = (
    "/",
    "/which-code/",
    "/playground/",
    "/playground/limits/",
    "/playground/clients/",
    "/api/",
    "/api/openapi.json",
    "/healthz",
)


@functools.cache
def get_catalog() -> Catalog:
    """The site's catalog, parsed once per process."""
    return load_catalog(Path(settings.REFERENCE_CONTENT_DIR), SITE_PATHS)

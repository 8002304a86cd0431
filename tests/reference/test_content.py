from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.checks import run_checks
from django.test import override_settings

from reference.catalog import SITE_PATHS, get_catalog, load_catalog, parse_file
from reference.schema import FULL_SECTIONS, ContentError
from tests.reference.helpers import PUBLIC_SECTION_IDS

SUMMARY_BODY = "## Explanation\n\nA short, accurate explanation.\n"
FULL_BODY = "".join(
    f"## {spec.heading}\n\nText for {spec.id}.\n\n"
    for spec in FULL_SECTIONS
    if spec.source == "prose"
)


def make_header(code: int = 299, **overrides: object) -> dict[str, object]:
    header: dict[str, object] = {
        "code": code,
        "title": "Example",
        "class": f"{code // 100}xx",
        "kind": "summary",
        "summary": "An example status code.",
        "spec": [
            {
                "document": "RFC 9110",
                "section": "15.3.3",
                "title": "202 Accepted",
                "url": "https://www.rfc-editor.org/rfc/rfc9110#section-15.3.3",
            }
        ],
        "related": [],
        "constants": {"python": "http.HTTPStatus.EXAMPLE"},
    }
    header.update(overrides)
    return {key: value for key, value in header.items() if value is not None}


def make_example(
    method: str = "POST", response: dict[str, object] | None = None
) -> dict[str, object]:
    return {
        "id": "create",
        "title": "Create",
        "description": "Creates it.",
        "request": {"method": method, "target": "/things"},
        "response": response or {"status": 299, "reason": "Example"},
    }


def make_content_file(
    folder: Path,
    code: int = 299,
    body: str = SUMMARY_BODY,
    header_text: str | None = None,
    **overrides: object,
) -> Path:
    header = (
        header_text
        if header_text is not None
        else yaml.safe_dump(make_header(code, **overrides), sort_keys=False)
    )
    path = folder / f"{code}.md"
    path.write_text(f"---\n{header}---\n{body}", encoding="utf-8")
    return path


def error_of(path_or_folder: Path) -> str:
    with pytest.raises(ContentError) as raised:
        if path_or_folder.is_dir():
            load_catalog(path_or_folder, SITE_PATHS)
        else:
            parse_file(path_or_folder)
    return str(raised.value)


def test_every_shipped_content_file_validates() -> None:
    catalog = get_catalog()
    assert len(catalog.pages) >= 60
    for page in catalog:
        assert page.title and page.summary and page.spec


def test_a_valid_summary_file_parses(tmp_path: Path) -> None:
    page = parse_file(make_content_file(tmp_path))
    assert page.code == 299
    assert page.section_ids == ("explanation", "references", "related")
    assert page.section("explanation").html == "<p>A short, accurate explanation.</p>"


def test_a_valid_full_file_parses(tmp_path: Path) -> None:
    example = make_example(
        response={"status": 299, "reason": "Example", "headers": {"Retry-After": "2"}}
    )
    page = parse_file(make_content_file(tmp_path, kind="full", body=FULL_BODY, examples=[example]))
    # Without playground: true the page has every public section but that one.
    assert page.section_ids == tuple(i for i in PUBLIC_SECTION_IDS if i != "playground")
    assert page.examples[0].request.text == "POST /things HTTP/1.1\nHost: api.example.test"
    assert page.examples[0].response.text == "HTTP/1.1 299 Example\nRetry-After: 2"


def test_missing_key_names_file_and_key(tmp_path: Path) -> None:
    path = make_content_file(tmp_path, summary=None)
    assert error_of(path) == "299.md: header.summary: missing required key"


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = make_content_file(tmp_path, colour="green")
    assert error_of(path) == (
        "299.md: header.colour: unknown key; expected one of code, title, class, kind, summary, "
        "spec, related, constants, examples, references, playground, clients, keywords"
    )


def test_keywords_are_read_and_a_bad_one_names_file_and_key(tmp_path: Path) -> None:
    page = parse_file(make_content_file(tmp_path, keywords=["retry", "retry-after"]))
    assert page.keywords == ("retry", "retry-after")
    path = make_content_file(tmp_path, keywords=["retry", "Rate Limit"])
    assert error_of(path) == (
        "299.md: keywords[1]: expected a word or short phrase in lowercase, like retry-after"
    )
    path = make_content_file(tmp_path, keywords=["retry", 7])
    assert error_of(path).startswith("299.md: keywords[1]: expected a word")
    path = make_content_file(tmp_path, keywords=["retry", "retry"])
    assert error_of(path) == "299.md: keywords[1]: 'retry' is listed twice"
    path = make_content_file(tmp_path, keywords="retry")
    assert error_of(path) == "299.md: header.keywords: expected a list"


def test_wrong_type_is_rejected(tmp_path: Path) -> None:
    path = make_content_file(tmp_path, related="200")
    assert error_of(path) == "299.md: header.related: expected a list"


def test_class_must_match_code(tmp_path: Path) -> None:
    header = make_header(299)
    header["class"] = "4xx"
    path = make_content_file(tmp_path, header_text=yaml.safe_dump(header))
    assert error_of(path) == "299.md: class: expected '2xx' for code 299"


def test_code_must_match_file_name(tmp_path: Path) -> None:
    path = make_content_file(tmp_path, code=299)
    path.rename(tmp_path / "298.md")
    assert error_of(tmp_path / "298.md") == "298.md: code: expected 298 to match the file name"


def test_unknown_constant_language_is_rejected(tmp_path: Path) -> None:
    path = make_content_file(tmp_path, constants={"cobol": "WS-ACCEPTED"})
    assert error_of(path).startswith(
        "299.md: constants.cobol: unknown language; expected one of python, drf"
    )


def test_constants_carry_versions_and_a_list_per_language(tmp_path: Path) -> None:
    constants = {
        "python": "http.HTTPStatus.EXAMPLE",
        "spring": [
            {"name": "HttpStatus.NEW", "since": "7.0"},
            {"name": "HttpStatus.OLD", "deprecated": "7.0", "note": "still there"},
        ],
        "rails": {"name": ":gone_soon", "removed": "3.1", "checked": "Rack source, 2026-12-01"},
    }
    page = parse_file(make_content_file(tmp_path, constants=constants))
    # Languages come in CONSTANT_LANGUAGES order; each list in the file's order.
    assert [c.value for c in page.constants] == [
        "http.HTTPStatus.EXAMPLE",
        ":gone_soon",
        "HttpStatus.NEW",
    ]
    spring = next(group for group in page.constant_groups if group.language == "spring")
    assert [c.versions for c in spring.constants] == [
        ("since Spring 7.0",),
        ("deprecated in Spring 7.0",),
    ]
    assert spring.constants[1].note == "still there" and not spring.constants[1].is_current
    rails = next(group for group in page.constant_groups if group.language == "rails")
    assert rails.constants[0].versions == ("removed in Rack 3.1",)
    assert rails.spec.check_text.startswith("Ruby on Rails: checked by hand against ")


def test_unknown_constant_key_names_file_and_key(tmp_path: Path) -> None:
    path = make_content_file(tmp_path, constants={"python": {"name": "X", "colour": "red"}})
    assert error_of(path) == (
        "299.md: constants.python.colour: unknown key; "
        "expected one of name, since, deprecated, removed, checked, note"
    )
    path = make_content_file(tmp_path, constants={"spring": ["A", {"since": "7.0"}]})
    assert error_of(path) == "299.md: constants.spring[1].name: missing required key"


def test_constant_versions_are_quoted_strings(tmp_path: Path) -> None:
    header = make_header(299)
    text = yaml.safe_dump(header, sort_keys=False).replace(
        "  python: http.HTTPStatus.EXAMPLE\n",
        "  python: {name: http.HTTPStatus.EXAMPLE, since: 3.10}\n",
    )
    path = make_content_file(tmp_path, header_text=text)
    assert error_of(path) == (
        "299.md: constants.python.since: "
        "expected a version string such as '3.13' (quote it in YAML)"
    )
    path = make_content_file(tmp_path, constants={"python": {"name": "X", "checked": "by eye"}})
    assert error_of(path) == (
        "299.md: constants.python.checked: "
        "expected what it was checked against, then ', YYYY-MM-DD'"
    )


def test_spec_url_needs_a_section_anchor(tmp_path: Path) -> None:
    spec = [
        {
            "document": "RFC 9110",
            "section": "15",
            "title": "Codes",
            "url": "https://www.rfc-editor.org/rfc/rfc9110",
        }
    ]
    path = make_content_file(tmp_path, spec=spec)
    assert error_of(path) == "299.md: spec[0].url: expected an https URL with a #section anchor"


def test_related_code_must_resolve(tmp_path: Path) -> None:
    make_content_file(tmp_path, code=299, related=[598])
    assert error_of(tmp_path) == "299.md: related[0]: no content file for code 598"


def test_internal_link_must_resolve_to_a_page_and_section(tmp_path: Path) -> None:
    make_content_file(tmp_path, code=298)
    make_content_file(tmp_path, code=299, body="## Explanation\n\nSee [298](/298/#pitfalls).\n")
    assert error_of(tmp_path) == (
        "299.md: heading '## Explanation': link /298/#pitfalls names no section of that page"
    )


def test_internal_link_to_unknown_site_path_is_rejected(tmp_path: Path) -> None:
    make_content_file(tmp_path, code=299, body="## Explanation\n\nSee [the docs](/docs/).\n")
    assert (
        error_of(tmp_path)
        == "299.md: heading '## Explanation': link /docs/ leads to no page of this site"
    )


def test_heading_out_of_order(tmp_path: Path) -> None:
    body = FULL_BODY.replace("## ELI5", "## TEMP").replace(
        "## What the specification says", "## ELI5"
    )
    body = body.replace("## TEMP", "## What the specification says")
    path = make_content_file(tmp_path, kind="full", body=body, examples=[])
    assert error_of(path) == (
        "299.md: heading '## What the specification says': out of order; expected '## ELI5' here"
    )


def test_missing_heading(tmp_path: Path) -> None:
    body = FULL_BODY.split("## Server-side pitfalls")[0]
    path = make_content_file(tmp_path, kind="full", body=body, examples=[])
    assert error_of(path) == "299.md: heading '## Server-side pitfalls': missing heading"


def test_unknown_heading(tmp_path: Path) -> None:
    path = make_content_file(tmp_path, body="## Explanation\n\nText.\n\n## Trivia\n\nMore.\n")
    assert (
        error_of(path)
        == "299.md: heading '## Trivia': unknown heading; expected one of: Explanation"
    )


def test_empty_section_is_rejected(tmp_path: Path) -> None:
    path = make_content_file(tmp_path, body="## Explanation\n\n")
    assert error_of(path) == "299.md: heading '## Explanation': expected text under the heading"


def test_full_page_needs_examples(tmp_path: Path) -> None:
    path = make_content_file(tmp_path, kind="full", body=FULL_BODY)
    assert error_of(path) == "299.md: examples: missing required key (full pages show examples)"


def test_bad_example_field(tmp_path: Path) -> None:
    example = make_example(method="FETCH")
    path = make_content_file(tmp_path, kind="full", body=FULL_BODY, examples=[example])
    assert error_of(path) == (
        "299.md: examples[0].request.method: "
        "expected one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    )


def test_invalid_yaml(tmp_path: Path) -> None:
    path = make_content_file(tmp_path, header_text="code: [202\n")
    assert error_of(path).startswith("299.md: header: expected valid YAML")


def test_missing_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "299.md"
    path.write_text("## Explanation\n\nNo header.\n")
    assert error_of(path) == "299.md: header: expected a YAML header between '---' lines at the top"


def test_system_check_reports_bad_content(tmp_path: Path) -> None:
    make_content_file(tmp_path, related=[598])
    try:
        with override_settings(REFERENCE_CONTENT_DIR=tmp_path):
            errors = run_checks(tags=["content"])
        assert [error.id for error in errors] == ["reference.E001"]
        assert errors[0].msg == "299.md: related[0]: no content file for code 598"
    finally:
        get_catalog.cache_clear()


def test_system_check_passes_on_shipped_content() -> None:
    assert run_checks(tags=["content"]) == []


def test_catalog_is_parsed_once_per_process() -> None:
    assert get_catalog() is get_catalog()


def test_booleans_are_accepted_only_where_expected(tmp_path: Path) -> None:
    header = make_header(299)
    header["code"] = True
    path = make_content_file(tmp_path, header_text=yaml.safe_dump(header))
    assert error_of(path) == "299.md: header.code: expected an integer"
    example = make_example()
    path = make_content_file(
        tmp_path, kind="full", body=FULL_BODY, examples=[example], playground=True
    )
    assert parse_file(path).playground is True


def test_server_refuses_to_start_on_bad_content(tmp_path: Path) -> None:
    make_content_file(tmp_path, related=[598])
    started = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        env={**os.environ, "REFERENCE_CONTENT_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "299.md: related[0]: no content file for code 598" in started.stderr

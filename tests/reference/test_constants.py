"""Checked, not written: the pages' constants against the libraries themselves.

Python's ``http`` (the running interpreter and every other version a page's
constants name, where one is installed), Django REST framework's and
Starlette's ``status`` modules, Node.js's ``http.STATUS_CODES`` (through
``node``) and, where a JDK is installed, ``HttpURLConnection`` (through
``javap``). A listed constant the library lacks fails, so does a constant the
library has for a code with a page that the page omits. A version fact this
machine cannot confirm is reported as a warning and must carry a ``checked:``
hand check; the languages nothing here can run say in
``reference.schema.CONSTANT_LANGUAGES`` what they were checked against, and when.
"""

from __future__ import annotations

import datetime
import warnings
from dataclasses import replace

import pytest

from reference.catalog import get_catalog
from reference.schema import CHECKED_BY_HAND, CHECKED_BY_TEST, CHECKED_RE, CONSTANT_LANGUAGES
from tests.reference import constant_libraries as libs
from tests.reference.constant_libraries import Listed, Snapshot, check_language


class NotCheckedHere(UserWarning):
    """A constant's version fact that this machine's libraries cannot confirm."""


def listed_for(language: str) -> list[Listed]:
    return [
        Listed(page.code, constant, libs.key_for(language, constant.value))
        for page in get_catalog()
        for group in page.constant_groups
        if group.language == language
        for constant in group.constants
    ]


def page_codes() -> set[int]:
    return {page.code for page in get_catalog()}


def versions_named(language: str) -> list[str]:
    return [
        version
        for item in listed_for(language)
        for version in (item.constant.since, item.constant.deprecated, item.constant.removed)
        if version
    ]


def assert_checked(language: str, snapshots: list[Snapshot]) -> libs.Report:
    assert snapshots, f"no version of the {language} library could be read on this machine"
    report = check_language(
        listed=listed_for(language), snapshots=snapshots, page_codes=page_codes()
    )
    assert report.problems == [], "\n".join(report.problems)
    seen = ", ".join(snapshot.label for snapshot in snapshots)
    unchecked = []
    for item, fact in report.unconfirmed:
        message = (
            f"{item.code}: {item.constant.value} ({fact} {getattr(item.constant, fact)}) "
            f"is not confirmed by the versions here ({seen})"
        )
        warnings.warn(
            NotCheckedHere(f"{message}; hand check: {item.constant.checked}"), stacklevel=2
        )
        if not item.constant.checked:
            unchecked.append(message)
    assert unchecked == [], "these need a `checked:` hand check:\n" + "\n".join(unchecked)
    assert report.checked > 0
    return report


def test_python_constants_exist_in_every_python_they_name() -> None:
    snapshots = libs.python_snapshots(versions=versions_named("python"))
    assert_checked("python", snapshots)


def test_python_313_names_are_confirmed_where_python_313_is_installed() -> None:
    snapshots = libs.python_snapshots(versions=["3.13"])
    if not any(snapshot.version[:2] == (3, 13) for snapshot in snapshots):
        warnings.warn(
            NotCheckedHere("no Python 3.13 here: its names rest on their hand check"), stacklevel=2
        )
        return
    report = check_language(
        listed=listed_for("python"), snapshots=snapshots, page_codes=page_codes()
    )
    assert report.problems == []
    confirmed = {
        item.constant.value for item in listed_for("python") if item.constant.since == "3.13"
    } - {item.constant.value for item, _ in report.unconfirmed}
    assert confirmed == {
        "http.HTTPStatus.CONTENT_TOO_LARGE",
        "http.HTTPStatus.URI_TOO_LONG",
        "http.HTTPStatus.RANGE_NOT_SATISFIABLE",
        "http.HTTPStatus.UNPROCESSABLE_CONTENT",
    }


def test_django_rest_framework_constants() -> None:
    assert_checked("drf", [libs.drf_snapshot()])


def test_starlette_constants_and_their_deprecations() -> None:
    assert_checked("starlette", [libs.starlette_snapshot()])


def test_node_status_codes() -> None:
    snapshot = libs.node_snapshot()
    assert snapshot is not None, "node not found: this check reads http.STATUS_CODES with it"
    assert_checked("node", [snapshot])


def test_java_constants_where_a_jdk_is_installed() -> None:
    snapshot = libs.java_snapshot()
    if snapshot is None:
        spec = CONSTANT_LANGUAGES["java"]
        warnings.warn(
            NotCheckedHere(f"no javap here: Java rests on its hand check ({spec.checked_on})"),
            stacklevel=2,
        )
        return
    assert_checked("java", [snapshot])


def test_every_language_says_how_it_is_checked() -> None:
    today = datetime.date(2026, 12, 1)
    for language, spec in CONSTANT_LANGUAGES.items():
        assert spec.checked_by in (CHECKED_BY_TEST, CHECKED_BY_HAND), language
        assert spec.source, language
        if spec.checked_by == CHECKED_BY_HAND:
            checked_on = datetime.date.fromisoformat(spec.checked_on)
            assert checked_on <= today, language
            assert spec.checked_on in spec.check_text
    tested = {
        lang for lang, spec in CONSTANT_LANGUAGES.items() if spec.checked_by == CHECKED_BY_TEST
    }
    assert tested == {"python", "drf", "starlette", "node"}
    for page in get_catalog():
        for group in page.constant_groups:
            for constant in group.constants:
                if constant.checked:
                    assert CHECKED_RE.match(constant.checked), (page.code, constant.value)


def test_the_facts_the_issue_records() -> None:
    by_value = {
        (page.code, group.language, constant.value): constant
        for page in get_catalog()
        for group in page.constant_groups
        for constant in group.constants
    }
    assert by_value[(413, "python", "http.HTTPStatus.CONTENT_TOO_LARGE")].versions == (
        "since Python 3.13",
    )
    assert by_value[(305, "spring", "HttpStatus.USE_PROXY")].versions == ("removed in Spring 7.0",)
    assert by_value[(510, "spring", "HttpStatus.NOT_EXTENDED")].deprecated == "7.0"
    assert by_value[(422, "spring", "HttpStatus.UNPROCESSABLE_ENTITY")].deprecated == "7.0"
    assert by_value[(422, "spring", "HttpStatus.UNPROCESSABLE_CONTENT")].since == "7.0"
    assert by_value[(421, "spring", "HttpStatus.MISDIRECTED_REQUEST")].since == "7.0"
    assert by_value[(510, "rails", ":not_extended")].versions == ("deprecated in Rack 3.1",)
    assert by_value[(425, "rust", "http::StatusCode::TOO_EARLY")].since == "1.2.0"
    assert by_value[(103, "rust", "http::StatusCode::EARLY_HINTS")].since == "1.4.0"


# -- The check itself can fail ------------------------------------------------------


def fake(code: int, name: str, **versions: str) -> Listed:
    return Listed(code, libs.Constant("python", "Python", name, **versions), name)


def test_the_check_fails_on_a_constant_the_library_lacks() -> None:
    snapshot = Snapshot("Python", (3, 11, 7), {"A": 202})
    report = check_language(listed=[fake(202, "B")], snapshots=[snapshot], page_codes={202})
    assert "202: B does not exist in Python 3.11.7" in report.problems
    assert "202: Python 3.11.7 defines A, which the page does not list" in report.problems


def test_the_check_holds_versions_to_every_snapshot() -> None:
    old = Snapshot("Python", (3, 11, 7), {"OLD": 413})
    new = Snapshot("Python", (3, 13, 0), {"OLD": 413, "NEW": 413})
    good = [fake(413, "OLD"), fake(413, "NEW", since="3.13")]
    report = check_language(listed=good, snapshots=[old, new], page_codes={413})
    assert report.problems == [] and report.unconfirmed == []
    wrong = [fake(413, "OLD"), fake(413, "NEW", since="3.12")]
    report = check_language(listed=wrong, snapshots=[new], page_codes={413})
    assert report.problems == [] and [fact for _, fact in report.unconfirmed] == ["since"]
    early = Snapshot("Python", (3, 12, 1), {"OLD": 413, "NEW": 413})
    report = check_language(listed=good, snapshots=[early], page_codes={413})
    assert report.problems == [
        "413: NEW exists in Python 3.12.1, which its versions (since Python 3.13) say it does not"
    ]


def test_the_check_holds_deprecations_to_the_library() -> None:
    snapshot = Snapshot("Starlette", (1, 10, 0), {"OLD": 422, "NEW": 422}, frozenset({"OLD"}), True)
    listed = [fake(422, "NEW"), fake(422, "OLD")]
    report = check_language(listed=listed, snapshots=[snapshot], page_codes={422})
    assert report.problems == [
        "422: OLD is deprecated in Starlette 1.10.0; the page says otherwise"
    ]
    listed[1] = replace(listed[1], constant=replace(listed[1].constant, deprecated="0.48"))
    report = check_language(listed=listed, snapshots=[snapshot], page_codes={422})
    assert report.problems == [] and [fact for _, fact in report.unconfirmed] == ["deprecated"]


@pytest.mark.parametrize(
    "value", ["http.STATUS_CODES[202] // 'Accepted'", 'http.STATUS_CODES[202] // "Accepted"']
)
def test_node_values_name_a_code_and_its_message(value: str) -> None:
    assert libs.key_for("node", value) == "STATUS_CODES[202] = Accepted"

"""Every parser of request input is linear and bounded.

Each header the API reads has a length past which it is not parsed (431, or for
Prefer ignored); below it, parsing reads the text once. These tests feed every
parser its worst inputs up to that length and check the answer. The worst inputs
run in a separate process with a generous bound, so a parser that backtracks
fails its test instead of holding the suite; the answer is what is asserted, and
the bound is one no healthy parse approaches. A structural check keeps every
pattern the parsers use from repeating a group that itself repeats.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from api import headers, intake, text
from api.headers import (
    MAX_CONTENT_DISPOSITION,
    MAX_CONTENT_TYPE,
    MAX_PREFER,
)
from api.problems import MAX_ERRORS
from jobs import lifecycle
from jobs.models import Job
from playground import sending
from playground.models import Run
from playground.views import console
from tests.helpers import ApiClient, make_email_payload

# What re compiles a pattern from (its parse tree), to read the pattern's structure.
parser: Any = importlib.import_module("re._parser")
constants: Any = importlib.import_module("re._constants")
ROOT = Path(__file__).resolve().parents[2]
BULK = "/api/emails/bulk"
FILES = "/api/files/process"
# Far beyond what any worst input below takes on any machine (they take milliseconds);
# only a parser that backtracks or re-reads its input reaches it.
BOUND_SECONDS = 60


def up_to(limit: int, head: str, unit: str, tail: str = "") -> str:
    """head, then unit as many times as fits, then tail: at most limit characters."""
    return head + unit * ((limit - len(head) - len(tail)) // len(unit)) + tail


# -- No pattern can try a string more than one way -------------------------------------

PARSING_MODULES = [headers, intake, text, sending, console]
REPEATS = {constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT}


def nested_repeats(items: Any, *, inside: bool = False) -> Iterator[str]:
    """Repetitions inside a repetition that may itself run more than once."""
    for op, value in items:
        if op in REPEATS:
            low, high, sub = value
            if inside and high > 1:
                yield f"{op} {{{low},{high}}}"
            yield from nested_repeats(sub, inside=inside or high > 1)
        elif op == constants.SUBPATTERN:
            yield from nested_repeats(value[3], inside=inside)
        elif op == constants.BRANCH:
            for branch in value[1]:
                yield from nested_repeats(branch, inside=inside)
        elif op == constants.ATOMIC_GROUP:
            yield from nested_repeats(value, inside=inside)
        elif op in (constants.ASSERT, constants.ASSERT_NOT):
            yield from nested_repeats(value[1], inside=inside)


def patterns_of(module: ModuleType) -> Iterator[tuple[str, str]]:
    """Every compiled pattern a module holds, and every literal pattern it passes to re."""
    for name, value in vars(module).items():
        if isinstance(value, re.Pattern):
            yield f"{module.__name__}.{name}", value.pattern
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield f"{module.__name__} line {node.lineno}", node.args[0].value


def test_no_pattern_that_reads_a_request_repeats_a_repetition() -> None:
    found = [where for module in PARSING_MODULES for where, _ in patterns_of(module)]
    assert len(found) >= 8, found
    ambiguous = {
        where: list(nested_repeats(parser.parse(pattern)))
        for module in PARSING_MODULES
        for where, pattern in patterns_of(module)
    }
    assert {where: bad for where, bad in ambiguous.items() if bad} == {}


@pytest.mark.parametrize(
    "pattern",
    [
        # The media type pattern that held a worker: whitespace around ";" two ways.
        r"[a-z]+/[a-z]+(?:[ \t]*;[ \t]*(?:[a-z]+=[a-z]+)?)*",
        # The list element pattern that read a quote to the end again and again.
        r'(?:[^,"]|"(?:[^"\\]|\\.)*")+',
    ],
)
def test_the_structural_check_finds_a_repeated_repetition(pattern: str) -> None:
    assert list(nested_repeats(parser.parse(pattern)))


# -- The worst inputs, each parser up to its limit ---------------------------------------

WORST_MEDIA_TYPES: dict[str, bool] = {
    # The 82 bytes that held a gunicorn worker for 30 seconds, and longer ones.
    "application/json" + "  ;  " * 13 + "@": False,
    up_to(MAX_CONTENT_TYPE, "application/json", "  ;  ", "@"): False,
    up_to(MAX_CONTENT_TYPE, "application/json", " \t; \t"): True,
    up_to(MAX_CONTENT_TYPE, "a/b", ";"): True,
    up_to(MAX_CONTENT_TYPE, "a/b", "; x=y"): True,
    up_to(MAX_CONTENT_TYPE, "a/b", "; x=y", ";x"): False,
    up_to(MAX_CONTENT_TYPE, 'a/b; x="', '\\"', '"'): True,
    up_to(MAX_CONTENT_TYPE, 'a/b; x="', '\\"'): False,
    up_to(MAX_CONTENT_TYPE, "a/b", '; x=""'): True,
    up_to(MAX_CONTENT_TYPE, "a/b", '; x="', '"'): False,
    up_to(MAX_CONTENT_TYPE, "a/", "b"): True,
    up_to(MAX_CONTENT_TYPE, "a/", "b", "/"): False,
}
WORST_PREFERS: dict[str, tuple[bool, int | None]] = {
    # (respond-async, wait) as read_prefer tells them.
    up_to(MAX_PREFER, "respond-async, ", 'a="\\'): (True, None),
    up_to(MAX_PREFER, "", ",", "wait=4"): (False, 4),
    up_to(MAX_PREFER, "", ";", ", wait=2"): (False, 2),
    up_to(MAX_PREFER, 'x="', ";", '", wait=3'): (False, 3),
    up_to(MAX_PREFER, "", '"'): (False, None),
    up_to(MAX_PREFER, "wait=5, ", '","'): (False, 5),
    up_to(MAX_PREFER, "wait=", "9"): (False, 10),
    up_to(MAX_PREFER, "", "respond-async,"): (True, None),
    # Seven Prefer lines of 7.8 KB each, joined as a server joins them: held a worker 27 s.
    ", ".join(["wait=1, " + 'x="' * 2600] * 7): (False, None),
    "wait=1, " + "," * MAX_PREFER: (False, None),
}
WORST_DISPOSITIONS: dict[str, str] = {
    # The file name read, before it is made a base name.
    up_to(MAX_CONTENT_DISPOSITION, 'attachment; filename="', ";"): '"'
    + ";" * (MAX_CONTENT_DISPOSITION - 22),
    up_to(MAX_CONTENT_DISPOSITION, "attachment", "; filename=a"): "a",
    up_to(MAX_CONTENT_DISPOSITION, "attachment; filename*=UTF-8''", "%41"): "A"
    * ((MAX_CONTENT_DISPOSITION - 29) // 3),
    up_to(MAX_CONTENT_DISPOSITION, 'attachment; filename="', '\\"', '"'): '"'
    * ((MAX_CONTENT_DISPOSITION - 23) // 2),
    up_to(MAX_CONTENT_DISPOSITION, "", ";"): "",
    up_to(MAX_CONTENT_DISPOSITION, "", '"'): "",
}

# Runs in a fresh interpreter: reads the inputs as JSON on stdin, prints the answers.
WORST_CASE_RUNNER = """
import json, sys
import django
django.setup()
from django.test import RequestFactory
from api.headers import is_media_type, read_disposition_filename, read_prefer
cases = json.load(sys.stdin)
factory = RequestFactory()
def prefer(value):
    read = read_prefer(factory.post("/", headers={"Prefer": value}))
    return [read.respond_async, read.wait]
def disposition(value):
    return read_disposition_filename(factory.post("/", headers={"Content-Disposition": value}))
print(json.dumps({
    "media_types": [is_media_type(value) for value in cases["media_types"]],
    "prefers": [prefer(value) for value in cases["prefers"]],
    "dispositions": [disposition(value) for value in cases["dispositions"]],
}))
"""


def run_bounded(code: str, cases: dict[str, list[str]]) -> dict[str, Any]:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    try:
        finished = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(cases),
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=environment,
            timeout=BOUND_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"The parsers were still reading their worst inputs after {BOUND_SECONDS} s")
    assert finished.returncode == 0, finished.stderr[-2000:]
    answers: dict[str, Any] = json.loads(finished.stdout)
    return answers


def test_every_parser_answers_its_worst_inputs() -> None:
    answers = run_bounded(
        WORST_CASE_RUNNER,
        {
            "media_types": list(WORST_MEDIA_TYPES),
            "prefers": list(WORST_PREFERS),
            "dispositions": list(WORST_DISPOSITIONS),
        },
    )
    assert answers["media_types"] == list(WORST_MEDIA_TYPES.values())
    assert [tuple(answer) for answer in answers["prefers"]] == list(WORST_PREFERS.values())
    assert answers["dispositions"] == list(WORST_DISPOSITIONS.values())


def test_the_worst_inputs_are_as_long_as_the_limits() -> None:
    # Each parser meets the longest input it reads, and no longer: past it, nothing is read.
    for cases, limit in [
        (list(WORST_MEDIA_TYPES), MAX_CONTENT_TYPE),
        (list(WORST_PREFERS), MAX_PREFER),
        (list(WORST_DISPOSITIONS), MAX_CONTENT_DISPOSITION),
    ]:
        lengths = [len(case) for case in cases]
        assert max(length for length in lengths if length <= limit) >= limit - 4
    assert max(len(case) for case in WORST_PREFERS) > MAX_PREFER


# -- Through HTTP: what the worst inputs get ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("content_type", list(WORST_MEDIA_TYPES))
def test_a_worst_case_content_type_gets_its_answer(api: ApiClient, content_type: str) -> None:
    response = api.request("POST", FILES, data=b"hello", content_type=content_type)
    if WORST_MEDIA_TYPES[content_type]:
        assert response.status_code == 202, response.content[:300]
        assert Job.objects.get().input["contentType"] == content_type
    else:
        assert response.status_code == 415
        assert "is not a media type" in response.json()["detail"]
        assert not Job.objects.exists()


def no_waiting(*, job: Job, timeout: float, client: str) -> bool:
    # No worker runs here: the job stays pending whatever the wait, so do not wait (yet
    # say the wait was done, as the preference was read).
    return True


@pytest.mark.django_db
@pytest.mark.parametrize("prefer", list(WORST_PREFERS))
def test_a_worst_case_prefer_is_read_or_ignored(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch, prefer: str
) -> None:
    monkeypatch.setattr(lifecycle, "wait_for_job", no_waiting)
    respond_async, wait = WORST_PREFERS[prefer]
    response = api.post_json(BULK, make_email_payload(), headers={"Prefer": prefer})
    assert response.status_code == 202
    applied = [*(["respond-async"] if respond_async else []), *([f"wait={wait}"] if wait else [])]
    assert response.get("Preference-Applied") == (", ".join(applied) or None)
    assert Job.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("disposition", list(WORST_DISPOSITIONS))
def test_a_worst_case_disposition_names_the_file(api: ApiClient, disposition: str) -> None:
    response = api.request(
        "POST",
        FILES,
        data=b"hello",
        content_type="text/plain",
        headers={"Content-Disposition": disposition},
    )
    assert response.status_code == 202, response.content[:300]
    assert Job.objects.get().input["filename"] == intake.base_name(WORST_DISPOSITIONS[disposition])


@pytest.mark.django_db
def test_a_file_name_in_both_forms_is_read_from_filename_star(api: ApiClient) -> None:
    # RFC 6266 section 4.3: filename* wins over filename.
    disposition = "attachment; filename=\"plain.txt\"; filename*=UTF-8''caf%C3%A9.txt"
    response = api.request(
        "POST",
        FILES,
        data=b"hello",
        content_type="text/plain",
        headers={"Content-Disposition": disposition},
    )
    assert response.status_code == 202
    assert Job.objects.get().input["filename"] == "caf\u00e9.txt"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "value", "url"),
    [
        ("Content-Type", "text/plain; x=" + "a" * MAX_CONTENT_TYPE, FILES),
        ("Content-Disposition", "attachment; filename=" + "a" * MAX_CONTENT_DISPOSITION, FILES),
        ("Content-Length", "0" * 100, FILES),
        ("Content-Type", "application/json; x=" + "a" * MAX_CONTENT_TYPE, BULK),
    ],
)
def test_a_header_longer_than_the_api_reads_is_431(
    api: ApiClient, name: str, value: str, url: str
) -> None:
    options: dict[str, Any] = {"data": b'{"x": 1}', "content_type": "text/plain"}
    if name == "Content-Type":
        options["content_type"] = value
    elif name == "Content-Length":
        options["CONTENT_LENGTH"] = value
    else:
        options["headers"] = {name: value}
    response = api.request("POST", url, **options)
    assert response.status_code == 431
    problem = response.json()
    assert problem["type"].endswith("#problem-header-too-large")
    assert problem["errors"] == [
        {"header": name, "detail": f"{len(value)} characters; this API reads at most "
         f"{headers.HEADER_LIMITS[name]}."}
    ]  # fmt: skip
    assert not Job.objects.exists()


# -- The error list ----------------------------------------------------------------------


@pytest.mark.django_db
def test_thousands_of_unknown_fields_get_a_short_error_list(api: ApiClient) -> None:
    payload: dict[str, Any] = {f"{index:x}": 0 for index in range(23_000)}
    payload = {**make_email_payload(), **payload, "subject": "\x00"}
    response = api.post_json(BULK, json.dumps(payload, separators=(",", ":")))
    assert response.status_code == 422
    problem = response.json()
    assert len(problem["errors"]) == MAX_ERRORS
    # The fields the API reads come first: their errors are never the ones left out.
    assert problem["errors"][0]["pointer"] == "/subject"
    assert problem["errors"][1] == {"pointer": "/0", "detail": "Unknown field."}
    left_out = 23_001 - MAX_ERRORS
    assert problem["detail"].endswith(
        f"The first {MAX_ERRORS} of 23001 errors are listed; {left_out} more are left out."
    )
    assert len(response.content) < 10_000
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_short_error_list_is_whole(api: ApiClient) -> None:
    payload = {**make_email_payload(), **{f"k{index}": 0 for index in range(MAX_ERRORS)}}
    problem = api.post_json(BULK, payload).json()
    assert len(problem["errors"]) == MAX_ERRORS
    assert problem["detail"] == "Some fields are missing or invalid."


# -- The console -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain; x=" + "a" * MAX_CONTENT_TYPE,
        # Django parses a request's Content-Type as it builds the request, in time that
        # grows with the square of its length: the console never builds this one.
        'a/b; x="' + ";" * 100_000,
    ],
)
def test_the_console_sends_no_header_longer_than_the_api_reads(
    client: Client, content_type: str
) -> None:
    response = client.post(
        "/playground/send",
        {"example": "file-processing", "body": "hello", "content_type": content_type},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert '<p class="error" role="alert">' in html
    assert f"the Content-Type header has {len(content_type)} characters" in html
    assert f"the API reads at most {MAX_CONTENT_TYPE}" in html
    assert "HTTP/1.1 " not in html
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_console_sends_a_content_type_django_cannot_parse_and_shows_the_answer(
    client: Client,
) -> None:
    # Django's parameter parser raises on an unknown RFC 2231 charset; the console builds
    # its request as the site's WSGI application does, so the API judges the header.
    response = client.post(
        "/playground/send",
        {
            "example": "file-processing",
            "body": "hello",
            "content_type": "text/plain; x*=nosuch''a",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "HTTP/1.1 202 Accepted" in response.content.decode()
    assert Job.objects.count() == 1


# -- Django's own parse of a request's Content-Type --------------------------------------

# One header line as gunicorn reads it, shaped for the quadratic scan of the standard
# library's parameter parser that Django builds every request with.
SERVER_LINE_CONTENT_TYPE = up_to(8190, 'multipart/form-data; boundary=b; x="', ";", '"')


def call_site(*, path: str, content_type: str, body: bytes) -> tuple[str, bytes]:
    """One request through the site's WSGI application, as gunicorn makes it."""
    from config.wsgi import application

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return lambda data: None

    # As Django's test client does: the test's database connection outlives the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = application(environ, start_response)
        content = b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return statuses[0], content


@pytest.mark.django_db
def test_the_site_does_not_parse_a_content_type_longer_than_it_reads() -> None:
    form = (
        b'--b\r\nContent-Disposition: form-data; name="example"\r\n\r\nfile-processing\r\n'
        b'--b\r\nContent-Disposition: form-data; name="body"\r\n\r\nhello\r\n--b--\r\n'
    )
    status, content = call_site(
        path="/playground/send", content_type=SERVER_LINE_CONTENT_TYPE, body=form
    )
    assert status.startswith("400 ")
    html = content.decode()
    assert "The console cannot read this form: its Content-Type is longer than the " in html
    assert "HTTP/1.1 " not in html
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_api_refuses_a_content_type_longer_than_it_reads_before_parsing_it() -> None:
    status, content = call_site(path=FILES, content_type=SERVER_LINE_CONTENT_TYPE, body=b"x")
    assert status.startswith("431 ")
    assert json.loads(content)["errors"] == [
        {"header": "Content-Type", "detail": f"8190 characters; this API reads at most "
         f"{MAX_CONTENT_TYPE}."}
    ]  # fmt: skip
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_site_reads_a_form_of_an_ordinary_content_type() -> None:
    form = (
        b'--b\r\nContent-Disposition: form-data; name="example"\r\n\r\nfile-processing\r\n--b--\r\n'
    )
    status, content = call_site(
        path="/playground/send", content_type="multipart/form-data; boundary=b", body=form
    )
    # The form is read, and the console sends it: the API's answer is kept in the run
    # the Send is sent on to.
    assert status.startswith("303 "), content[:300]
    [exchange] = Run.objects.get().steps[0]["exchanges"]
    assert exchange["method"] == "POST" and exchange["status"] >= 200


# Django's parse raises ValueError for this one (an RFC 2231 parameter in an unknown
# charset) while it builds the request: a 500 from any URL, before any view.
UNKNOWN_CHARSET_PARAMETER = "; x*=nosuch''a"


@pytest.mark.django_db
def test_a_content_type_django_cannot_parse_is_judged_by_the_api() -> None:
    # A syntactically valid media type: the API reads the JSON body as usual.
    status, content = call_site(
        path=BULK,
        content_type="application/json" + UNKNOWN_CHARSET_PARAMETER,
        body=json.dumps(make_email_payload()).encode(),
    )
    assert status.startswith("202 "), content[:300]
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_a_form_whose_content_type_django_cannot_parse_is_unreadable() -> None:
    form = (
        b'--b\r\nContent-Disposition: form-data; name="example"\r\n\r\nfile-processing\r\n--b--\r\n'
    )
    status, content = call_site(
        path="/playground/send",
        content_type="multipart/form-data; boundary=b" + UNKNOWN_CHARSET_PARAMETER,
        body=form,
    )
    assert status.startswith("400 ")
    assert "The console cannot read this form: its Content-Type cannot be read" in content.decode()
    assert not Job.objects.exists()

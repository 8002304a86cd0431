"""The OpenAPI document: valid OpenAPI 3.1, true to the code, and true to real responses.

The tour at the end sends real requests that provoke every documented response of
every path and method (HEAD mirrors each GET); ApiClient checks each one against
the document, and the tour checks that nothing documented is left unprovoked.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator

from api.cors import EXPOSE_HEADERS
from api.headers import MAX_CONTENT_TYPE
from api.problems import PROBLEM_TYPES
from jobs import lifecycle
from jobs.models import IdempotencyKey, Job
from tests.api.conventions_tour import tour_conventions
from tests.helpers import (
    CHECKER_PATHS,
    OPENAPI_PATHS,
    ApiClient,
    make_email_payload,
    openapi_path,
    openapi_validator,
    run_worker,
)

BULK = "/api/emails/bulk"
FILES = "/api/files/process"
JSON = "application/json"
# Longer than the API reads: refused (431) before any of it is parsed.
LONG_TYPE = "text/plain; x=" + "a" * MAX_CONTENT_TYPE
METHODS = {"get", "head", "post", "put", "patch", "delete", "options", "trace"}


@pytest.fixture
def document() -> dict[str, Any]:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def follow(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The object a local "$ref" points at (or node itself)."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def media_types(document: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(where, status or "request", media type, its object) for every body documented."""
    found = []
    for path, method, operation in operations(document):
        body = operation.get("requestBody", {}).get("content", {})
        found += [(f"{method} {path} request", "request", *media) for media in body.items()]
        for status, answer in operation["responses"].items():
            content = follow(document, answer).get("content", {})
            found += [(f"{method} {path} {status}", status, *media) for media in content.items()]
    return found


# -- The document itself ---------------------------------------------------------


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    # The OpenAPI 3.1 schema (shipped inside openapi-spec-validator), plus its checks
    # that JSON Schema alone cannot make: unique operationIds, declared path parameters.
    errors = [error.message for error in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


def test_document_is_openapi_3_1_with_this_sites_server(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "http://testserver"}]
    description = document["info"]["description"]
    for how in ["bounce.example.test", "slow.example.test", "DELETE", "Prefer: wait", "304"]:
        assert how in description


def test_every_path_is_routed_and_every_route_documented(document: dict[str, Any]) -> None:
    assert set(document["paths"]) == set(OPENAPI_PATHS.values())
    for path in document["paths"]:
        concrete = path.replace("{jobId}", "job_abc").replace("{checkId}", "Q2hlY2sgaWQgZXhhbXBsZQ")
        assert OPENAPI_PATHS[str(resolve(concrete).view_name)] == path


def test_every_ref_resolves_and_every_schema_is_valid(document: dict[str, Any]) -> None:
    for ref in refs(document):
        assert ref.startswith("#/components/"), ref
        assert follow(document, {"$ref": ref}), ref
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_example_matches_its_schema(document: dict[str, Any]) -> None:
    checked = 0
    for where, _, _, media in media_types(document):
        for name, example in media.get("examples", {}).items():
            value = follow(document, example)["value"]
            errors = openapi_validator(media["schema"], document).iter_errors(value)
            assert not [error.message for error in errors], f"{where}: example {name}"
            checked += 1
    assert checked >= 40


def test_problem_examples_are_the_problems_the_api_answers(document: dict[str, Any]) -> None:
    shown = set()
    for where, status, media_type, media in media_types(document):
        if media_type != "application/problem+json":
            continue
        for example in media["examples"].values():
            value = follow(document, example)["value"]
            slug = value["type"].rpartition("#problem-")[2]
            assert slug in PROBLEM_TYPES, f"{where}: no problem type {slug}"
            assert str(value["status"]) == status, where
            shown.add(slug)
    # Every problem a request can meet has an example, "not-found" too: the answer for
    # URLs outside the document, a {jobId} not of the form job_... included.
    answerable = {slug for slug, kind in PROBLEM_TYPES.items() if kind.status >= 400}
    assert answerable - shown == set()


def test_job_error_codes_are_the_problem_types_a_job_can_end_with(
    document: dict[str, Any],
) -> None:
    codes = document["components"]["schemas"]["JobError"]["properties"]["code"]["enum"]
    assert set(codes) == {slug for slug, kind in PROBLEM_TYPES.items() if kind.status < 400}


def test_every_path_answers_options_head_and_405(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        assert "options" in item, path
        if "get" in item:
            assert "head" in item, path
            assert set(item["head"]["responses"]) == set(item["get"]["responses"]) - {
                "405",
                *(["304", "412"] if path == "/api/openapi.json" else []),
                # Tagged by ConditionalGetMiddleware, on GET only.
                *(["304"] if path == "/api/checks/{checkId}/report" else []),
            }
        for method, operation in item.items():
            if method in {"get", "post", "delete"}:
                assert operation["responses"]["405"] == {
                    "$ref": "#/components/responses/MethodNotAllowed"
                }
            if method in METHODS:
                for answer in operation["responses"].values():
                    headers = follow(document, answer)["headers"]
                    assert "Access-Control-Allow-Origin" in headers, (path, method)


def test_every_operation_documents_its_statuses(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        assert operation["operationId"] and operation["responses"], (path, method)
        if "{jobId}" in path and method not in {"options", "head"}:
            assert {"404", "410", "429"} <= set(operation["responses"]), (path, method)
    post = document["paths"][BULK]["post"]["responses"]
    assert {"202", "303", "400", "405", "409", "413", "415", "422", "429", "431", "503"} == set(
        post
    )
    files = document["paths"][FILES]["post"]["responses"]
    assert set(files) == set(post) | {"411"}
    accepted = post["202"]["headers"]
    for name in ["Location", "Content-Location", "Operation-Location", "Retry-After"]:
        assert accepted[name]["required"]
    assert accepted["Cache-Control"]["schema"]["const"] == "no-store"
    for path in ["/api/jobs/{jobId}", "/api/jobs/{jobId}/result", "/api/operations/{jobId}"]:
        answers = document["paths"][path]["get"]["responses"]
        assert answers["200"]["headers"]["Cache-Control"]["schema"]["const"] == "no-cache"
        assert answers["200"]["headers"]["ETag"]["required"]
        assert answers["304"]["headers"]["ETag"]["required"]


def test_cors_headers_are_the_ones_the_spec_asks_for(document: dict[str, Any]) -> None:
    exposed = {name.strip() for name in EXPOSE_HEADERS.split(",")}
    assert {
        "Location",
        "Content-Location",
        "Operation-Location",
        "Retry-After",
        "Preference-Applied",
    } <= exposed
    preflight = document["paths"][BULK]["options"]["responses"]["204"]["headers"]
    allowed = preflight["Access-Control-Allow-Headers"]["schema"]["const"].lower()
    for name in ["content-type", "idempotency-key", "prefer"]:
        assert name in allowed


# -- Every response, for real ------------------------------------------------------


class TouringClient(ApiClient):
    """ApiClient that records what it saw, and sends every GET again as HEAD."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, str, str]] = set()

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        response = super().request(method, url, **kwargs)
        self._record(method, url, response.status_code)
        if method == "GET":
            head = super().request("HEAD", url, **kwargs)
            self._record("HEAD", url, head.status_code)
        return response

    def _record(self, method: str, url: str, status: int) -> None:
        path = openapi_path(url)
        # A 405 is documented once per URL, for every method it does not answer.
        self.seen.add((path, "*" if status == 405 else method, str(status)))

    def preflight(self, url: str, method: str) -> Any:
        origin = "https://elsewhere.example.test"
        headers = {"Origin": origin, "Access-Control-Request-Method": method}
        response = self.request("OPTIONS", url, headers=headers)
        assert response.status_code == 204
        for name in ["Allow-Origin", "Allow-Methods", "Allow-Headers", "Max-Age"]:
            assert f"Access-Control-{name}" in response, name
        return response


def documented_responses(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (path, "*" if status == "405" else method.upper(), status)
        for path, method, operation in operations(document)
        for status in operation["responses"]
    }


def allowed_methods(document: dict[str, Any], path: str) -> set[str]:
    return {method.upper() for method in document["paths"][path] if method in METHODS}


def finish_while_waiting(*, job: Job, timeout: float, client: str) -> bool:
    # test_api waits on a live worker; here the worker runs inside the wait, so the
    # tour stays deterministic.
    run_worker()
    job.refresh_from_db()
    return True


def tour_limits(api: TouringClient, settings: Any, urls: list[str]) -> None:
    """Every limit, tripped once: 429 with Retry-After, 503 when the demo is full."""
    counts = itertools.count()
    pending_file = api.request("POST", FILES, data=b"still pending", content_type="text/plain")
    assert pending_file.status_code == 202

    def tripped(limit: str, value: int, method: str, url: str, **request: Any) -> None:
        # A fresh count for each: the first request passes, the second trips the limit.
        fresh = f"limits-{next(counts)}.sqlite3"
        settings.DEMO_LIMITS_PATH = settings.DEMO_LIMITS_PATH.with_name(fresh)
        setattr(settings, limit, value)
        statuses = [api.request(method, url, **request).status_code for _ in range(2)]
        setattr(settings, limit, 100_000)
        assert statuses[-1] == 429, (limit, url, statuses)

    text = {"data": b"x", "content_type": "text/plain"}
    tripped("DEMO_JOBS_PER_MINUTE", 1, "POST", FILES, **text)
    tripped("DEMO_JOBS_PER_MINUTE", 1, "POST", BULK, data=json.dumps(make_email_payload()),
            content_type=JSON)  # fmt: skip
    for url in urls:
        tripped("DEMO_POLLS_PER_MINUTE", 1, "GET", url)
    tripped("DEMO_JOBS_PER_MINUTE", 1, "DELETE", pending_file["Location"])
    settings.DEMO_MAX_PENDING_PER_CLIENT = 1
    assert api.post_json(BULK, make_email_payload()).status_code == 429
    settings.DEMO_MAX_PENDING_PER_CLIENT = 100_000
    settings.DEMO_MAX_STORED_UPLOAD_BYTES = 1
    assert api.request("POST", FILES, **text).status_code == 503
    settings.DEMO_MAX_PENDING_JOBS = 1
    assert api.post_json(BULK, make_email_payload()).status_code == 503


def tour_methods(api: TouringClient, document: dict[str, Any], url: str) -> None:
    path = openapi_path(url)
    allow = api.request("OPTIONS", url)
    assert allow.status_code == 204
    assert set(allow["Allow"].split(", ")) == allowed_methods(document, path)
    for parameter, not_an_id in [("{jobId}", "not-a-job-id"), ("{checkId}", "x")]:
        if parameter in path:
            # An id not of the form the API makes is no endpoint: OPTIONS is 404 there too.
            nowhere = path.replace(parameter, not_an_id)
            assert api.request("OPTIONS", nowhere).status_code == 404
    wrong = api.request("PUT", url)
    assert wrong.status_code == 405 and wrong["Allow"] == allow["Allow"]
    if "GET" not in allow["Allow"]:
        assert api.get(url).status_code == 405  # and so is HEAD
    api.preflight(url, "DELETE" if "jobs" in url else "POST")


def tour_starting_jobs(api: TouringClient, monkeypatch: Any, settings: Any) -> dict[str, str]:
    """Every answer of both POSTs; returns the monitors of a succeeded and a failed job."""
    with monkeypatch.context() as patched:
        patched.setattr(lifecycle, "wait_for_job", finish_while_waiting)
        wait = {"Prefer": "wait=5"}
        done = api.post_json(BULK, make_email_payload(), headers=wait)
        assert done.status_code == 303 and done["Location"].endswith("/result")
        failed = api.post_json(BULK, make_email_payload("x@bounce.example.test"), headers=wait)
        assert failed.status_code == 303 and failed.json()["status"] == "failed"
        upload = SimpleUploadedFile("notes.txt", b"hello world\n", content_type="text/plain")
        digested = api.request("POST", FILES, data={"file": upload}, headers=wait)
        assert digested.status_code == 303

    async_ = api.post_json(BULK, make_email_payload(), headers={"Prefer": "respond-async"})
    assert async_.status_code == 202 and async_["Preference-Applied"] == "respond-async"
    raw = api.request("POST", FILES, data=b"a,b\n1,2\n", content_type="text/csv")
    assert raw.status_code == 202

    # The first request with this key "has not created its job yet".
    key = {"Idempotency-Key": "tour"}
    replayed: list[dict[str, Any]] = [
        {"url": BULK, "data": json.dumps(make_email_payload()), "content_type": JSON},
        {"url": FILES, "data": b"x", "content_type": "text/plain"},
    ]
    for request in replayed:
        assert api.request("POST", **request, headers=key).status_code == 202
        IdempotencyKey.objects.filter(key="tour").update(job=None)
        in_flight = api.request("POST", **request, headers=key)
        assert in_flight.status_code == 409 and in_flight["Retry-After"] == "1"
        IdempotencyKey.objects.filter(key="tour").delete()
    assert api.post_json(BULK, make_email_payload(), headers=key).status_code == 202
    reused = api.post_json(BULK, make_email_payload("z@example.test"), headers=key)
    assert reused.status_code == 422

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    bulk_problems = [
        (400, "{", JSON),
        (413, make_email_payload(*[f"u{i}@example.test" for i in range(6)]), None),
        (413, make_email_payload(body="x" * 4000), None),
        (415, "hello", "text/plain"),
        (431, "hello", LONG_TYPE),
        (422, {"subject": "", "body": "Hi {nam}", "recipients": ["nope"]}, None),
        (422, make_email_payload(subject="Hi\r\nBcc: everyone@example.test"), None),
    ]
    for status, payload, content_type in bulk_problems:
        if content_type is None:
            response = api.post_json(BULK, payload)
        else:
            response = api.request("POST", BULK, data=payload, content_type=content_type)
        assert response.status_code == status, (payload, response.content)

    empty = SimpleUploadedFile("empty.txt", b"", content_type="text/plain")
    file_problems: list[tuple[int, dict[str, Any]]] = [
        (400, {"data": b"--x\r\n", "content_type": "multipart/form-data"}),
        (400, {"data": b"abc", "content_type": "text/plain", "headers": {"Content-Length": "3b"}}),
        # No Content-Length: the test client sends one only with a body.
        (411, {"data": b"", "content_type": "text/plain", "CONTENT_TYPE": "text/plain"}),
        (413, {"data": b"x" * 5000, "content_type": "application/octet-stream"}),
        (415, {"data": "a=b", "content_type": "application/x-www-form-urlencoded"}),
        (431, {"data": b"x", "content_type": LONG_TYPE}),
        (422, {"data": {"other": "value"}}),
        (422, {"data": {"file": empty}}),
    ]
    for status, request in file_problems:
        response = api.request("POST", FILES, **request)
        assert response.status_code == status, (request, response.content)

    return {"succeeded": done.json()["monitor"], "failed": failed["Location"]}


def tour_following_jobs(api: TouringClient, finished: dict[str, str]) -> list[str]:
    """Every answer of the monitor, the operation and the result; returns their URLs."""
    pending = api.post_json(BULK, make_email_payload())
    monitor, operation = pending["Location"], pending["Operation-Location"]
    result = f"{monitor}/result"
    for url in [monitor, operation]:
        first = api.get(url)
        assert first.status_code == 200 and first["Retry-After"]
        again = api.get(url, headers={"If-None-Match": first["ETag"]})
        assert again.status_code == 304
        assert api.get(url, headers={"If-Match": '"stale"'}).status_code == 412
    assert api.get(result).status_code == 409
    # Queued: canceled at once (200); running: it stops at its next step (202).
    assert api.delete(monitor).status_code == 200
    assert api.get(monitor).json()["status"] == "canceled"
    assert api.delete(monitor).status_code == 409
    running = api.post_json(BULK, make_email_payload())["Location"]
    # As a worker would have it when the DELETE comes.
    Job.objects.filter(public_id=running.rsplit("/", 1)[1]).update(status=Job.Status.RUNNING)
    assert api.delete(running).status_code == 202

    done = finished["succeeded"]
    assert api.get(done).status_code == 303
    report = api.get(f"{done}/result")
    assert report.status_code == 200
    assert api.get(f"{done}/result", headers={"If-None-Match": report["ETag"]}).status_code == 304
    assert api.get(f"{done}/result", headers={"If-Match": '"stale"'}).status_code == 412
    failed = finished["failed"]
    assert api.get(failed).json()["status"] == "failed"
    assert api.get(failed.replace("/jobs/", "/operations/")).json()["status"] == "Failed"

    nowhere = ["/api/jobs/job_nope", "/api/jobs/job_nope/result", "/api/operations/job_nope"]
    for url in nowhere:
        assert api.get(url).status_code == 404
    assert api.delete(nowhere[0]).status_code == 404
    Job.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for url in [done, f"{done}/result", done.replace("/jobs/", "/operations/")]:
        assert api.get(url).status_code == 410
    assert api.delete(done).status_code == 410
    return [monitor, result, operation]


def tour_document(api: TouringClient) -> None:
    first = api.get("/api/openapi.json")
    assert first.status_code == 200
    again = api.get("/api/openapi.json", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert api.get("/api/openapi.json", headers={"If-Match": '"stale"'}).status_code == 412


# The worker it runs commits each task and closes its connection, as a real one does.
# Once (make test): it checks the document against the answers; the suite on PostgreSQL
# runs the conventions' and the API's own tests, which provoke the same answers.
@pytest.mark.documents
@pytest.mark.django_db(transaction=True)
def test_every_documented_response_is_real(
    document: dict[str, Any], monkeypatch: Any, settings: Any
) -> None:
    api = TouringClient()
    finished = tour_starting_jobs(api, monkeypatch, settings)
    urls = tour_following_jobs(api, finished)
    tour_document(api)
    conventions, monitors = tour_conventions(api, settings)
    for url in [BULK, FILES, *urls, "/api/openapi.json", *conventions]:
        tour_methods(api, document, url)
    tour_limits(api, settings, [*urls, *monitors])
    # The checker's endpoints have a tour of their own (tests/checker/test_api_checks.py).
    documented = {seen for seen in documented_responses(document) if seen[0] not in CHECKER_PATHS}
    assert documented - api.seen == set()


@pytest.mark.django_db
def test_head_answers_like_get_without_a_body(api: ApiClient) -> None:
    job_id = api.post_json(BULK, make_email_payload()).json()["jobId"]
    for url in [f"/api/jobs/{job_id}", f"/api/operations/{job_id}", "/api/openapi.json"]:
        get, head = api.get(url), api.request("HEAD", url)
        assert head.status_code == get.status_code == 200
        assert head["Content-Type"] == get["Content-Type"] and not head.content
        # The document's ETag comes from ConditionalGetMiddleware, which tags GET only.
        assert head.get("ETag") == (None if url.endswith("openapi.json") else get["ETag"])

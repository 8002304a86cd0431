"""The document itself: its description, its own path /api/openapi.json, and
openapi_document(), which puts every part together for one request."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from api.headers import MAX_WAIT
from api.openapi.components import (
    ETAG,
    RESPONSES,
    cache_control,
    head_operation,
    not_modified,
    options_operation,
    precondition_failed,
    response,
    response_ref,
)
from api.openapi.examples import EXAMPLES
from api.openapi.examples_conventions import CONVENTION_EXAMPLES, registry_example
from api.openapi.paths_checker import EXAMPLES as CHECKER_EXAMPLES
from api.openapi.paths_checker import PROBLEM_EXAMPLES as CHECKER_PROBLEM_EXAMPLES
from api.openapi.paths_checker import SCHEMAS as CHECKER_SCHEMAS
from api.openapi.paths_checker import checker_paths
from api.openapi.paths_conventions import convention_paths
from api.openapi.paths_follow import (
    CONDITIONAL,
    job_monitor_path,
    operation_path,
    result_path,
)
from api.openapi.paths_start import bulk_email_path, process_file_path
from api.openapi.problem_examples import PROBLEM_EXAMPLES
from api.openapi.schemas import schemas
from api.openapi.schemas_conventions import SCHEMAS as CONVENTION_SCHEMAS
from config.site import site_origin

DESCRIPTION = f"""\
A real asynchronous API behind **202 Accepted**. Start a job, follow `Location`
(the status monitor, which answers **303 See Other** to the result once the job
succeeded) or poll `Operation-Location` (the Azure-style operation), honour
`Retry-After`.

**Provoke each outcome from the request itself**

- *Success*: recipients at any ordinary domain, e.g. `ada@example.test`.
- *Partial success*: add a recipient at `bounce.example.test`; it bounces, the
  others are delivered, the job succeeds and the report counts the bounce.
- *Failure*: every recipient at `bounce.example.test`; the job ends `failed`.
- *Slow job*: recipients at `slow.example.test` take several extra steps each.
- *Cancellation*: `DELETE` the status monitor while the job is pending: 200 when
  it is canceled at once (it was queued), 202 when a running job will stop at its
  next step.
- *Immediate outcome*: `Prefer: wait={MAX_WAIT}` waits up to {MAX_WAIT} s and answers 303 when
  done.

**One job, six conventions**: the same two submits (same bodies, same
refusals) under RFC 9110 (`/api/emails/bulk`: 202, then the monitor's 200s and a
303), the Azure guidelines (`/api/azure/...`: 202 with Operation-Location only, the
status monitor always 200, `:cancel`), the asynchronous request-reply pattern
(`/api/request-reply/...`: the status endpoint answers 200 while pending, then 303,
a 4xx once failed; DELETE cancels), Google AIP-151 (`/api/aip151/...`: 200
with an Operation, no 202), a job resource (`/api/job-resource/...`: 201 Created,
then 200s) and OData 4.01 (`/api/odata/...`: `Prefer: respond-async` required; the
status monitor answers 202, then 200 with `AsyncResult`). Every monitor answers for any
job, whichever URL started it.
`/api/conventions` lists them, with the status codes of each stage.

**Outcomes a client must survive**, from the submit URL's `outcome` query
parameter (any convention): `retry-after-date` (Retry-After as an HTTP-date),
`monitor-503` and `monitor-429` (the first 2 polls of the job's monitors are refused
with Retry-After), `gone-after-done` (410 Gone once the job finished), `lost-by-worker`
(the first attempt's worker lets go of the job after one step: it stays running until
its lease runs out, is queued again and finishes in attempt 2).

**Polling cheaply**: the status monitor, the operation and the result answer
`Cache-Control: no-cache` with an `ETag`; send it back in `If-None-Match` and an
unchanged representation is a bodiless **304 Not Modified**. With `If-Match`, a
representation that changed is **412 Precondition Failed** (a problem).

**Check your own API** (`/api/checks`, the checker of `/check/`): POST a recorded
flow (a HAR file, or a transcript as `curl -i` prints it) for its report, with the
convention recognised, httplint's notes and the flow rules' findings; or POST a live
check, `{{"url": ...}}`, and the site sends that submit and follows the flow itself, as
a job: 202, then its monitor's 200s, then 303 to the report, with what real client
libraries conclude when the recorded answers are replayed to them. Kept reports are
redacted, found only by their unguessable id, and deleted after a few days.

**Every URL** answers `OPTIONS` (204 with `Allow`), `HEAD` wherever it answers
`GET`, and any other method with **405** and `Allow`. Any origin may call the API
from a browser (CORS, no credentials); a preflight is answered for every path of
this document. Any other path under /api/ (a `jobId` not of the form `job_...`
included) is no endpoint: every method there, `OPTIONS` and preflights included,
answers a problem+json **404**.
Errors are `application/problem+json` (RFC 9457) and never cached
(`Cache-Control: no-store`). Site-wide headers (`Content-Security-Policy`,
`X-Frame-Options`, `X-Content-Type-Options`, `Referrer-Policy`,
`Cross-Origin-Opener-Policy`, `Permissions-Policy`, over HTTPS
`Strict-Transport-Security`, and `Vary`/`Content-Encoding` from compression)
are on every response and not repeated below.
"""


def openapi_path() -> dict[str, Any]:
    cache = cache_control("public, max-age=300", "the document changes only with a deploy.")
    document = {
        "type": "object",
        "required": ["openapi", "info", "paths"],
        "properties": {"openapi": {"type": "string", "pattern": "^3\\.1\\."}},
    }
    ok = "OpenAPI 3.1."
    return {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document.",
            "parameters": CONDITIONAL,
            "responses": {
                "200": response(
                    ok, headers={"Cache-Control": cache, "ETag": ETAG}, schema=document
                ),
                "304": not_modified(cache),
                "405": response_ref("MethodNotAllowed"),
                "412": precondition_failed(),
            },
        },
        "head": head_operation(
            "headOpenApi",
            # The view tags GET only, as Django's ConditionalGetMiddleware does: no ETag,
            # and so no 304 or 412, for HEAD.
            {"200": response(ok, headers={"Cache-Control": cache})},
        ),
        "options": options_operation("openApiOptions", "GET"),
    }


def openapi_document(request: HttpRequest) -> dict[str, Any]:
    limits = (
        f"\n**Limits**: at most {settings.DEMO_MAX_RECIPIENTS} recipients, files up to "
        f"{settings.DEMO_MAX_UPLOAD_BYTES} bytes, bodies up to "
        f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes read into memory; finished jobs are "
        f"kept {settings.DEMO_JOB_RETENTION} seconds, then answer 410 Gone.\n\n"
        "**Per client** (an IPv4 address, or an IPv6 /64), each answered **429** with "
        f"`Retry-After` and a problem: {settings.DEMO_JOBS_PER_MINUTE} jobs started or "
        f"canceled a minute ({settings.DEMO_JOBS_PER_MINUTE_PER_NETWORK} for all the "
        f"clients of an IPv6 /48 together); {settings.DEMO_POLLS_PER_MINUTE} polls a "
        "minute, a poll of a job (any of its URLs) sooner than the `Retry-After` it was "
        f"last given for that job counting {settings.DEMO_EARLY_POLL_COST}; "
        f"{settings.DEMO_MAX_PENDING_PER_CLIENT} pending jobs; "
        f"{settings.DEMO_MAX_JOBS_PER_CLIENT} jobs kept (older finished ones answer 410). "
        "**For everyone**, answered **503** with `Retry-After`: "
        f"{settings.DEMO_MAX_PENDING_JOBS} pending jobs in all, and "
        f"{settings.DEMO_MAX_STORED_UPLOAD_BYTES} bytes of uploads waiting for their jobs.\n"
    )
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "HTTP 202 Accepted: demo asynchronous API",
            "version": "1.0.0",
            "description": DESCRIPTION + limits,
        },
        "servers": [{"url": site_origin(request)}],
        "paths": {
            "/api/emails/bulk": bulk_email_path(),
            "/api/files/process": process_file_path(),
            "/api/jobs/{jobId}": job_monitor_path(),
            "/api/jobs/{jobId}/result": result_path(),
            "/api/operations/{jobId}": operation_path(),
            "/api/openapi.json": openapi_path(),
            **convention_paths(),
            **checker_paths(),
        },
        "components": {
            "schemas": {**schemas(), **CONVENTION_SCHEMAS, **CHECKER_SCHEMAS},
            "responses": RESPONSES,
            "examples": {
                **EXAMPLES,
                **CONVENTION_EXAMPLES,
                "conventionRegistry": registry_example(),
                **PROBLEM_EXAMPLES,
                **CHECKER_EXAMPLES,
                **CHECKER_PROBLEM_EXAMPLES,
            },
        },
    }

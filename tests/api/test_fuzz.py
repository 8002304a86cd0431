"""The API matches its description, under a fuzzer: Schemathesis against /api/openapi.json.

The document is loaded from the app itself (in process, through Django's WSGI
handler and every middleware), and every generated request goes the same way.
Every check Schemathesis has runs, on every operation: one test per operation
with generated requests, valid and invalid (test_api), and the stateful tests
(test_stateful), which follow the document's links from a 202 Accepted to the
job's status monitor, its cancellation, its result and its operation.

The run is bounded and reproducible: few examples, a fixed seed, no example
database, no deadline. No worker runs, except inside Prefer: wait (see below),
so most jobs stay queued; that is a state the document describes too.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings
from hypothesis import HealthCheck
from schemathesis.core.result import Err, Ok
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.hypothesis.builder import MissingPathParameters
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source

from api.conventions import CONVENTIONS
from checker import checks, live
from jobs import lifecycle
from jobs.models import IdempotencyKey, Job
from tests.helpers import run_worker

# The limits the document states are the live settings: the document is loaded, and
# the API answers, with these (tests/demo.py sets the same two).
LIMITS = {"DEMO_MAX_RECIPIENTS": 5, "DEMO_MAX_UPLOAD_BYTES": 4096}
SEED = 202
pytestmark = pytest.mark.slow

# The statuses Schemathesis expects by default: an invalid request refused
# (negative_data_rejection), a valid one accepted (positive_data_acceptance).
REFUSED = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
# Besides those, the POSTs refuse with the two statuses their document gives them: 413
# Content Too Large for "too much" (more recipients than maxItems, a file over maxLength),
# and 411 Length Required for a raw upload without Content-Length (the test client sends
# none with an empty body, which is what breaking minLength 1 comes to).
REFUSALS = {
    **{f"POST {convention.submit['bulk-email']}": [*REFUSED, "413"] for convention in CONVENTIONS},
    **{
        f"POST {convention.submit['file-processing']}": [*REFUSED, "411", "413"]
        for convention in CONVENTIONS
    },
}
# A valid If-Match that names an ETag the representation no longer has (or never had)
# gets 412, as documented: like a 409, it depends on the state, not on the request. So
# does a 410 from a job submitted with ?outcome=gone-after-done that has finished.
MONITORS = [
    "/api/jobs/{jobId}",
    "/api/jobs/{jobId}/result",
    "/api/operations/{jobId}",
    "/api/request-reply/status/{jobId}",
    "/api/aip151/operations/{jobId}",
    "/api/job-resource/jobs/{jobId}",
    "/api/odata/monitor/{jobId}",
]
CONDITIONAL = [f"{method} {path}" for method in ["GET", "HEAD"] for path in MONITORS] + [
    "GET /api/openapi.json",
    "GET /api/conventions",
    "HEAD /api/conventions",
]
# The request-reply status endpoint persists a failed job's error with a 4xx, as its
# document asks: a job the fuzzer made fail (every recipient bounced) answers 422.
FAILED = {f"{method} /api/request-reply/status/{{jobId}}": ["422"] for method in ["GET", "HEAD"]}
CANCELS = [
    "DELETE /api/jobs/{jobId}",
    "DELETE /api/job-resource/jobs/{jobId}",
    "DELETE /api/request-reply/status/{jobId}",
    "POST /api/aip151/operations/{jobId}:cancel",
    "POST /api/operations/{jobId}:cancel",
    "DELETE /api/odata/monitor/{jobId}",
]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        # The stateful tests follow the document's links, and links learnt from the
        # Location headers; not ones guessed from field names (DELETE to OPTIONS, ...).
        "phases": {"stateful": {"inference": {"algorithms": ["location-headers"]}}},
        "operations": [
            *(
                {
                    "include-name": name,
                    "checks": {"negative_data_rejection": {"expected-statuses": statuses}},
                }
                for name, statuses in REFUSALS.items()
            ),
            *(
                {
                    "include-name": name,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*ACCEPTED, "410", "412", *FAILED.get(name, [])]
                        }
                    },
                }
                for name in CONDITIONAL
            ),
            *(
                {
                    "include-name": name,
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "410"]}
                    },
                }
                for name in CANCELS
            ),
            *(
                {
                    # Whether a body is a flow the checker reads, or a live check's target
                    # one it reaches, is more than JSON Schema can say (a transcript is any
                    # text; a host must resolve to a public address): 422, as documented.
                    "include-name": name,
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}
                    },
                }
                for name in ["POST /api/checks", "POST /api/checks/live"]
            ),
            {
                # DELETE asks for a cancellation: the job stays, canceled, and its status
                # monitor answers 200 until the job expires (cancelJob's description says
                # so). use_after_free expects a 404 after a successful DELETE, which fits
                # a deleted resource, not a canceled job; every other check still runs here.
                "include-name": "GET /api/jobs/{jobId}",
                "checks": {"use_after_free": {"enabled": False}},
            },
            *(
                {
                    # A multipart part is bytes: a "number" or "boolean" sent as the file
                    # part (what Schemathesis calls breaking its type: string) is a file
                    # like any other, and accepted. These share /api/files/process's intake,
                    # which keeps the check (its generated cases do not meet this).
                    "include-name": f"POST {convention.submit['file-processing']}",
                    "checks": {"negative_data_rejection": {"enabled": False}},
                }
                for convention in CONVENTIONS[1:]
            ),
            *(
                {
                    # Canceled, not deleted: as GET /api/jobs/{jobId} above.
                    "include-name": name,
                    "checks": {"use_after_free": {"enabled": False}},
                }
                for name in [
                    "GET /api/job-resource/jobs/{jobId}",
                    "GET /api/request-reply/status/{jobId}",
                    "GET /api/operations/{jobId}",
                ]
            ),
        ],
    }
)

APP = WSGIHandler()
with override_settings(**LIMITS):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP, config=CONFIG)


@schema.hook("filter_query")
def no_deliberate_503(ctx: Any, query: dict[str, Any] | None) -> bool:
    # ?outcome=monitor-503 makes a job's monitors answer 503 on purpose (documented, and
    # tested in tests/api/test_conventions.py): not_a_server_error would take
    # those for the server failing.
    return not query or query.get("outcome") != "monitor-503"


# The werkzeug client Schemathesis calls the app with does not decode gzip, which
# GZipMiddleware would otherwise send to its "Accept-Encoding: gzip".
HEADERS = {"Accept-Encoding": "identity"}
SETTINGS = hypothesis.settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def fuzz_settings(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in LIMITS.items():
        setattr(settings, name, value)
    # A job is kept whatever the number a client started (the fuzzer is one client).
    settings.DEMO_MAX_JOBS_PER_CLIENT = 1_000_000
    # Prefer: wait=N would wait N real seconds for a worker; the worker runs inside the
    # wait instead, as in tests/api/test_openapi.py's tour, so the job is done.
    monkeypatch.setattr(lifecycle, "wait_for_job", finish_while_waiting)
    # The fuzzer's live checks reach nothing: no DNS lookup, no connection, and the flows
    # it keeps are replayed to one client only.
    settings.CHECKER_ALLOW_LOCAL = False
    settings.CHECKER_REPLAY_CLIENTS = ["naive-requests"]
    monkeypatch.setattr(checks, "resolve_within", lambda seconds: no_lookup)
    monkeypatch.setattr(checks, "system_resolver", no_lookup)
    monkeypatch.setattr(live, "pinned", lambda target, timeout: NoConnection())


def no_lookup(host: str, port: int) -> list[str]:
    raise OSError("no DNS lookups in the fuzzer's tests")


class NoConnection:
    """A connection that never connects: sending on it fails as an unreachable host does."""

    sock = None

    def request(self, *args: Any, **kwargs: Any) -> None:
        raise OSError("no connections in the fuzzer's tests")

    def close(self) -> None:
        pass


def finish_while_waiting(*, job: Job, timeout: float, client: str) -> bool:
    run_worker()
    job.refresh_from_db()
    return True


def first_use_of_every_key() -> None:
    """Before each request: whatever Idempotency-Key it has, this is the key's first use.

    A key reused with another body is refused (422, as documented), which is right,
    but positive_data_acceptance would call it a valid request rejected: the fuzzer
    draws the same few keys ("0", ...) for many different bodies.
    """
    IdempotencyKey.objects.all().delete()


@hypothesis.settings(SETTINGS, max_examples=25)
def call_and_validate(case: Any) -> None:
    first_use_of_every_key()
    case.call_and_validate(headers=HEADERS)


# The other conventions' submits read their bodies and headers with the RFC 9110
# submits' intake (api/submit.py), which gets the full 25 examples; what differs is only
# the answer, which fewer examples reach as surely.
@hypothesis.settings(SETTINGS, max_examples=8)
def call_and_validate_shared_intake(case: Any) -> None:
    first_use_of_every_key()
    case.call_and_validate(headers=HEADERS)


SHARED_INTAKE = {
    f"POST {path}" for convention in CONVENTIONS[1:] for path in convention.submit.values()
}


# An operation Schemathesis could not read stays in the list as its error, and fails.
OPERATIONS = {
    (result.ok().label if isinstance(result, Ok) else result.err().label): result
    for result in schema.get_all_operations()
}
FEEDBACK = FeedbackSources(constants_value_source=make_constants_value_source(schema))


# One test per operation, each with a node id of its own, so parallel test processes
# share the operations out. (schema.parametrize() gives every operation's test the
# same node id, which they cannot tell apart.) The operation's test is built the way
# Schemathesis' pytest plugin builds it: the same phases, checks, seed and settings.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("label", OPERATIONS)
def test_api(label: str) -> None:
    operation = OPERATIONS[label]
    if isinstance(operation, Err):
        raise operation.err()
    fuzz = build_operation_test(
        config=schema.config,
        operation=operation.ok(),
        test_func=call_and_validate_shared_intake if label in SHARED_INTAKE else call_and_validate,
        given_kwargs={},
        feedback=FEEDBACK,
    )
    fuzz()
    # Path parameters the fuzzer could not generate leave the operation untested.
    missing = MissingPathParameters.get(fuzz)
    if missing:
        raise missing


def test_every_operation_of_the_document_is_fuzzed() -> None:
    described = {
        f"{method.upper()} {path}"
        for path, item in schema.raw_schema["paths"].items()
        for method in item
        if method in {"get", "head", "post", "put", "patch", "delete", "options"}
    }
    assert set(OPERATIONS) == described


class JobFollower(schema.as_state_machine()):  # type: ignore[misc]
    def before_call(self, case: Any) -> None:
        first_use_of_every_key()

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"headers": HEADERS}


@pytest.mark.django_db(transaction=True)
def test_stateful() -> None:
    JobFollower.run(settings=hypothesis.settings(SETTINGS, max_examples=25, stateful_step_count=8))

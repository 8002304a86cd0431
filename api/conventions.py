"""The six conventions the demo API serves a job under, as data.

A job is one job whichever way it is watched: every convention's monitor answers for
any job id, whichever convention's submit URL created it. This module is the one
place the URLs and the status codes of each stage are written down; GET
/api/conventions serves it (with the presets and the measured client rows), and the
OpenAPI document, the console's convention switch and the tests read it.

Shape (stable: client tests and pages read it):

- Convention.id is a slug that never changes; submit maps an example id of
  /202/ (``bulk-email``, ``file-processing``, also the job kinds) to its POST path;
  monitor, result and cancel are path templates with ``{jobId}``;
  monitor_from says where a client finds the monitor in the submit answer
  (a response header, or for AIP-151 the ``name`` member of the body);
  prefer is a preference a submit must send (OData's respond-async), or "".
- Stages lists the status codes each answer may have: the submit (accepted), the
  monitor while pending, once succeeded (done), once failed or canceled, the
  result, and the cancel request. An empty tuple: the convention has no such answer.

A convention's views are in views.py, its answers in convention_answers.py (RFC
9110's in representations.py), its paths in the OpenAPI document's modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    title: str
    url: str

    def to_json(self) -> dict[str, str]:
        return {"title": self.title, "url": self.url}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str

    def to_json(self) -> dict[str, str]:
        return {"method": self.method, "path": self.path}


@dataclass(frozen=True)
class Stages:
    """The status codes of each answer a client meets, in the order it meets them."""

    accepted: tuple[int, ...]
    pending: tuple[int, ...]
    done: tuple[int, ...]
    result: tuple[int, ...]
    failed: tuple[int, ...]
    canceled: tuple[int, ...]
    cancel: tuple[int, ...]

    def to_json(self) -> dict[str, list[int]]:
        return {
            "accepted": list(self.accepted),
            "pending": list(self.pending),
            "done": list(self.done),
            "result": list(self.result),
            "failed": list(self.failed),
            "canceled": list(self.canceled),
            "cancel": list(self.cancel),
        }


@dataclass(frozen=True)
class Convention:
    id: str
    name: str
    # A few words for a chip, where the full name would wrap over lines.
    label: str
    summary: str
    document: Document
    submit: dict[str, str]
    monitor: str
    monitor_from: str
    result: str | None
    cancel: Endpoint | None
    statuses: Stages
    # What a reader should notice: the differences a client trips over.
    notes: tuple[str, ...] = ()
    see_also: tuple[Document, ...] = field(default=())
    # A preference the submit must carry in Prefer; without it the submit is refused.
    prefer: str = ""

    def monitor_path(self, job_id: str) -> str:
        return self.monitor.replace("{jobId}", job_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "summary": self.summary,
            "document": self.document.to_json(),
            "seeAlso": [document.to_json() for document in self.see_also],
            "submit": {
                example: {"method": "POST", "path": path} for example, path in self.submit.items()
            },
            "monitor": {"method": "GET", "path": self.monitor, "foundIn": self.monitor_from},
            "result": None if self.result is None else {"method": "GET", "path": self.result},
            "cancel": None if self.cancel is None else self.cancel.to_json(),
            "statuses": self.statuses.to_json(),
            "notes": list(self.notes),
            "prefer": self.prefer,
        }


RFC_9110 = Document(
    "RFC 9110 HTTP Semantics, section 15.3.3: 202 Accepted",
    "https://www.rfc-editor.org/rfc/rfc9110#section-15.3.3",
)
# Which status a cancel (DELETE) answers: 200 once enacted, 202 while not yet.
RFC_9110_DELETE = Document(
    "RFC 9110 HTTP Semantics, section 9.3.5: DELETE",
    "https://www.rfc-editor.org/rfc/rfc9110#section-9.3.5",
)

ODATA_PROTOCOL = "https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part1-protocol.html"

CONVENTIONS: tuple[Convention, ...] = (
    Convention(
        id="rfc9110",
        name="RFC 9110 with JSON:API's asynchronous processing",
        label="RFC 9110",
        summary="202 with Location and Content-Location; the monitor answers 200 while "
        "pending and 303 See Other to the result once done.",
        document=RFC_9110,
        see_also=(
            Document(
                "JSON:API recommendations: Asynchronous Processing",
                "https://jsonapi.org/recommendations/#asynchronous-processing",
            ),
            RFC_9110_DELETE,
        ),
        submit={"bulk-email": "/api/emails/bulk", "file-processing": "/api/files/process"},
        monitor="/api/jobs/{jobId}",
        monitor_from="header:Location",
        result="/api/jobs/{jobId}/result",
        cancel=Endpoint("DELETE", "/api/jobs/{jobId}"),
        statuses=Stages(
            accepted=(202,),
            pending=(200,),
            done=(303,),
            result=(200,),
            failed=(200,),
            canceled=(200,),
            cancel=(200, 202),
        ),
        notes=(
            "A 200 from the monitor does not mean done: read status.",
            "Browsers' fetch() and most HTTP libraries follow the 303 silently: the script "
            "sees the result's 200, with response.redirected set.",
            "With Prefer: wait=N the submit itself may answer 303 when the job finished in time.",
            "The 202's body is the monitor's representation (Content-Location): a GET of the "
            "monitor at once answers the same body.",
            "DELETE answers 200 when the job is canceled at once (it was queued), 202 when a "
            "running job will stop at its next step (RFC 9110 section 9.3.5).",
            "A canceled bulk email's monitor lists in report who got the message and who did "
            "not (not-sent); once every message is sent, DELETE answers 409 and the job "
            "succeeds: mail sent cannot be unsent.",
        ),
    ),
    Convention(
        id="azure",
        name="Azure REST API guidelines: long-running operations",
        label="Azure LRO",
        summary="202 with Operation-Location and the status monitor; the monitor always "
        "answers 200, its state in status (NotStarted, Running, Succeeded, Failed, "
        "Canceled), the result in result once succeeded; POST …:cancel cancels.",
        document=Document(
            "Microsoft Azure REST API Guidelines: Long-Running Operations & Jobs",
            "https://github.com/microsoft/api-guidelines/blob/vNext/azure/Guidelines.md"
            "#long-running-operations--jobs",
        ),
        see_also=(
            Document(
                "Considerations for Service Design: Controlling a long-running operation",
                "https://github.com/microsoft/api-guidelines/blob/vNext/azure/"
                "ConsiderationsForServiceDesign.md#controlling-a-long-running-operation",
            ),
        ),
        submit={
            "bulk-email": "/api/azure/emails/bulk",
            "file-processing": "/api/azure/files/process",
        },
        monitor="/api/operations/{jobId}",
        monitor_from="header:Operation-Location",
        result=None,
        cancel=Endpoint("POST", "/api/operations/{jobId}:cancel"),
        statuses=Stages(
            accepted=(202,),
            pending=(200,),
            done=(200,),
            result=(200,),
            failed=(200,),
            canceled=(200,),
            cancel=(200,),
        ),
        notes=(
            "The status monitor is the guidelines' current one: id, kind, status, error "
            "(once Failed) and result (once Succeeded). The older fields of the deprecated "
            "Microsoft REST API Guidelines (percentComplete, createdDateTime, "
            "lastUpdatedDateTime, resourceLocation) are not sent: azure-core reads "
            "resourceLocation when it is there, and without it returns the last status "
            "monitor, whose result member holds the result (measured in the client table).",
            "A client that follows Location instead (there is none here) and reads any "
            "non-202 as finished would take the pending 200 for success.",
            "POST …:cancel answers 200 with the status monitor: Canceled when the job was "
            "queued; a running job says Running (with cancelRequestedAt) until it stops at "
            "its next step; once every message is sent, 409: mail sent cannot be unsent.",
        ),
    ),
    Convention(
        id="request-reply",
        name="Asynchronous Request-Reply pattern (Azure Architecture Center)",
        label="Request-Reply",
        summary="202 with Location; the status endpoint answers 200 with the status "
        "while pending, 303 See Other to the result once done, a 4xx with the error "
        "once failed; DELETE on it cancels.",
        document=Document(
            "Azure Architecture Center: Asynchronous Request-Reply pattern",
            "https://learn.microsoft.com/en-us/azure/architecture/patterns/async-request-reply",
        ),
        see_also=(RFC_9110_DELETE,),
        submit={
            "bulk-email": "/api/request-reply/emails/bulk",
            "file-processing": "/api/request-reply/files/process",
        },
        monitor="/api/request-reply/status/{jobId}",
        monitor_from="header:Location",
        result="/api/jobs/{jobId}/result",
        cancel=Endpoint("DELETE", "/api/request-reply/status/{jobId}"),
        statuses=Stages(
            accepted=(202,),
            pending=(200,),
            done=(303,),
            result=(200,),
            failed=(200, 422),
            canceled=(200,),
            cancel=(200, 202),
        ),
        notes=(
            "A 200 from the status endpoint does not mean done: read status. Once done it "
            "answers 303 See Other, never 302, which some clients replay with the "
            "original method.",
            "A failed job's status endpoint answers the error as a problem with 422 when "
            "what was submitted could not be done (every recipient bounced, the upload "
            "gone), as the page asks (a 4xx); when the site failed (its worker lost, a bug) "
            "it answers 200 with the status, failed: that is no client error, and a 5xx "
            "would say the status endpoint failed, not the job.",
            "DELETE on the status endpoint cancels: the page names the method, not its "
            "answer, so it answers as RFC 9110 section 9.3.5 says: 200 canceled at once "
            "(a queued job), 202 when a running job will stop at its next step.",
        ),
    ),
    Convention(
        id="aip151",
        name="Google AIP-151: long-running operations",
        label="Google AIP-151",
        summary="No 202: the request answers 200 with an Operation resource (name, done, "
        "metadata) that the client polls until done, then reads response or error.",
        document=Document("AIP-151: Long-running operations", "https://google.aip.dev/151"),
        see_also=(
            Document(
                "google.rpc.Status (the error of an Operation)",
                "https://github.com/googleapis/googleapis/blob/master/google/rpc/status.proto",
            ),
        ),
        submit={
            "bulk-email": "/api/aip151/emails/bulk",
            "file-processing": "/api/aip151/files/process",
        },
        monitor="/api/aip151/operations/{jobId}",
        monitor_from="body:name",
        result=None,
        cancel=Endpoint("POST", "/api/aip151/operations/{jobId}:cancel"),
        statuses=Stages(
            accepted=(200,),
            pending=(200,),
            done=(200,),
            result=(200,),
            failed=(200,),
            canceled=(200,),
            cancel=(200,),
        ),
        notes=(
            "Every answer is 200: only done, then response or error, tell the states apart.",
            "The monitor is found in the body (name: operations/{jobId}, relative to "
            "/api/aip151/), not in a header.",
            "The result is embedded in response; error is a google.rpc.Status (code, "
            "message, details); a canceled operation's error has code 1 (CANCELLED), and "
            "its metadata.report says who got the message and who did not.",
        ),
    ),
    Convention(
        id="job-resource",
        name="A job resource (Zalando RESTful API guidelines)",
        label="Job resource",
        summary="201 Created for the job itself, with Location; the job answers 200 with "
        "its status every time, and links the result once done.",
        document=Document(
            "Zalando RESTful API and Event Guidelines: rule #253",
            "https://opensource.zalando.com/restful-api-guidelines/#253",
        ),
        see_also=(RFC_9110_DELETE,),
        submit={
            "bulk-email": "/api/job-resource/emails/bulk",
            "file-processing": "/api/job-resource/files/process",
        },
        monitor="/api/job-resource/jobs/{jobId}",
        monitor_from="header:Location",
        result="/api/jobs/{jobId}/result",
        cancel=Endpoint("DELETE", "/api/job-resource/jobs/{jobId}"),
        statuses=Stages(
            accepted=(201,),
            pending=(200,),
            done=(200,),
            result=(200,),
            failed=(200,),
            canceled=(200,),
            cancel=(200, 202),
        ),
        notes=(
            "201: what was created at once is the job, not the emails or the digest.",
            "DELETE answers 200 when the job is canceled at once (it was queued), 202 when "
            "a running job will stop at its next step (RFC 9110 section 9.3.5), 409 once "
            "its work is done (every message sent): the job then ends as its work did.",
        ),
    ),
    Convention(
        id="odata",
        name="OData Version 4.01: asynchronous requests",
        label="OData",
        summary="Prefer: respond-async is required; 202 with Location to a status monitor "
        "that answers 202 while pending, then 200 with AsyncResult and the final response.",
        document=Document(
            "OData Version 4.01 Part 1: Protocol, section 11.6: Asynchronous Requests",
            ODATA_PROTOCOL + "#sec_AsynchronousRequests",
        ),
        see_also=(
            Document(
                "OData Version 4.01 Part 1: Protocol, section 8.2.8.8: Preference respond-async",
                ODATA_PROTOCOL + "#sec_Preferencerespondasync",
            ),
            Document(
                "OData Version 4.01 Part 1: Protocol, section 8.3.1: Header AsyncResult",
                ODATA_PROTOCOL + "#sec_HeaderAsyncResult",
            ),
            Document(
                "OData JSON Format Version 4.01, section 21.1: Error Response",
                "https://docs.oasis-open.org/odata/odata-json-format/v4.01/"
                "odata-json-format-v4.01.html#sec_ErrorResponse",
            ),
        ),
        submit={
            "bulk-email": "/api/odata/emails/bulk",
            "file-processing": "/api/odata/files/process",
        },
        monitor="/api/odata/monitor/{jobId}",
        monitor_from="header:Location",
        result=None,
        cancel=Endpoint("DELETE", "/api/odata/monitor/{jobId}"),
        statuses=Stages(
            accepted=(202,),
            pending=(202,),
            done=(200,),
            result=(200,),
            failed=(200,),
            canceled=(404,),
            cancel=(204, 202),
        ),
        notes=(
            "A submit without Prefer: respond-async is refused (400): OData says a service "
            '"MUST NOT reply to a Data Service Request with 202 Accepted if the request has '
            'not included the respond-async preference", and the demo never holds a '
            "connection for minutes to answer synchronously.",
            "The monitor's 200 means the request finished, not that it succeeded: the "
            "AsyncResult header carries the final status (200, or the failure's 4xx/5xx).",
            "The final 200's body is the final response itself (the result, or an OData error "
            "object); with Accept: application/http (or OData-MaxVersion: 4.0 and no "
            "Accept) it is the whole HTTP message, status line and headers included.",
            "While pending the monitor's 202 body is the job's state as JSON: the demo's "
            "choice (OData allows a body, and defines none).",
            "DELETE on the monitor answers 204 when the job is canceled at once (it was "
            "queued), 202 when a running job will stop at its next step, with Location to "
            "the job's RFC 9110 monitor: OData says that Location must differ from the "
            "status monitor. Once canceled, the monitor answers 404, as OData says.",
        ),
        prefer="respond-async",
    ),
)

BY_ID: dict[str, Convention] = {convention.id: convention for convention in CONVENTIONS}
DEFAULT = CONVENTIONS[0]


def find_convention(convention_id: str | None) -> Convention:
    """The convention with this id; the RFC 9110 one for anything else."""
    return BY_ID.get(convention_id or "", DEFAULT)

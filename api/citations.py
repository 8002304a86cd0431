"""What each convention's document says of each stage a client meets, as data.

For every convention and every stage: the status codes the demo answers with, the
headers and the body members that answer carries, and the sentences of the
convention's document that set them, quoted word for word with a link to the exact
section. Where the document is silent, our_choice says what the demo does and why.
GET /api/conventions serves it beside each convention, and /api/ shows it.

Stage names (one per answer a client can tell apart):

- accepted: the submit's answer; pending: the monitor while the job is queued or
  running; succeeded: the monitor once the job succeeded; result: the result itself;
  failed, canceled: the monitor once the job failed or was canceled;
- cancel: the cancel of a job still queued (canceled at once); cancel-running: the
  cancel of a running job (it stops at its next step); cancel-finished: a cancel that
  comes too late (the job finished, or all its work is done);
- expired: the monitor once the job finished longer ago than its retention.

Citations may name a convention that is not served yet (it has no entry in
api.conventions): whoever reads them skips it until it is.

The quotes are kept, as read, in tests/api/sources (one file per document), and a
test checks each quote is in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RFC_9110 = "https://www.rfc-editor.org/rfc/rfc9110"
JSON_API = "https://jsonapi.org/recommendations/"
AZURE = "https://github.com/microsoft/api-guidelines/blob/vNext/azure/Guidelines.md"
AZURE_DESIGN = (
    "https://github.com/microsoft/api-guidelines/blob/vNext/azure/ConsiderationsForServiceDesign.md"
)
REQUEST_REPLY = "https://learn.microsoft.com/en-us/azure/architecture/patterns/async-request-reply"
AIP_151 = "https://google.aip.dev/151"
# The commit read, so that the line anchors keep pointing at the quoted comments.
LONGRUNNING = (
    "https://github.com/googleapis/googleapis/blob/50b0e8286ac988b0593bd890eb31fef6ea2f5767"
    "/google/longrunning/operations.proto"
)
ZALANDO = "https://opensource.zalando.com/restful-api-guidelines/"
ODATA = "https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part1-protocol.html"


@dataclass(frozen=True)
class Quote:
    text: str
    # Deep link: the document's URL with the fragment of the quoted section or rule.
    url: str
    # How the link reads: "§15.3.3", "lro-poll", "rule #253".
    label: str

    def to_json(self) -> dict[str, str]:
        return {"text": self.text, "url": self.url, "label": self.label}


# How the API page names each stage.
STAGE_TITLES = {
    "accepted": "Submit",
    "pending": "Monitor, pending",
    "running": "Monitor, running",
    "succeeded": "Monitor, succeeded",
    "result": "Result",
    "failed": "Monitor, failed",
    "canceled": "Monitor, canceled",
    "cancel": "Cancel (queued job)",
    "cancel-running": "Cancel (running job)",
    "cancel-finished": "Cancel, too late",
    "expired": "Monitor, expired",
}


@dataclass(frozen=True)
class Stage:
    stage: str
    statuses: tuple[int, ...]
    headers: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    quotes: tuple[Quote, ...] = ()
    # Why the demo answers so where the document is silent (None: the quotes say it all).
    our_choice: str | None = None

    @property
    def title(self) -> str:
        return STAGE_TITLES[self.stage]

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "statuses": list(self.statuses),
            "headers": list(self.headers),
            "members": list(self.members),
            "quotes": [quote.to_json() for quote in self.quotes],
            "ourChoice": self.our_choice,
        }


def rfc(section: str, text: str) -> Quote:
    return Quote(text, f"{RFC_9110}#section-{section}", f"RFC 9110 §{section}")


def azure(anchor: str, text: str) -> Quote:
    return Quote(text, f"{AZURE}#{anchor}", anchor)


def request_reply(anchor: str, text: str) -> Quote:
    return Quote(text, f"{REQUEST_REPLY}#{anchor}", anchor.replace("-", " ").capitalize())


def aip(anchor: str, text: str) -> Quote:
    return Quote(text, f"{AIP_151}#{anchor}", f"AIP-151 {anchor.capitalize()}")


def longrunning(lines: str, text: str) -> Quote:
    return Quote(text, f"{LONGRUNNING}#{lines}", f"operations.proto {lines}")


def odata(anchor: str, section: str, text: str) -> Quote:
    return Quote(text, f"{ODATA}#{anchor}", f"OData 4.01 §{section}")


RULE_253 = f"{ZALANDO}#253"


def zalando(text: str) -> Quote:
    return Quote(text, RULE_253, "rule #253")


# -- Sentences more than one convention leans on -----------------------------------

DELETE_STATUSES = rfc(
    "9.3.5",
    "If a DELETE method is successfully applied, the origin server SHOULD send a 202 "
    "(Accepted) status code if the action will likely succeed but has not yet been "
    "enacted, a 204 (No Content) status code if the action has been enacted and no further "
    "information is to be supplied, or a 200 (OK) status code if the action has been "
    "enacted and the response message includes a representation describing the status.",
)
CONFLICT = rfc(
    "15.5.10",
    "The 409 (Conflict) status code indicates that the request could not be completed due "
    "to a conflict with the current state of the target resource.",
)
GONE = rfc(
    "15.5.5",
    "the 410 (Gone) status code is preferred over 404 if the origin server knows, presumably "
    "through some configurable means, that the condition is likely to be permanent.",
)
RETRY_AFTER = rfc(
    "10.2.3",
    'Servers send the "Retry-After" header field to indicate how long the user agent ought '
    "to wait before making a follow-up request.",
)
TOO_LATE = (
    "Every convention refuses a cancel that comes too late the same way: 409 with a "
    "problem saying the job already finished, or that its work is done (mail sent cannot "
    "be unsent)."
)
EXPIRED = (
    "A job is kept for the retention the API page states; afterwards every monitor answers "
    "410 Gone (problem job-expired) while the demo remembers the id, and 404 once it does not."
)
PROBLEM = ("type", "title", "status", "detail")


CITATIONS: dict[str, tuple[Stage, ...]] = {
    "rfc9110": (
        Stage(
            "accepted",
            (202,),
            ("Location", "Content-Location", "Retry-After"),
            ("jobId", "status", "progress", "monitor", "cancel"),
            quotes=(
                rfc(
                    "15.3.3",
                    "The representation sent with this response ought to describe the "
                    "request's current status and point to (or embed) a status monitor that "
                    "can provide the user with an estimate of when the request will be "
                    "fulfilled.",
                ),
                Quote(
                    "The request SHOULD return a status 202 Accepted with a link in "
                    "Content-Location.",
                    f"{JSON_API}#asynchronous-processing",
                    "JSON:API Asynchronous Processing",
                ),
                RETRY_AFTER,
            ),
            our_choice="Location names the monitor too: RFC 9110 gives it no meaning on a "
            "202, but generic clients look for it first.",
        ),
        Stage(
            "pending",
            (200,),
            ("Retry-After",),
            ("jobId", "status", "progress", "cancel"),
            quotes=(
                rfc(
                    "15.3.3",
                    "a status monitor that can provide the user with an estimate of when the "
                    "request will be fulfilled.",
                ),
                RETRY_AFTER,
            ),
            our_choice="Neither document gives the pending monitor a status: it answers 200, "
            "its body the job's status, since the monitor itself was found.",
        ),
        Stage(
            "succeeded",
            (303,),
            ("Location",),
            ("status", "result", "monitor"),
            quotes=(
                Quote(
                    "When job process is done the location given earlier SHOULD return 303 "
                    "See other with a link in Location.",
                    f"{JSON_API}#asynchronous-processing",
                    "JSON:API Asynchronous Processing",
                ),
                rfc(
                    "15.4.4",
                    "The 303 (See Other) status code indicates that the server is redirecting "
                    "the user agent to a different resource, as indicated by a URI in the "
                    "Location header field, which is intended to provide an indirect response "
                    "to the original request.",
                ),
            ),
        ),
        Stage(
            "result",
            (200,),
            members=("jobId", "completedAt", "expiresAt"),
            our_choice="The result is an ordinary resource: a GET answers 200 with the "
            "delivery report or the file digest.",
        ),
        Stage(
            "failed",
            (200,),
            members=("status", "error"),
            our_choice="Neither document names a failed job's answer: the monitor answers 200 "
            "with status and error, since the request for the monitor succeeded; only the "
            "job failed.",
        ),
        Stage(
            "canceled",
            (200,),
            members=("status", "error"),
            our_choice="As a failed job: 200 with status canceled; a bulk email's report "
            "says who got the message before the cancel.",
        ),
        Stage(
            "cancel",
            (200,),
            ("Content-Location",),
            ("status",),
            quotes=(DELETE_STATUSES,),
            our_choice="The cancel is a DELETE of the monitor; never 204, so the answer "
            "always shows what became of the job.",
        ),
        Stage(
            "cancel-running",
            (202,),
            ("Content-Location", "Location", "Retry-After"),
            ("status", "cancelRequestedAt"),
            quotes=(DELETE_STATUSES,),
        ),
        Stage("cancel-finished", (409,), members=PROBLEM, quotes=(CONFLICT,), our_choice=TOO_LATE),
        Stage("expired", (410, 404), members=PROBLEM, quotes=(GONE,), our_choice=EXPIRED),
    ),
    "azure": (
        Stage(
            "accepted",
            (202,),
            ("Operation-Location", "Operation-Id", "Retry-After"),
            ("id", "kind", "status"),
            quotes=(
                azure(
                    "lro-returns-202",
                    "DO return a 202-Accepted status code from the request that initiates an "
                    "LRO action on a resource if the processing of the operation was "
                    "successfully initiated.",
                ),
                azure(
                    "lro-returns-operation-location",
                    "DO include an operation-location response header with the absolute URL "
                    "of the status monitor for the operation.",
                ),
                azure(
                    "lro-returns-status-monitor",
                    "DO return a status monitor in the response body as described in "
                    "Obtaining status and results of long-running operations.",
                ),
                azure(
                    "lro-operation-id-request-header",
                    "DO allow the client to pass an Operation-Id header with an ID for the "
                    "operation's status monitor.",
                ),
            ),
            our_choice="The demo names the operation itself (its id is the job's) and does "
            "not take a client's Operation-Id: an Idempotency-Key already makes a retried "
            "submit answer with the same operation.",
        ),
        Stage(
            "pending",
            (200,),
            ("Retry-After",),
            ("id", "kind", "status"),
            quotes=(
                azure(
                    "lro-status-monitor-get-returns-200",
                    "DO support the GET method on the status monitor endpoint that returns a "
                    "200-OK response with the current state of the status monitor.",
                ),
                azure(
                    "lro-status-monitor-retry-after",
                    "DO include a retry-after header in the response if the operation is not "
                    "complete.",
                ),
                azure(
                    "lro-status-monitor-structure",
                    'The operation\'s current status: "NotStarted", "Running", "Succeeded", '
                    '"Failed", and "Canceled"',
                ),
            ),
        ),
        Stage(
            "succeeded",
            (200,),
            members=("id", "status", "result"),
            quotes=(
                azure(
                    "lro-status-monitor-post-action-result",
                    "DO include the result property (if any) in the status monitor for a "
                    "POST action-type long-running operation when the operation completes "
                    "successfully.",
                ),
            ),
        ),
        Stage(
            "result",
            (200,),
            members=("result",),
            quotes=(
                azure(
                    "lro-status-monitor-structure",
                    'If status=="Succeeded" && Action LRO (POST or PUT), contains success '
                    "result if needed",
                ),
            ),
            our_choice="The result is read where the guidelines put it, in the status "
            "monitor's result; GET /api/jobs/{jobId}/result answers it too.",
        ),
        Stage(
            "failed",
            (200,),
            members=("id", "status", "error"),
            quotes=(
                azure(
                    "lro-status-monitor-structure",
                    'If status=="Failed", contains reason for failure',
                ),
                azure(
                    "lro-status-monitor-get-returns-200",
                    "DO support the GET method on the status monitor endpoint that returns a "
                    "200-OK response with the current state of the status monitor.",
                ),
            ),
        ),
        Stage(
            "canceled",
            (200,),
            members=("id", "status"),
            quotes=(
                azure(
                    "lro-status-monitor-structure",
                    'The operation\'s current status: "NotStarted", "Running", "Succeeded", '
                    '"Failed", and "Canceled"',
                ),
            ),
        ),
        Stage(
            "cancel",
            (200,),
            members=("id", "status"),
            quotes=(
                Quote(
                    "It might be necessary to support some control action on a long-running "
                    "operation, such as cancel.",
                    f"{AZURE_DESIGN}#controlling-a-long-running-operation",
                    "Controlling a long-running operation",
                ),
                Quote(
                    "A successful response to a control operation should be a 200 OK with a "
                    "representation of the status monitor.",
                    f"{AZURE_DESIGN}#controlling-a-long-running-operation",
                    "Controlling a long-running operation",
                ),
            ),
        ),
        Stage(
            "cancel-running",
            (200,),
            members=("id", "status"),
            quotes=(
                Quote(
                    "A successful response to a control operation should be a 200 OK with a "
                    "representation of the status monitor.",
                    f"{AZURE_DESIGN}#controlling-a-long-running-operation",
                    "Controlling a long-running operation",
                ),
            ),
            our_choice="The guidelines do not say what a cancel answers while the operation "
            "has yet to stop: 200 with the status monitor still Running, Canceled at its "
            "next step.",
        ),
        Stage("cancel-finished", (409,), members=PROBLEM, our_choice=TOO_LATE),
        Stage(
            "expired",
            (410, 404),
            members=PROBLEM,
            quotes=(
                azure(
                    "lro-status-monitor-retention",
                    "DO retain the status monitor resource for some publicly documented "
                    "period of time (at least 24 hours) after the operation completes.",
                ),
            ),
            our_choice=EXPIRED,
        ),
    ),
    "request-reply": (
        Stage(
            "accepted",
            (202,),
            ("Location", "Retry-After"),
            ("status",),
            quotes=(
                request_reply(
                    "solution",
                    "The API responds synchronously as quickly as possible. It returns an HTTP "
                    "202 (Accepted) status code, acknowledging that the request has been "
                    "received for processing.",
                ),
                request_reply(
                    "issues-and-considerations",
                    "An HTTP 202 response should indicate the location and frequency that the "
                    "client should poll for the response.",
                ),
            ),
        ),
        Stage(
            "pending",
            (200,),
            ("Retry-After",),
            ("status",),
            quotes=(
                request_reply(
                    "solution",
                    "For every successful call to the status endpoint, it returns HTTP 200. "
                    "While the work is still pending, the status endpoint returns a resource "
                    "that indicates the work is still in progress.",
                ),
            ),
        ),
        Stage(
            "succeeded",
            (303,),
            ("Location",),
            quotes=(
                request_reply(
                    "solution",
                    "Once the work is complete, the status endpoint can either return a "
                    "resource that indicates completion, or redirect to another resource URL.",
                ),
                request_reply(
                    "issues-and-considerations",
                    "If the status endpoint redirects on completion, use HTTP 303 (See Other). "
                    "A 303 instructs the client to issue a GET request to the redirect URL, "
                    "regardless of the original request method.",
                ),
            ),
        ),
        Stage(
            "result",
            (200,),
            quotes=(
                request_reply(
                    "issues-and-considerations",
                    "Upon successful processing, the resource specified by the Location header "
                    "should return an appropriate HTTP response code such as 200 (OK), 201 "
                    "(Created), or 204 (No Content).",
                ),
            ),
        ),
        Stage(
            "failed",
            (422, 200),
            members=("status",),
            quotes=(
                request_reply(
                    "issues-and-considerations",
                    "If an error occurs during processing, persist the error at the resource "
                    "URL described in the Location header and ideally return an appropriate "
                    "response code to the client from that resource (4xx code).",
                ),
            ),
            our_choice="422 when the submitted content caused the failure (every address "
            "bounced, the upload gone): a problem (RFC 9457), the status resource as its job "
            "member. When the demo failed (worker lost, internal error), 200 with the status "
            "resource: a 4xx would blame the client, a 5xx the status endpoint, for a job "
            "the server failed.",
        ),
        Stage(
            "canceled",
            (200,),
            members=("status",),
            quotes=(
                request_reply(
                    "issues-and-considerations",
                    "After the backend handles the cancellation, it should update the status "
                    "resource to reflect the cancelled state.",
                ),
            ),
            our_choice="The status endpoint answers it with 200, as any status resource.",
        ),
        Stage(
            "cancel",
            (200,),
            members=("status",),
            quotes=(
                request_reply(
                    "issues-and-considerations",
                    "In some scenarios, you might want to provide a way for clients to cancel a "
                    "long-running request. In that case, expose a DELETE operation on the "
                    "status endpoint resource.",
                ),
                DELETE_STATUSES,
            ),
            our_choice="The page names the method, not its answer: as RFC 9110 section 9.3.5 "
            "says, 200 once the job is canceled.",
        ),
        Stage(
            "cancel-running",
            (202,),
            ("Location", "Retry-After"),
            ("status",),
            quotes=(DELETE_STATUSES,),
            our_choice="A running job stops at its next step: 202, the cancel not yet enacted.",
        ),
        Stage("cancel-finished", (409,), members=PROBLEM, quotes=(CONFLICT,), our_choice=TOO_LATE),
        Stage("expired", (410, 404), members=PROBLEM, quotes=(GONE,), our_choice=EXPIRED),
    ),
    "aip151": (
        Stage(
            "accepted",
            (200,),
            ("Retry-After",),
            ("name", "done", "metadata"),
            quotes=(
                aip(
                    "guidance",
                    "Individual API methods that might take a significant amount of time to "
                    "complete should return a google.longrunning.Operation object instead of "
                    "the ultimate response message.",
                ),
            ),
            our_choice="AIP-151 names no HTTP status: a method returning an Operation "
            "succeeded, so it answers 200 as any successful call does; Retry-After paces "
            "the polls as on every monitor.",
        ),
        Stage(
            "pending",
            (200,),
            ("Retry-After",),
            ("name", "done", "metadata"),
            quotes=(
                longrunning(
                    "L140-L143",
                    "If the value is false, it means the operation is still in progress.",
                ),
                aip(
                    "guidance",
                    "The metadata type is used to provide information such as progress, "
                    "partial failures, and similar information on each GetOperation call.",
                ),
            ),
            our_choice="AIP-151 has no Retry-After; the demo sends it on every pending "
            "answer, as every monitor of a job does.",
        ),
        Stage(
            "succeeded",
            (200,),
            members=("name", "done", "response"),
            quotes=(
                longrunning(
                    "L140-L143",
                    "If true, the operation is completed, and either error or response is "
                    "available.",
                ),
            ),
        ),
        Stage(
            "result",
            (200,),
            members=("response",),
            quotes=(
                longrunning("L152", "The normal response of the operation in case of success."),
            ),
            our_choice="No result URL: the result is embedded in the Operation's response.",
        ),
        Stage(
            "failed",
            (200,),
            members=("name", "done", "error"),
            quotes=(
                longrunning(
                    "L149-L150",
                    "The error result of the operation in case of failure or cancellation.",
                ),
                aip(
                    "errors",
                    "The errors themselves must still be represented with a google.rpc.Status "
                    "object.",
                ),
            ),
        ),
        Stage(
            "canceled",
            (200,),
            members=("name", "done", "error"),
            quotes=(
                longrunning(
                    "L95-L105",
                    "On successful cancellation, the operation is not deleted; instead, it "
                    "becomes an operation with an Operation.error value with a "
                    "google.rpc.Status.code of 1, corresponding to Code.CANCELLED.",
                ),
            ),
        ),
        Stage(
            "cancel",
            (200,),
            quotes=(
                longrunning(
                    "L95-L105",
                    "Starts asynchronous cancellation on a long-running operation. The server "
                    "makes a best effort to cancel the operation, but success is not "
                    "guaranteed.",
                ),
            ),
            our_choice="An empty 200 (the method returns google.protobuf.Empty) whether the "
            "job stops at once or at its next step: the cancel only starts the "
            "cancellation, and the Operation shows when it is done.",
        ),
        Stage("cancel-finished", (409,), members=PROBLEM, our_choice=TOO_LATE),
        Stage(
            "expired",
            (410, 404),
            members=PROBLEM,
            quotes=(
                aip(
                    "expiration",
                    "APIs may allow their operation resources to expire after sufficient time "
                    "has elapsed after the operation completed.",
                ),
            ),
            our_choice=EXPIRED,
        ),
    ),
    "job-resource": (
        Stage(
            "accepted",
            (201,),
            ("Location", "Retry-After"),
            ("jobId", "status", "self", "cancel"),
            quotes=(
                zalando(
                    "For instance, POST /report-jobs returns HTTP status code 201 to indicate "
                    "successful initiation of asynchronous processing together with the "
                    "job-id passed in the response payload and/or via the URL of the Location "
                    "header.",
                ),
            ),
            our_choice="Retry-After is not in rule #253; the demo sends it on every answer "
            "about a pending job, to pace the polls.",
        ),
        Stage(
            "pending",
            (200,),
            ("Retry-After",),
            ("jobId", "status", "self", "cancel"),
            quotes=(
                zalando(
                    "The job-id or Location URL then can be used to poll the processing status "
                    "via GET /report-jobs/{id} which returns HTTP status code 200 with job "
                    "status and optional report-id as response payload.",
                ),
            ),
        ),
        Stage(
            "succeeded",
            (200,),
            members=("status", "resultUrl", "result"),
            quotes=(
                zalando(
                    "Once returned with job status finished, the report-id is provided and can "
                    "be used to fetch the result via GET /reports/{id} which returns 200 and "
                    "the report object as response payload.",
                ),
            ),
            our_choice="status says succeeded (not finished), and the job embeds the result "
            "as well as linking it (resultUrl), so a client needs no second request.",
        ),
        Stage(
            "result",
            (200,),
            members=("jobId", "completedAt"),
            quotes=(
                zalando(
                    "can be used to fetch the result via GET /reports/{id} which returns 200 "
                    "and the report object as response payload.",
                ),
            ),
        ),
        Stage(
            "failed",
            (200,),
            members=("status", "error"),
            our_choice="Rule #253 names no failed job: the job answers 200 with status failed "
            "and the error, since the job resource itself was found.",
        ),
        Stage(
            "canceled",
            (200,),
            members=("status", "error"),
            our_choice="As a failed job: 200 with status canceled.",
        ),
        Stage(
            "cancel",
            (200,),
            ("Content-Location",),
            ("status",),
            quotes=(DELETE_STATUSES,),
            our_choice="Rule #253 names no cancel: DELETE on the job, answered as RFC 9110 "
            "section 9.3.5 says, with the job as it now is.",
        ),
        Stage(
            "cancel-running",
            (202,),
            ("Content-Location", "Location", "Retry-After"),
            ("status", "cancelRequestedAt"),
            quotes=(DELETE_STATUSES,),
            our_choice="A running job stops at its next step: 202, the cancel not yet enacted.",
        ),
        Stage("cancel-finished", (409,), members=PROBLEM, quotes=(CONFLICT,), our_choice=TOO_LATE),
        Stage("expired", (410, 404), members=PROBLEM, quotes=(GONE,), our_choice=EXPIRED),
    ),
    "odata": (
        Stage(
            "accepted",
            (202,),
            ("Location", "Preference-Applied", "Retry-After"),
            quotes=(
                odata(
                    "sec_Preferencerespondasync",
                    "8.2.8.8",
                    "If the client has specified respond-async in the request, the service MAY "
                    "process the request asynchronously and return a 202 Accepted response.",
                ),
                odata(
                    "sec_Preferencerespondasync",
                    "8.2.8.8",
                    "In the case that the service applies the respond-async preference it MUST "
                    "include a Preference-Applied response header containing the respond-async "
                    "preference.",
                ),
                odata(
                    "sec_AsynchronousRequests",
                    "11.6",
                    "Responses that return 202 Accepted MUST include a Location header pointing "
                    "to a status monitor resource that represents the current state of the "
                    "asynchronous processing in addition to an optional Retry-After header "
                    "indicating the time, in seconds, the client should wait before querying "
                    "the service for status.",
                ),
            ),
        ),
        Stage(
            "pending",
            (202,),
            ("Location", "Retry-After"),
            quotes=(
                odata(
                    "sec_AsynchronousRequests",
                    "11.6",
                    "A GET request to the status monitor resource again returns 202 Accepted "
                    "response if the asynchronous processing has not finished. This response "
                    "MUST again include a Location header and MAY include a Retry-After header "
                    "to be used for a subsequent request.",
                ),
            ),
        ),
        Stage(
            "succeeded",
            (200,),
            ("AsyncResult", "Content-Type"),
            quotes=(
                odata(
                    "sec_AsynchronousRequests",
                    "11.6",
                    "A GET request to the status monitor resource returns 200 OK once the "
                    "asynchronous processing has completed.",
                ),
                odata(
                    "sec_HeaderAsyncResult",
                    "8.3.1",
                    "A 4.01 service MUST include the AsyncResult header in 200 OK response from "
                    "a status monitor resource in order to indicate the final HTTP Response "
                    "Status Code of an asynchronously executed request.",
                ),
                odata(
                    "sec_AsynchronousRequests",
                    "11.6",
                    "Any other headers, along with the response body, represent the result of "
                    "the completed asynchronous operation.",
                ),
                odata(
                    "sec_AsynchronousRequests",
                    "11.6",
                    "If the GET request to the status monitor includes an OData-MaxVersion "
                    "header with a value of 4.0 and no Accept header, or an Accept header that "
                    "includes application/http, then the body of the final 200 OK response MUST "
                    "be represented as an HTTP message",
                ),
            ),
        ),
        Stage(
            "result",
            (200,),
            ("AsyncResult",),
            our_choice="OData has no result resource of its own: the final 200 of the status "
            "monitor is the result. GET /api/jobs/{jobId}/result answers it too.",
        ),
        Stage(
            "failed",
            (200,),
            ("AsyncResult", "Content-Type"),
            quotes=(
                odata(
                    "sec_AsynchronousRequests",
                    "11.6",
                    "Any other headers, along with the response body, represent the result of "
                    "the completed asynchronous operation.",
                ),
            ),
            our_choice="A failed job completed its asynchronous processing too: 200, with "
            "the failure's own status in AsyncResult and the failure as the HTTP message.",
        ),
        Stage(
            "canceled",
            (404,),
            quotes=(
                odata(
                    "sec_AsynchronousRequests",
                    "11.6",
                    "After a successful DELETE request against the status monitor resource, any "
                    "subsequent GET requests for the same status monitor resource returns 404 "
                    "Not Found.",
                ),
                odata(
                    "sec_AsynchronousRequests",
                    "11.6",
                    "If an asynchronous request is cancelled for reasons other than the "
                    "consumers issuing a DELETE request against the status monitor resource, a "
                    "GET request to the status monitor resource returns 200 OK with a response "
                    "body containing a single HTTP response with a status code in the 5xx "
                    "Server Error range indicating that the operation was cancelled.",
                ),
            ),
            our_choice="A job is one job: canceled through any convention's cancel, it was "
            "canceled as the consumer asked, so the OData monitor answers 404 either way "
            "(its problem names /api/jobs/{jobId}, which still shows what was delivered).",
        ),
        Stage(
            "cancel",
            (204,),
            quotes=(
                odata(
                    "sec_AsynchronousRequests",
                    "11.6",
                    "A DELETE request sent to the status monitor resource requests that the "
                    "asynchronous processing be canceled. A 200 OK or a 204 No Content response "
                    "indicates that the asynchronous processing has been successfully canceled.",
                ),
            ),
        ),
        Stage(
            "cancel-running",
            (202,),
            ("Location",),
            quotes=(
                odata(
                    "sec_AsynchronousRequests",
                    "11.6",
                    "A 202 Accepted response indicates that the cancellation is being processed "
                    "asynchronously; the client can use the returned Location header (which "
                    "MUST be different from the status monitor resource of the initial request) "
                    "to query for the status of the cancellation.",
                ),
            ),
        ),
        Stage("cancel-finished", (409,), members=PROBLEM, our_choice=TOO_LATE),
        Stage(
            "expired",
            (410, 404),
            members=PROBLEM,
            quotes=(
                odata(
                    "sec_AsynchronousRequests",
                    "11.6",
                    "If the client waits too long to request the result of the asynchronous "
                    "processing, the service responds with a 410 Gone or 404 Not Found.",
                ),
            ),
        ),
    ),
}

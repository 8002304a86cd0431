"""The examples of the document (components/examples): the one made-up job every
example is about, then requests, the job's states and its results. The problem
examples are in problem_examples.py."""

from __future__ import annotations

from typing import Any

# Every example lives on this made-up origin; real responses use the server's.
EXAMPLE_ORIGIN = "https://http202.example.test"

JOB = "job_8fQk2LxT0aZr7YbNc1Vw"
MONITOR = f"{EXAMPLE_ORIGIN}/api/jobs/{JOB}"
OPERATION = f"{EXAMPLE_ORIGIN}/api/operations/{JOB}"
RESULT = f"{MONITOR}/result"
CREATED = "2025-01-01T12:00:00.000Z"
STARTED = "2025-01-01T12:00:00.412Z"
FINISHED = "2025-01-01T12:00:06.207Z"
EXPIRES = "2025-01-02T12:00:06.207Z"

STATUS_BASE = {
    "jobId": JOB,
    "kind": "bulk-email",
    "status": "queued",
    "progress": 0,
    "createdAt": CREATED,
    "estimatedCompletionAt": "2025-01-01T12:00:06.000Z",
    "monitor": MONITOR,
    "operation": OPERATION,
    "message": "Waiting for a worker.",
    "startedAt": None,
    "updatedAt": CREATED,
    "finishedAt": None,
}
QUEUED = {**STATUS_BASE, "cancel": {"method": "DELETE", "href": MONITOR}}
RUNNING = {
    **QUEUED,
    "status": "running",
    "progress": 43,
    "message": "Sent message 2 of 3.",
    "startedAt": STARTED,
    "updatedAt": "2025-01-01T12:00:03.020Z",
}
CANCELED = "A client asked for cancellation (DELETE on the status monitor). 1 of 2 messages "
CANCELED += "had been sent (1 delivered, 0 bounced), 1 not: the report lists which."
CANCELED_ERROR = {
    "type": f"{EXAMPLE_ORIGIN}/api/#problem-canceled",
    "title": "The job was canceled",
    "detail": CANCELED,
    "instance": MONITOR,
    "code": "canceled",
    "message": CANCELED,
}
CANCELED_QUEUED = "A client asked for cancellation (DELETE on the status monitor). 0 of 2 "
CANCELED_QUEUED += "messages had been sent (0 delivered, 0 bounced), 2 not: the report lists which."
BOUNCED = "All 2 recipients were refused (addresses at bounce.example.test always bounce); "
BOUNCED += "nothing was delivered."
FAILED_ERROR = {
    "type": f"{EXAMPLE_ORIGIN}/api/#problem-all-bounced",
    "title": "Every recipient bounced",
    "detail": BOUNCED,
    "instance": MONITOR,
    "code": "all-bounced",
    "message": BOUNCED,
}


def delivery(email: str, index: int, *, bounced: bool = False) -> dict[str, str]:
    return {
        "email": email,
        "name": email.partition("@")[0],
        "messageId": f"<{JOB}.{index}@http202.example.test>",
        "status": "bounced" if bounced else "delivered",
        "detail": "550 5.1.1 Mailbox unavailable (demo bounce domain)"
        if bounced
        else "250 Accepted for local delivery",
    }


FAILED_REPORT = {
    "kind": "bulk-email",
    "subject": "Welcome",
    "outcome": "bounced",
    "counts": {"recipients": 2, "delivered": 0, "bounced": 2},
    "recipients": [
        delivery("a@bounce.example.test", 0, bounced=True),
        delivery("b@bounce.example.test", 1, bounced=True),
    ],
}
NOT_SENT_ADA = {
    "email": "ada@example.test",
    "name": "ada",
    "status": "not-sent",
    "detail": "Not sent: the job was canceled first.",
}
NOT_SENT_GRACE = {**NOT_SENT_ADA, "email": "grace@example.test", "name": "grace"}
CANCELED_REPORT = {
    "kind": "bulk-email",
    "subject": "Welcome",
    "outcome": "canceled",
    "counts": {"recipients": 2, "delivered": 1, "bounced": 0, "notSent": 1},
    "recipients": [delivery("ada@example.test", 0), NOT_SENT_GRACE],
}
PARTIAL_REPORT = {
    "kind": "bulk-email",
    "subject": "Welcome",
    "outcome": "partial",
    "counts": {"recipients": 2, "delivered": 1, "bounced": 1},
    "recipients": [
        delivery("ada@example.test", 0),
        delivery("nobody@bounce.example.test", 1, bounced=True),
    ],
}
FINISHED_AT = {"updatedAt": FINISHED, "finishedAt": FINISHED, "estimatedCompletionAt": FINISHED}
OPERATION_QUEUED = {
    "id": JOB,
    "kind": "bulk-email",
    "status": "NotStarted",
    "progress": 0,
    "message": "Waiting for a worker.",
}


def example(summary: str, value: Any, description: str = "") -> dict[str, Any]:
    return {
        "summary": summary,
        "value": value,
        **({"description": description} if description else {}),
    }


EXAMPLES: dict[str, Any] = {
    # Requests
    "sendToEveryone": example(
        "Success",
        {"subject": "Welcome", "body": "Hello {name}.", "recipients": ["ada@example.test"]},
    ),
    "someBounce": example(
        "Partial success: one recipient bounces, the job still succeeds",
        {
            "subject": "Welcome",
            "body": "Hello {name}, your account is ready.",
            "recipients": [
                "ada@example.test",
                {"email": "grace@slow.example.test", "name": "Grace"},
                "nobody@bounce.example.test",
            ],
        },
    ),
    "everyoneBounces": example(
        "Failure: every recipient bounces, the job ends failed",
        {
            "subject": "Welcome",
            "body": "Hello {name}.",
            "recipients": ["a@bounce.example.test", "b@bounce.example.test"],
        },
    ),
    "slowJob": example(
        "A slow job (cancel it while it runs)",
        {
            "subject": "Welcome",
            "body": "Hello {name}.",
            "recipients": ["a@slow.example.test", "b@slow.example.test"],
        },
    ),
    "textFile": example("A text file as the raw body", "hello world\nsecond line\n"),
    # Accepted and redirected
    # The 202's body is the monitor's representation of the job just queued.
    "bulkEmailAccepted": example("Bulk email queued", QUEUED),
    "fileAccepted": example("File queued", {**QUEUED, "kind": "file-processing"}),
    "seeResult": example(
        "Succeeded: Location is the result",
        {"jobId": JOB, "status": "succeeded", "result": RESULT, "monitor": MONITOR},
    ),
    "seeFailure": example(
        "Failed within Prefer: wait: Location is the status monitor",
        {"jobId": JOB, "status": "failed", "monitor": MONITOR},
    ),
    # The status monitor
    "queued": example("Queued, waiting for a worker", QUEUED),
    "running": example("Running", RUNNING),
    "cancelRequested": example(
        "Running, cancellation requested: it stops at its next step",
        {
            **RUNNING,
            "message": "Cancellation requested; the job stops at its next step.",
            "cancelRequestedAt": "2025-01-01T12:00:03.500Z",
        },
    ),
    "failed": example(
        "Failed: every recipient bounced (the report says which)",
        {
            **STATUS_BASE,
            **FINISHED_AT,
            "status": "failed",
            "progress": 99,
            "message": "Failed: Every recipient bounced.",
            "startedAt": STARTED,
            "error": FAILED_ERROR,
            "report": FAILED_REPORT,
        },
    ),
    "canceled": example(
        "Canceled after its first message: the report says who got it",
        {
            **STATUS_BASE,
            "status": "canceled",
            "progress": 66,
            "message": "Canceled.",
            "startedAt": STARTED,
            "updatedAt": FINISHED,
            "finishedAt": FINISHED,
            "estimatedCompletionAt": FINISHED,
            "cancelRequestedAt": "2025-01-01T12:00:02.500Z",
            "error": CANCELED_ERROR,
            "report": CANCELED_REPORT,
        },
        "Canceled while running: the message to the first recipient had been sent, the "
        "other not. Send again only to the recipients whose status is not-sent.",
    ),
    "canceledWhileQueued": example(
        "Canceled while queued: no step ran",
        {
            **STATUS_BASE,
            "status": "canceled",
            "message": "Canceled.",
            "updatedAt": "2025-01-01T12:00:01.000Z",
            "finishedAt": "2025-01-01T12:00:01.000Z",
            "estimatedCompletionAt": "2025-01-01T12:00:01.000Z",
            "cancelRequestedAt": "2025-01-01T12:00:01.000Z",
            "error": {**CANCELED_ERROR, "detail": CANCELED_QUEUED, "message": CANCELED_QUEUED},
            "report": {
                **CANCELED_REPORT,
                "counts": {"recipients": 2, "delivered": 0, "bounced": 0, "notSent": 2},
                "recipients": [NOT_SENT_ADA, NOT_SENT_GRACE],
            },
        },
    ),
    # The operation
    "operationQueued": example("Queued", OPERATION_QUEUED),
    "operationRunning": example(
        "Running",
        {
            **OPERATION_QUEUED,
            "status": "Running",
            "progress": 43,
            "message": "Sent message 2 of 3.",
        },
    ),
    "operationSucceeded": example(
        "Succeeded: result is the delivery report",
        {
            **OPERATION_QUEUED,
            "status": "Succeeded",
            "progress": 100,
            "message": "Done.",
            "result": PARTIAL_REPORT,
        },
    ),
    "operationFailed": example(
        "Failed: error says why, report who got nothing",
        {
            **OPERATION_QUEUED,
            "status": "Failed",
            "progress": 99,
            "message": "Failed: Every recipient bounced.",
            "error": {
                "code": "all-bounced",
                "message": BOUNCED,
                "innererror": {"type": FAILED_ERROR["type"]},
            },
            "report": FAILED_REPORT,
        },
    ),
    "operationCanceled": example(
        "Canceled: the report says who got the message",
        {
            **OPERATION_QUEUED,
            "status": "Canceled",
            "progress": 66,
            "message": "Canceled.",
            "cancelRequestedAt": "2025-01-01T12:00:02.500Z",
            "report": CANCELED_REPORT,
        },
    ),
    "operationCancelRequested": example(
        "Cancel requested: Running until the job stops at its next step",
        {
            **OPERATION_QUEUED,
            "status": "Running",
            "progress": 43,
            "message": "Sent message 2 of 3.",
            "cancelRequestedAt": "2025-01-01T12:00:02.500Z",
        },
    ),
    # Results
    "deliveryReport": example(
        "Bulk email: a delivery report (here a partial success)",
        {
            "jobId": JOB,
            **PARTIAL_REPORT,
            "completedAt": FINISHED,
            "expiresAt": EXPIRES,
            "monitor": MONITOR,
        },
    ),
    "fileDigest": example(
        "File processing: the file's digest",
        {
            "jobId": JOB,
            "kind": "file-processing",
            "filename": "notes.txt",
            "declaredType": "text/plain",
            "detectedType": "text/plain; charset=utf-8",
            "size": 24,
            "sha256": "1cf34cbeaca6f2ce821c4b6369c37c583b1cc10846122a8c77a4df77d0d5b7b8",
            "lines": 2,
            "words": 4,
            "completedAt": FINISHED,
            "expiresAt": EXPIRES,
            "monitor": MONITOR,
        },
    ),
}

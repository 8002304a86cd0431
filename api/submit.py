"""Starting a job, whichever convention's submit URL was called: intake, then one call
into the job layer, which keeps the outcome preset asked for on the job. Each
convention then answers its own way (``api.representations`` for RFC 9110,
``api.convention_answers`` for the others).
"""

from __future__ import annotations

from dataclasses import replace

from django.http import HttpRequest

from api import intake
from api.clients import client_address
from api.headers import Submission
from jobs import lifecycle
from jobs.models import Job


def start_job(request: HttpRequest, *, kind: str, honour_wait: bool) -> tuple[Job, Submission]:
    """Read the request for a job of this kind (a Job.Kind) and accept it.

    honour_wait: whether Prefer: wait is honoured (only the RFC 9110 convention has
    an answer for a job done in time, its 303); elsewhere the preference is ignored,
    as RFC 7240 lets a server do.

    The submission's preferences are those the answer applies: a wait that did not
    happen (a replay, or no place to wait) is dropped while the job is pending, so
    the 202 carries no Preference-Applied: wait.
    """
    if kind == Job.Kind.BULK_EMAIL:
        email = intake.read_bulk_email(request)
        submission = email.submission
        accepted = lifecycle.accept_bulk_email(
            client=client_address(request),
            subject=email.subject,
            body=email.body,
            recipients=email.recipients,
            fingerprint=email.fingerprint,
            idempotency_key=submission.idempotency_key,
            wait=submission.preferences.wait if honour_wait else None,
            preset=submission.preset,
        )
    else:
        upload = intake.store_upload(request)
        submission = upload.submission
        accepted = lifecycle.accept_file_processing(
            client=client_address(request),
            stored_as=upload.stored_as,
            filename=upload.filename,
            content_type=upload.content_type,
            size=upload.size,
            fingerprint=upload.fingerprint,
            idempotency_key=submission.idempotency_key,
            wait=submission.preferences.wait if honour_wait else None,
            preset=submission.preset,
        )
    job = accepted.job
    if submission.preferences.wait and not accepted.waited and job.is_pending:
        preferences = replace(submission.preferences, wait=None)
        submission = replace(submission, preferences=preferences)
    return job, submission

"""Bulk email: prepare, then render and send each message, then compile the report.

Slow domains add extra steps before their message is accepted.

Each delivery commits in the same transaction as its record in the job's state,
so after a crash the retry skips every recipient already handled.
"""

from __future__ import annotations

import json
import smtplib
import string
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q

from jobs.mail import BOUNCE_DOMAIN, SLOW_DOMAIN, domain_of
from jobs.models import Job, MailboxMessage
from jobs.work.steps import JobFailed, step

LOCAL_BACKEND = "jobs.mail.LocalMailBackend"
# A slow domain keeps the sender waiting this many extra steps before accepting.
SLOW_EXTRA_STEPS = 3
# Rendering and sending are a step each, so a person watching sees both.
STEPS_PER_MESSAGE = 2
# Preparing the batch and compiling the delivery report.
BATCH_STEPS = 2
# The job's state keeps each recipient's delivery under this key, by index: the name
# stored jobs were written with, so a job accepted before an upgrade still resumes.
DELIVERIES = "outcomes"
# What one recipient's delivery and mail row keep besides its address, name, subject and
# message: a Message-ID, a status, a detail and their JSON (twice: in the job's state
# and its result), and the row's Message-ID.
DELIVERY_BYTES = 500
# The delivery report's own members: its kind, its outcome and its counts.
REPORT_BYTES = 200


def planned_steps(*, recipients: list[dict[str, str]]) -> int:
    return BATCH_STEPS + sum(step_weight(email=r["email"]) for r in recipients)


def stored_bytes(*, subject: str, body: str, recipients: list[dict[str, str]]) -> int:
    """About how many bytes the job keeps: what was asked, and per recipient its message as
    delivered (the body rendered for them: {email} a thousand times in the body is a
    thousand addresses per message) and its delivery, kept in the job's state and result.
    """
    literal = names = emails = 0
    # The body's placeholders were checked on acceptance: only {name} and {email}.
    for text, field, _, _ in string.Formatter().parse(body):
        literal += len(text.encode())
        names += field == "name"
        emails += field == "email"
    asked = {"subject": subject, "body": body, "recipients": recipients}
    heading = len(subject.encode())
    # The report repeats the subject; each recipient's address is in its delivery twice,
    # and in its mail row's recipient and Message-ID.
    total = len(json.dumps(asked).encode()) + heading + REPORT_BYTES
    for recipient in recipients:
        name, email = len(recipient["name"].encode()), len(recipient["email"].encode())
        rendered = literal + names * name + emails * email
        total += rendered + heading + 2 * name + 4 * email + DELIVERY_BYTES
    return total


def step_weight(*, email: str) -> int:
    return STEPS_PER_MESSAGE + (SLOW_EXTRA_STEPS if domain_of(email) == SLOW_DOMAIN else 0)


def render_body(*, template: str, recipient: dict[str, str]) -> str:
    # Placeholders were checked on acceptance: only {name} and {email}.
    return template.format_map({"name": recipient["name"], "email": recipient["email"]})


def message_id(*, job: Job, index: int) -> str:
    return f"<{job.public_id}.{index}@http202.example.test>"


def forget_mail(*, job_ids: list[str]) -> int:
    """Delete the mail these jobs delivered (their messages are named after them)."""
    deleted = 0
    # In batches: one condition per job, and databases bound a statement's size.
    for start in range(0, len(job_ids), 200):
        named = Q()
        for job_id in job_ids[start : start + 200]:
            named |= Q(message_id__startswith=f"<{job_id}.")
        deleted += MailboxMessage.objects.filter(named).delete()[0]
    return deleted


def deliver(*, job: Job, index: int, recipient: dict[str, str], body: str) -> dict[str, Any]:
    mid = message_id(job=job, index=index)
    message = EmailMessage(
        subject=job.input["subject"],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient["email"]],
        headers={"Message-ID": mid},
        # Named, not settings.EMAIL_BACKEND: whatever the site's mail setup, the
        # demo must never write to real people.
        connection=get_connection(LOCAL_BACKEND, fail_silently=False),
    )
    delivery = {"email": recipient["email"], "name": recipient["name"], "messageId": mid}
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as refused:
        code, reason = next(iter(refused.recipients.values()))
        detail = reason.decode() if isinstance(reason, bytes) else str(reason)
        return {**delivery, "status": "bounced", "detail": f"{code} {detail}"}
    return {**delivery, "status": "delivered", "detail": "250 Accepted for local delivery"}


def run(*, job: Job) -> dict[str, Any]:
    recipients: list[dict[str, str]] = job.input["recipients"]
    deliveries: dict[str, Any] = dict(job.state.get(DELIVERIES, {}))
    done = 1
    step(job=job, name="prepare", done=done, message=f"Preparing {len(recipients)} messages.")
    for index, recipient in enumerate(recipients):
        if str(index) in deliveries:
            # Delivered or bounced by an earlier attempt: never send twice.
            done += step_weight(email=recipient["email"])
            continue
        position = f"{index + 1} of {len(recipients)}"
        if domain_of(recipient["email"]) == SLOW_DOMAIN:
            for wait in range(1, SLOW_EXTRA_STEPS + 1):
                done += 1
                message = (
                    f"Message {position}: waiting for {SLOW_DOMAIN} ({wait}/{SLOW_EXTRA_STEPS})."
                )
                step(job=job, name=f"wait:{index}:{wait}", done=done, message=message)
        done += 1
        step(
            job=job,
            name=f"render:{index}",
            done=done,
            message=f"Rendered message {position}.",
            work=partial(render_message, recipient=recipient),
        )
        done += 1
        delivery = step(
            job=job,
            name=f"send:{index}",
            done=done,
            message=f"Sent message {position}.",
            work=partial(record_delivery, index=index, recipient=recipient),
        )
        if delivery is not None:
            deliveries[str(index)] = delivery
    step(job=job, name="report", done=done + 1, message="Compiling the delivery report.")
    # A slice that starts at the report finds every delivery in the state.
    deliveries = {**job.state.get(DELIVERIES, {}), **deliveries}
    return delivery_report(job=job, deliveries=[deliveries[str(i)] for i in range(len(recipients))])


def render_message(job: Job, *, recipient: dict[str, str]) -> str:
    return render_body(template=job.input["body"], recipient=recipient)


def record_delivery(job: Job, *, index: int, recipient: dict[str, str]) -> dict[str, Any]:
    # In the step's transaction: the delivery and its record in the job's state
    # commit together, so a retry knows exactly who was already handled. Rendered
    # again here: the render step may have run in an earlier slice.
    body = render_message(job, recipient=recipient)
    delivery = deliver(job=job, index=index, recipient=recipient, body=body)
    job.state.setdefault(DELIVERIES, {})[str(index)] = delivery
    return delivery


def all_handled(job: Job) -> bool:
    """Whether every message was sent (delivered or bounced): nothing to stop is left."""
    return len(job.state.get(DELIVERIES, {})) >= len(job.input["recipients"])


def handled_summary(job: Job) -> str:
    deliveries = job.state.get(DELIVERIES, {}).values()
    delivered = sum(1 for delivery in deliveries if delivery["status"] == "delivered")
    return (
        f"all {len(job.input['recipients'])} messages were sent: {delivered} delivered, "
        f"{len(deliveries) - delivered} bounced"
    )


def delivery_report(*, job: Job, deliveries: list[dict[str, Any]]) -> dict[str, Any]:
    report = _report(job=job, recipients=deliveries)
    delivered, bounced = report["counts"]["delivered"], report["counts"]["bounced"]
    report["outcome"] = "delivered" if not bounced else "partial" if delivered else "bounced"
    if not delivered:
        raise JobFailed(
            code=Job.ErrorCode.ALL_BOUNCED,
            detail=f"All {bounced} recipients were refused (addresses at {BOUNCE_DOMAIN} "
            "always bounce); nothing was delivered.",
            result=report,
        )
    return report


def canceled_report(job: Job) -> dict[str, Any]:
    """The report of a job canceled before it sent every message: who got it, who did not."""
    handled: dict[str, Any] = job.state.get(DELIVERIES, {})
    recipients = [
        handled.get(str(index))
        or {
            "email": recipient["email"],
            "name": recipient["name"],
            "status": "not-sent",
            "detail": "Not sent: the job was canceled first.",
        }
        for index, recipient in enumerate(job.input["recipients"])
    ]
    report = {**_report(job=job, recipients=recipients), "outcome": "canceled"}
    report["counts"]["notSent"] = len(recipients) - len(handled)
    return report


def _report(*, job: Job, recipients: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's members, each recipient listed with what became of its message."""

    def count(status: str) -> int:
        return sum(1 for recipient in recipients if recipient["status"] == status)

    return {
        "kind": Job.Kind.BULK_EMAIL.value,
        "subject": job.input["subject"],
        "outcome": "",
        "counts": {
            "recipients": len(recipients),
            "delivered": count("delivered"),
            "bounced": count("bounced"),
        },
        "recipients": recipients,
    }

"""How a run ended, in words: what the console says once the job reached a final state.

Read from the job, as the console's view of the job's operation is: the console sends
only the requests its timeline shows.
"""

from __future__ import annotations

from typing import Any

from jobs.models import Job
from jobs.work.steps import steps_done, steps_planned


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _deliveries(report: dict[str, Any]) -> str:
    counts = report.get("counts", {})
    messages = _count(counts.get("recipients", 0), "message")
    text = f"{counts.get('delivered', 0)} of {messages} delivered"
    if counts.get("bounced"):
        text += f", {counts['bounced']} bounced"
    if counts.get("notSent"):
        text += f", {counts['notSent']} not sent"
    return text


def in_words(job: Job) -> str:
    """ "2 of 2 messages delivered", "failed: every recipient bounced", "canceled before
    step 3 of 4: …"; empty while the job is pending."""
    report: dict[str, Any] = job.result if isinstance(job.result, dict) else {}
    if job.status == Job.Status.SUCCEEDED:
        if job.kind == Job.Kind.BULK_EMAIL:
            return _deliveries(report)
        size, lines = _count(report.get("size", 0), "byte"), _count(report.get("lines", 0), "line")
        return f"{size} read: {lines}, {_count(report.get('words', 0), 'word')}"
    if job.status == Job.Status.FAILED:
        code = (job.error or {}).get("code", Job.ErrorCode.INTERNAL_ERROR)
        title = Job.ErrorCode(code).label if code in Job.ErrorCode.values else str(code)
        text = f"failed: {title[:1].lower()}{title[1:]}"
        return f"{text} ({_deliveries(report)})" if report.get("counts") else text
    if job.status == Job.Status.CANCELED:
        done, planned = steps_done(job), steps_planned(job)
        text = (
            f"canceled before step {done + 1} of {planned}"
            if done < planned
            else "canceled after its last step"
        )
        return f"{text}: {_deliveries(report)}" if report.get("counts") else text
    return ""

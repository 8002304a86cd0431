"""Entry points for Django's Tasks API: what the db_worker runs."""

from __future__ import annotations

from django_tasks import TaskContext, task

from playground import jobs


@task(takes_context=True)
def run_job(context: TaskContext, job_id: str) -> str:
    """Run (or resume) one attempt of a job.

    The job's own state is recorded on the Job; this task ends SUCCESSFUL when the
    attempt made the job succeed and FAILED (with the reason) however else it ended.
    """
    return jobs.run_attempt(job_id=job_id, task_result_id=context.task_result.id)

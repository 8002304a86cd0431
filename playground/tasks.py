"""Entry points for Django's Tasks API: what the db_worker runs."""

from __future__ import annotations

from django_tasks import TaskContext, task

from playground import jobs


@task(takes_context=True)
def run_job(context: TaskContext, job_id: str) -> str:
    """Run (or resume) one attempt of a job; the job's own outcome is recorded on the Job."""
    result = context.task_result
    return jobs.run_job(job_id=job_id, worker_id=result.worker_ids[-1], task_result_id=result.id)

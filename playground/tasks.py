"""Entry points for Django's Tasks API: what the db_worker runs."""

from __future__ import annotations

from django_tasks import TaskContext, task

from playground import running


@task(takes_context=True)
def run_job(context: TaskContext, job_id: str) -> str:
    """Run one slice of a job: the steps that are due, then hand on (playground/running.py).

    The job's own state is recorded on the Job; this task ends SUCCESSFUL when the
    job succeeded or its next slice is queued, FAILED (with the reason) otherwise.
    """
    return running.run_slice(
        job_id=job_id,
        task_result_id=context.task_result.id,
        # The next slice keeps the place in line admission gave the job.
        priority=context.task_result.task.priority,
    )

"""A site of the previous release upgraded in place keeps every job, task and key.

The previous release kept the job engine's models in the playground app (its
migrations up to 0007) and named the worker's task playground.tasks.run_job. This
release's models are the jobs app's, on the same tables (state-only migrations), and
its task is jobs.running.run_job. The previous release's engine wrote the same rows as
this one (the two differ in import paths only), so the rows here are written by this
release's code; taken back to the previous release's migrations, the database names
the task as that release did.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Field, Model
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs import running
from jobs.models import IdempotencyKey, Job, MailboxMessage
from tests.helpers import (
    ApiClient,
    Killed,
    fault_at,
    make_email_payload,
    raise_,
    run_worker,
    task_of,
)

BULK = "/api/emails/bulk"
# The previous release's migrations: playground's up to 0007, none of the jobs app's
# (the task library's stay at their latest).
PREVIOUS_RELEASE = [("playground", "0007_job_network"), ("jobs", None)]
OLD_TASK = "playground.tasks.run_job"
NEW_TASK = "jobs.running.run_job"
MOVED = ["Job", "IdempotencyKey", "WorkerHeartbeat", "MailboxMessage", "RateLimitEntry"]
CLIENT = "192.0.2.7"


@pytest.fixture
def latest_afterwards() -> Iterator[None]:
    """Leave the database at the latest migrations, whatever the test did to it."""
    yield
    migrate(targets=None)


def migrate(*, targets: list[tuple[str, str | None]] | None) -> Apps:
    """Migrate to targets (None: the latest); the models of the state reached."""
    # A new executor reads which migrations are applied now.
    executor = MigrationExecutor(connection)
    return executor.migrate(targets or executor.loader.graph.leaf_nodes()).apps


def rows(model: type[Model], *, leaving: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    """Every row of the model's table, as stored: by column, not by field name, the
    columns in one order whichever migrations added them."""
    quote = connection.ops.quote_name
    columns = sorted(f.column for f in model._meta.concrete_fields if f.column not in leaving)
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(map(quote, columns))} FROM {quote(table)} ORDER BY {quote(pk)}"
        )
        return [tuple(row) for row in cursor.fetchall()]


def submit(api: ApiClient, *recipients: str, key: str | None = None) -> Any:
    """POST a bulk email from CLIENT; the 202 (a test client's response)."""
    headers = {"Idempotency-Key": key} if key else {}
    payload = make_email_payload(*recipients)
    response = api.post_json(BULK, payload, headers=headers, REMOTE_ADDR=CLIENT)
    assert response.status_code == 202, response.content
    return response


def job_of(response: Any) -> Job:
    return Job.objects.get(public_id=response.json()["jobId"])


def killed_mid_job(job: Job, *, worker_id: str) -> None:
    """A worker claims the job's task and dies after its first delivery: the job stays
    running under that worker's lease, its task RUNNING."""
    task_of(job).claim(worker_id)
    with fault_at("render:1", raise_(Killed())), pytest.raises(Killed):
        running.run_slice(job_id=job.public_id, task_result_id=str(job.task_result_id))
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.lease_expires_at is not None


def answers(api: ApiClient, job: Job) -> list[tuple[int, str | None, bytes]]:
    """What the monitor and the result of a finished job answer."""
    monitor = f"/api/jobs/{job.public_id}"
    return [
        (r.status_code, r.get("Location"), r.content)
        for r in [api.get(url, REMOTE_ADDR=CLIENT) for url in [monitor, f"{monitor}/result"]]
    ]


# The worker commits each task, and the migrations run outside any test transaction.
@pytest.mark.django_db(transaction=True)
def test_an_upgraded_site_keeps_its_jobs_tasks_and_keys(
    latest_afterwards: None, api: ApiClient
) -> None:
    # What a site has on the day it upgrades: a job that finished, a job whose worker
    # died in the middle of it, and a job waiting in the queue, two of them with keys.
    finished_key = submit(api, "ada@example.test", key="finished-key")
    run_worker()
    finished = job_of(finished_key)
    assert finished.status == Job.Status.SUCCEEDED
    finished_answers = answers(api, finished)
    assert [status for status, _, _ in finished_answers] == [303, 200]
    stalled = job_of(submit(api, "bob@example.test", "eve@example.test"))
    killed_mid_job(stalled, worker_id="worker-gone")
    stalled_task = task_of(stalled).pk
    queued_key = submit(api, "cy@example.test", "di@example.test", key="queued-key")
    queued = job_of(queued_key)
    queued_task = task_of(queued).pk

    # Back to the previous release: its migrations only, every table still there.
    old = migrate(targets=PREVIOUS_RELEASE)
    applied = set(MigrationRecorder(connection).applied_migrations())
    assert ("playground", "0007_job_network") in applied
    assert ("playground", "0008_models_moved_to_jobs") not in applied
    assert not [migration for app, migration in applied if app == "jobs"]
    OldTask = old.get_model("django_tasks_database", "DBTaskResult")
    assert set(OldTask.objects.values_list("task_path", flat=True)) == {OLD_TASK}
    OldJob = old.get_model("playground", "Job")
    assert set(OldJob.objects.values_list("status", flat=True)) == {
        "succeeded",
        "running",
        "queued",
    }
    assert OldTask.objects.get(pk=stalled_task).worker_ids == ["worker-gone"]
    # The dead worker's lease ran out before the upgrade.
    OldJob.objects.filter(pk=stalled.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    # A site with the database rate store counts its clients in this table (the tests
    # on PostgreSQL do; on SQLite the limits have a file of their own).
    old.get_model("playground", "RateLimitEntry").objects.get_or_create(
        key=f"jobs:{CLIENT}", defaults={"value": time.time() + 60, "expires": time.time() + 60}
    )
    stored = {name: rows(old.get_model("playground", name)) for name in MOVED}
    assert all(stored.values()), {name: len(r) for name, r in stored.items()}
    stored_tasks = rows(OldTask, leaving=("task_path",))

    # The upgrade.
    new = migrate(targets=None)

    for name in MOVED:
        assert rows(new.get_model("jobs", name)) == stored[name], name
    assert rows(DBTaskResult, leaving=("task_path",)) == stored_tasks
    assert set(DBTaskResult.objects.values_list("task_path", flat=True)) == {NEW_TASK}
    # A key replays its job, not a new one: the request's body and client are the same.
    tasks = DBTaskResult.objects.count()
    for response in [queued_key, finished_key]:
        job = job_of(response)
        recipients = [r["email"] for r in job.input["recipients"]]
        replay = submit(api, *recipients, key=IdempotencyKey.objects.get(job=job).key)
        assert replay.json()["jobId"] == job.public_id
        assert replay["Location"] == response["Location"]
    assert Job.objects.count() == 3 and DBTaskResult.objects.count() == tasks

    run_worker()

    # The queued job ran under its own task, first time: a worker of this release ran it.
    queued.refresh_from_db()
    assert queued.status == Job.Status.SUCCEEDED and queued.attempts == 1, queued.error
    assert queued.task_result_id == queued_task
    assert task_of(queued).status == TaskResultStatus.SUCCESSFUL
    # The dead worker's job was retried, and finished without delivering twice.
    stalled.refresh_from_db()
    assert stalled.status == Job.Status.SUCCEEDED and stalled.attempts == 2, stalled.error
    assert stalled.result["counts"]["delivered"] == 2
    for address in ["bob@example.test", "eve@example.test"]:
        assert MailboxMessage.objects.filter(recipient=address).count() == 1
    lost = DBTaskResult.objects.get(pk=stalled_task)
    assert lost.status == TaskResultStatus.FAILED
    assert lost.exception_class_path == "jobs.recovery.WorkerLost"
    # The finished job answers as it did before the upgrade.
    assert answers(api, finished) == finished_answers


def described(model: type[Model]) -> dict[str, Any]:
    """What a model says of its table: the columns, their types, indexes and constraints."""
    column_of = {f.name: f.column for f in model._meta.concrete_fields}

    def column(field: Field[Any, Any]) -> tuple[Any, ...]:
        options = field.deconstruct()[3]
        target = field.related_model
        return (
            field.db_type(connection),
            *(options.get(name, False) for name in ["primary_key", "null", "unique", "db_index"]),
            target._meta.db_table if isinstance(target, type) else None,
            field.remote_field.on_delete.__name__ if field.remote_field else None,
        )

    return {
        "table": model._meta.db_table,
        "columns": {f.column: column(f) for f in model._meta.concrete_fields},
        "indexes": sorted((i.name, [column_of[f] for f in i.fields]) for i in model._meta.indexes),
        "constraints": sorted(
            (c.name, [column_of[f] for f in getattr(c, "fields", ())])
            for c in model._meta.constraints
        ),
    }


def test_the_moved_models_describe_the_tables_they_moved_with() -> None:
    # The move is state only: the jobs app's first state must be, table for table, what
    # the playground app's migrations made, or a later migration would alter a table
    # that is not there as it believes.
    loader = MigrationLoader(None, ignore_no_migrations=True)
    made = loader.project_state([("playground", "0007_job_network")]).apps
    moved = loader.project_state([("jobs", "0001_initial")]).apps
    for name in MOVED:
        before = described(made.get_model("playground", name))
        assert described(moved.get_model("jobs", name)) == before, name

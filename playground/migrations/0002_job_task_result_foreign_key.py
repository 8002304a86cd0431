# Job.task_result_id (a UUID kept as text) becomes a real foreign key to the task of
# the current attempt; Job.worker_id goes (the task's worker_ids say who runs it).

import uuid

import django.db.models.deletion
from django.db import migrations, models


def link_task_results(apps, schema_editor):
    Job = apps.get_model("playground", "Job")
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for job in Job.objects.exclude(old_task_result_id=""):
        try:
            task_id = uuid.UUID(job.old_task_result_id)
        except ValueError:
            continue
        if DBTaskResult.objects.filter(pk=task_id).exists():
            Job.objects.filter(pk=job.pk).update(task_result_id=task_id)


def unlink_task_results(apps, schema_editor):
    Job = apps.get_model("playground", "Job")
    for job in Job.objects.exclude(task_result=None):
        Job.objects.filter(pk=job.pk).update(old_task_result_id=str(job.task_result_id))


class Migration(migrations.Migration):
    dependencies = [
        ("playground", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RenameField("job", "task_result_id", "old_task_result_id"),
        migrations.AddField(
            model_name="job",
            name="task_result",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="django_tasks_database.dbtaskresult",
            ),
        ),
        migrations.RunPython(link_task_results, unlink_task_results),
        migrations.RemoveField("job", "old_task_result_id"),
        migrations.RemoveField("job", "worker_id"),
    ]

"""The job engine's models, moved here from the playground app: state only.

The tables are the ones the playground app's migrations made (each model keeps its
db_table), with their rows: nothing is copied or altered. Queued tasks named the
task by its old path; they are pointed at the same task's new one, so a worker of
this release runs them.
"""

import django.db.models.deletion
import jobs.models
from django.db import migrations, models

OLD_TASK = "playground.tasks.run_job"
NEW_TASK = "jobs.running.run_job"


def point_tasks(apps, schema_editor, *, old: str, new: str) -> None:
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path=old).update(task_path=new)


def to_new_path(apps, schema_editor):
    point_tasks(apps, schema_editor, old=OLD_TASK, new=NEW_TASK)


def to_old_path(apps, schema_editor):
    point_tasks(apps, schema_editor, old=NEW_TASK, new=OLD_TASK)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('django_tasks_database', '0021_conditional_partial_index_ordering'),
        ('playground', '0007_job_network'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                    migrations.CreateModel(
                        name='MailboxMessage',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('message_id', models.CharField(max_length=255, unique=True)),
                            ('recipient', models.CharField(max_length=254)),
                            ('subject', models.CharField(max_length=200)),
                            ('body', models.TextField()),
                            ('delivered_at', models.DateTimeField(auto_now_add=True)),
                        ],
                        options={
                            'db_table': 'playground_mailboxmessage',
                        },
                    ),
                    migrations.CreateModel(
                        name='RateLimitEntry',
                        fields=[
                            ('key', models.CharField(max_length=200, primary_key=True, serialize=False)),
                            ('value', models.FloatField()),
                            ('expires', models.FloatField(db_index=True)),
                        ],
                        options={
                            'db_table': 'playground_ratelimitentry',
                        },
                    ),
                    migrations.CreateModel(
                        name='WorkerHeartbeat',
                        fields=[
                            ('worker_id', models.CharField(max_length=64, primary_key=True, serialize=False)),
                            ('pid', models.PositiveIntegerField()),
                            ('started_at', models.DateTimeField(auto_now_add=True)),
                            ('seen_at', models.DateTimeField()),
                        ],
                        options={
                            'db_table': 'playground_workerheartbeat',
                        },
                    ),
                    migrations.CreateModel(
                        name='Job',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('public_id', models.CharField(default=jobs.models.new_job_id, max_length=40, unique=True)),
                            ('kind', models.CharField(choices=[('bulk-email', 'Bulk Email'), ('file-processing', 'File Processing')], max_length=20)),
                            ('client', models.CharField(blank=True, default='', max_length=64)),
                            ('network', models.CharField(blank=True, db_index=True, default='', max_length=64)),
                            ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('canceled', 'Canceled')], default='queued', max_length=10)),
                            ('progress', models.PositiveSmallIntegerField(default=0)),
                            ('message', models.CharField(default='Waiting for a worker.', max_length=200)),
                            ('input', models.JSONField(default=dict)),
                            ('state', models.JSONField(default=dict)),
                            ('result', models.JSONField(blank=True, null=True)),
                            ('error', models.JSONField(blank=True, null=True)),
                            ('attempts', models.PositiveSmallIntegerField(default=0)),
                            ('lease_expires_at', models.DateTimeField(blank=True, null=True)),
                            ('cancel_requested_at', models.DateTimeField(blank=True, null=True)),
                            ('created_at', models.DateTimeField(auto_now_add=True)),
                            ('started_at', models.DateTimeField(blank=True, null=True)),
                            ('updated_at', models.DateTimeField(auto_now=True)),
                            ('finished_at', models.DateTimeField(blank=True, null=True)),
                            ('estimated_completion_at', models.DateTimeField()),
                            ('expires_at', models.DateTimeField(blank=True, null=True)),
                            ('pruned', models.BooleanField(default=False)),
                            ('preset', models.CharField(blank=True, choices=[('', 'none'), ('retry-after-date', 'Retry After Date'), ('monitor-503', 'Monitor 503'), ('monitor-429', 'Monitor 429'), ('gone-after-done', 'Gone After Done'), ('lost-by-worker', 'Lost By Worker')], db_column='outcome', default='', max_length=30)),
                            ('monitor_answers', models.PositiveIntegerField(default=0)),
                            ('task_result', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='django_tasks_database.dbtaskresult')),
                        ],
                        options={
                            'db_table': 'playground_job',
                        },
                    ),
                    migrations.CreateModel(
                        name='IdempotencyKey',
                        fields=[
                            ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                            ('client', models.CharField(max_length=64)),
                            ('kind', models.CharField(choices=[('bulk-email', 'Bulk Email'), ('file-processing', 'File Processing')], max_length=20)),
                            ('key', models.CharField(max_length=255)),
                            ('fingerprint', models.CharField(max_length=64)),
                            ('created_at', models.DateTimeField(auto_now_add=True)),
                            ('job', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to='jobs.job')),
                        ],
                        options={
                            'db_table': 'playground_idempotencykey',
                        },
                    ),
                    migrations.AddIndex(
                        model_name='job',
                        index=models.Index(fields=['status', 'lease_expires_at'], name='playground__status_238543_idx'),
                    ),
                    migrations.AddIndex(
                        model_name='job',
                        index=models.Index(fields=['expires_at'], name='playground__expires_ef302d_idx'),
                    ),
                    migrations.AddIndex(
                        model_name='job',
                        index=models.Index(fields=['client', 'status'], name='playground__client_8b4ef3_idx'),
                    ),
                    migrations.AddConstraint(
                        model_name='idempotencykey',
                        constraint=models.UniqueConstraint(fields=('client', 'kind', 'key'), name='unique_idempotency_key_per_client'),
                    ),
    
            ],
        ),
        migrations.RunPython(to_new_path, to_old_path),
    ]

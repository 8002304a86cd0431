"""The models moved to the job engine (jobs/migrations/0001_initial.py): state only,
the tables and their rows stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('playground', '0007_job_network'),
        ('jobs', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='idempotencykey',
                    name='job',
                ),
                migrations.RemoveField(
                    model_name='job',
                    name='task_result',
                ),
                migrations.DeleteModel(
                    name='MailboxMessage',
                ),
                migrations.DeleteModel(
                    name='RateLimitEntry',
                ),
                migrations.DeleteModel(
                    name='WorkerHeartbeat',
                ),
                migrations.DeleteModel(
                    name='IdempotencyKey',
                ),
                migrations.DeleteModel(
                    name='Job',
                ),
    
            ],
        ),
    ]

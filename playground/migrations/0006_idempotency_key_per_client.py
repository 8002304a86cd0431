"""Idempotency-Keys become each client's own: unique per (client, kind, key).

A key's client is its job's. A key claimed by a request that never created its job
has no client to take: it gets one no request can ever have (client keys are
addresses, networks or "unknown"), so no stranger can ever replay or block it, and
it expires as every abandoned claim does.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

NO_CLIENT = "(claimed before keys were per client)"


def keys_take_their_jobs_client(apps: Any, schema_editor: Any) -> None:
    IdempotencyKey = apps.get_model("playground", "IdempotencyKey")
    Job = apps.get_model("playground", "Job")
    owner = Job.objects.filter(pk=OuterRef("job_id")).values("client")[:1]
    IdempotencyKey.objects.filter(job__isnull=False).update(client=Subquery(owner))


class Migration(migrations.Migration):
    dependencies = [
        ("playground", "0005_rate_limit_entry"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencykey",
            name="client",
            field=models.CharField(default=NO_CLIENT, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(keys_take_their_jobs_client, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="idempotencykey",
            name="unique_idempotency_key",
        ),
        migrations.AddConstraint(
            model_name="idempotencykey",
            constraint=models.UniqueConstraint(
                fields=("client", "kind", "key"), name="unique_idempotency_key_per_client"
            ),
        ),
    ]

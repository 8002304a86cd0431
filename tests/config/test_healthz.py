"""/healthz when the database does not answer: it says so, and no more."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.test import Client

DRIVER_MESSAGE = (
    'connection to server at "db.internal.example" (10.20.30.40), port 5432 failed: '
    'FATAL: password authentication failed for user "http202"'
)


def refuse(*args: object, **kwargs: object) -> None:
    raise OperationalError(DRIVER_MESSAGE)


@pytest.mark.django_db
def test_healthz_says_database_unavailable_without_the_drivers_message(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    database = response.json()["checks"]["database"]
    assert database == {"status": "error", "detail": "database unavailable"}
    for leaked in ("db.internal.example", "10.20.30.40", "5432", "http202"):
        assert leaked not in response.content.decode()
    # The operator still reads what went wrong.
    assert DRIVER_MESSAGE in caplog.text

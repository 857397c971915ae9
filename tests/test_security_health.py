"""The health check (issue 10): GET /health/ answers without sign-in, 200 and a small JSON
object when the database, the migrations, the cache, the storage and (with REDIS_URL) a
worker are well; 500 naming what failed when one is not. Failures are mocked."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from celery.app.control import Control, Inspect
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.urls import reverse

from hvs_qa import health

# serialized_rollback, as every transactional test here: a plain flush afterwards recreates the
# content types, and the next serialized test restoring its own would meet them twice.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _get(client, **headers):
    response = client.get(reverse("health"), **headers)
    return response, json.loads(response.content)


def test_healthy_without_signing_in(client, settings):
    settings.REDIS_URL = ""
    response, body = _get(client)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert set(body.values()) == {"OK"}
    assert set(body) == {"Database", "Migrations", "Cache", "Storage"}  # no worker to ping without Redis
    assert "no-cache" in response["Cache-Control"] and not response.cookies
    # The same JSON whatever the client asks for (no HTML page, feed or metrics).
    for accept in ("text/html", "text/plain", "application/rss+xml"):
        assert _get(client, HTTP_ACCEPT=accept)[1] == body
    assert client.get(reverse("health"), {"format": "openmetrics"}).json() == body


def test_the_database_unreachable_is_a_500(client, monkeypatch):
    def unreachable(self):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "temporary_connection", unreachable)
    response, body = _get(client)
    assert response.status_code == 500
    # What failed, not why (that goes to the log): no host names or messages to anyone.
    assert body == {"Database": "unavailable", "Migrations": "OK", "Cache": "OK", "Storage": "OK"}
    assert b"could not connect" not in response.content


def test_unapplied_migrations_are_a_500(client, monkeypatch):
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [("reporting.0099", False)])
    response, body = _get(client)
    assert response.status_code == 500
    assert body["Migrations"] == "unavailable" and body["Database"] == "OK"


def test_with_redis_a_worker_must_answer_the_ping(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:6379/6"
    settings.HEALTH_CELERY_TIMEOUT = 0.1
    monkeypatch.setattr(Control, "ping", lambda self, **kwargs: [])
    response, body = _get(client)
    assert response.status_code == 500
    assert body["Ping"] == "unavailable"

    monkeypatch.setattr(Control, "ping", lambda self, **kwargs: [{"celery@web": {"ok": "pong"}}])
    monkeypatch.setattr(Inspect, "active_queues", lambda self: {"celery@web": [{"name": "celery"}]})
    response, body = _get(client)
    assert response.status_code == 200 and set(body.values()) == {"OK"}


def test_bin_healthcheck_says_unhealthy_when_nothing_listens():
    script = Path(__file__).resolve().parent.parent / "bin" / "healthcheck"
    result = subprocess.run(
        [sys.executable, str(script)], env={"PORT": "8709", "PATH": "/usr/bin:/bin"}, capture_output=True, timeout=20
    )
    assert result.returncode == 1 and b"unhealthy" in result.stdout

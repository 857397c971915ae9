"""bench/http.py at a tiny size: the authority built, gunicorn started with production
settings on a port of HVS_TEST_PORTS, a role signed in over HTTP with its second factor, a
few pages measured against the bare view. PostgreSQL only (the benchmark refuses SQLite):
elsewhere it skips as "service unavailable", a failure with HVS_REQUIRE_SERVICES=1 (CI)."""

import argparse
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from bench import authority
from bench import http as bench_http

from .servers import free_port
from .services import require_service


@pytest.fixture
def _postgresql():
    # Before the database is set up for the test: a skip after it would leave SQLite's
    # serialized rollback half done for the transactional tests after this one.
    require_service("postgresql", connection.vendor == "postgresql", "bench/http.py measures PostgreSQL")


@pytest.fixture
def served(_postgresql, tmp_path, django_db_serialized_rollback, transactional_db):
    # Serialized rollback, as every transactional test here: a plain flush would re-create
    # the content types (post_migrate), and the next test restoring them would collide.
    db = connection.settings_dict
    env = bench_http.server_environment(str(tmp_path / "queries.log"))
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env["DATABASE_URL"] = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    args = argparse.Namespace(port=free_port(), workers=1, threads=2)
    # gunicorn loads the app while the authority is built.
    server = bench_http.start_server(args, env, tmp_path / "gunicorn.log", wait=False)
    try:
        authority.build_reporting_authority(children=20, officers=5, managers=2, years=1, reviewed=0.3, seed=2026)
        # Production's hasher (the suite's MD5 is not in its list), with few iterations: the
        # server checks it fast (and upgrades it once).
        hasher = PBKDF2PasswordHasher()
        context = bench_http.prepare(hasher.encode(bench_http.PASSWORD, hasher.salt(), iterations=1000))
        bench_http.wait_for_server(server, args.port, tmp_path / "gunicorn.log")
        yield args.port, context, bench_http.QueryLog(tmp_path / "queries.log")
    finally:
        bench_http.stop_server(server)


def test_pages_are_measured_over_http_against_the_bare_view(served):
    port, context, queries = served
    client = bench_http.Client(port)
    client.sign_in("bench-vsh", context["tokens"]["bench-vsh"][0])
    pages = {(p.name, p.role): p for p in bench_http.pages_for(context)}
    results = [
        bench_http.measure_page(pages[key], client, repeat=2, queries=queries)
        for key in [("start page", "vsh"), ("PEP list: sorted by judgement", "vsh"), ("dashboard", "vsh")]
    ]
    for result in results:
        assert result["ok"] and set(result["statuses"]) == {"200"}, result
        assert result["p95_ms"] > 0 and result["bare_p95_ms"] > 0 and result["ratio"] > 0
        # Counted in the server: more than the bare view's session, user and device.
        assert result["queries"] is not None and result["queries"] > 3
    rows = bench_http.format_pages(results)
    assert "start page" in rows and "dashboard" in rows


def test_the_benchmark_refuses_sqlite(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(Path("/tmp/never.sqlite3")))
    with pytest.raises(SystemExit, match="PostgreSQL"):
        bench_http.setup_django({})

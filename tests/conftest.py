import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from core.vocabulary import Role
from hvs_qa.celery import app
from peps.models import PepStatus, PepStatusChange, Term
from reporting import background
from reporting import pdf as reporting_pdf
from reviews.services import save_review, start_review
from sampling.models import SampleEntry, SampleKind
from sampling.services import draw_term_samples, start_entry_review

from .factories import (
    ChildFactory,
    PepFactory,
    SchoolFactory,
    SocialCareTeamFactory,
    SocialWorkerFactory,
    TermFactory,
    UserFactory,
)
from .factories import rate_all as _rate_all
from .second_factor import force_login_with_second_factor
from .services import ENV_VAR, SKIP_PREFIX, require_service, services_required


@pytest.fixture(scope="session", autouse=True)
def _health_check_without_a_worker():
    """With REDIS_URL set (CI), /health/ would ping a worker on the default queue, which no
    test runs (the real worker has a queue of its own): tests/test_security_health.py turns
    it on where it asks for a worker."""
    with override_settings(HEALTH_CHECK_WORKER=False):
        yield


@pytest.fixture(scope="session", autouse=True)
def _session_activity_once():
    """Activity is written to the session once: a slow run (a loaded machine) must not add
    a session write to a page's query count. tests/test_security_sessions.py sets it back."""
    with override_settings(SESSION_ACTIVITY_RESOLUTION=24 * 60 * 60):
        yield


@pytest.fixture(scope="session", autouse=True)
def _reports_inline():
    """Without Redis the app builds reports in a thread after the request; tests build them
    inline so that they see the result at once. tests/test_reporting_background.py uses
    the threads (``reports_in_threads``)."""
    with override_settings(REPORTS_IN_PROCESS="inline"):
        yield


@pytest.fixture
def reports_in_threads(settings):
    """The embedded default as it runs: reports built in the pool after the request; the
    pool is waited for at the end, so no build outlives the test."""
    settings.REPORTS_IN_PROCESS = "thread"
    yield background
    assert background.wait(timeout=10), "a report build was still running"


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Factories set a password on every user; the default PBKDF2 makes that the slowest
    part of a test. Session-scoped, so Hypothesis tests see no function-scoped fixture."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


# --- The second factor (issue 10): OTP_REQUIRED stays on in the tests, as in production.
# Client.force_login (the suite's 170 sign-ins, pytest-django's admin_client) also gives the
# session a real confirmed authenticator device, as django_otp.login does after a code.
# tests/second_factor.py has password_only_login for the tests of the second factor itself.


@pytest.fixture(scope="session", autouse=True)
def _force_login_gives_the_second_factor():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "force_login", force_login_with_second_factor)
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """With HVS_REQUIRE_SERVICES=1, a "service unavailable" skip is reported as a failure."""
    report = yield
    if report.skipped and services_required() and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        if reason.startswith(SKIP_PREFIX):
            report.outcome = "failed"
            report.longrepr = f"{reason} (skips are failures with {ENV_VAR}=1)"
    return report


# People: two teams, each a manager with one officer, plus the whole-school roles.


@pytest.fixture
def manager(db):
    return UserFactory(role=Role.MANAGER, username="manager")


@pytest.fixture
def officer(manager):
    return UserFactory(role=Role.OFFICER, username="officer", line_manager=manager)


@pytest.fixture
def other_manager(db):
    return UserFactory(role=Role.MANAGER, username="other_manager")


@pytest.fixture
def other_officer(other_manager):
    return UserFactory(role=Role.OFFICER, username="other_officer", line_manager=other_manager)


@pytest.fixture
def lead(db):
    return UserFactory(role=Role.LEAD, username="lead")


@pytest.fixture
def vsh(db):
    return UserFactory(role=Role.VSH, username="vsh")


@pytest.fixture
def administrator(db):
    return UserFactory(role=Role.ADMINISTRATOR, username="administrator")


# PEPs


@pytest.fixture
def pep(officer):
    """A submitted SSA (Year 5) PEP of a child on ``officer``'s caseload."""
    child = ChildFactory(allocated_officer=officer, year_group=5)
    return PepFactory(child=child, status=PepStatus.SUBMITTED)


@pytest.fixture
def one_re_rating(manager, other_manager, pep):
    """One PEP rated Gold, re-rated Green in cross-moderation."""
    review = start_review(pep, manager)
    save_review(review, _rate_all(review, ["gold"] * 8), strengths="", development_points="", submit=True)
    draw_term_samples(pep.term)
    entry = SampleEntry.objects.get(assigned_to=other_manager, sample__kind=SampleKind.CROSS_MODERATION, pep=pep)
    moderation = start_entry_review(entry, other_manager)
    save_review(moderation, _rate_all(moderation, ["green"] * 8), strengths="", development_points="", submit=True)
    return entry


@pytest.fixture
def other_pep(other_officer, pep):
    """A submitted PEP, same term as ``pep``, of a child on ``other_officer``'s caseload."""
    child = ChildFactory(allocated_officer=other_officer, year_group=5)
    return PepFactory(child=child, term=pep.term, status=PepStatus.SUBMITTED)


@pytest.fixture
def rate_all():
    """``rate_all(review, ratings, comment="ok")``: the ``areas`` dict for ``save_review``."""
    return _rate_all


# The suite's budget: no test over five seconds. Listed at the end of every run (CI also
# prints the ten slowest), so a slow test is seen when it is written.
TEST_SECONDS_BUDGET = 5.0


def pytest_terminal_summary(terminalreporter):
    slow = [
        (report.duration, report.nodeid)
        for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
        if report.when == "call" and report.duration > TEST_SECONDS_BUDGET
    ]
    if slow:
        terminalreporter.section(f"tests over the {TEST_SECONDS_BUDGET:.0f} s budget")
        for duration, nodeid in sorted(slow, reverse=True):
            terminalreporter.write_line(f"{duration:5.1f} s  {nodeid}")


# Celery: tasks in-process, or a real worker on a queue of its own.

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def eager(settings):
    """Tasks run in-process. Celery reads its configuration once, so set it on the app
    too (in CI REDIS_URL is set, which makes the app non-eager)."""
    # Read before the settings change: the app reads its configuration from the settings
    # the first time it is asked, and read after, "before" would be eager for good.
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


WORKER_READY_SECONDS = 30


def _redis_reachable(url: str) -> tuple[bool, str]:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "unavailable"
        return False, f"{type(exc).__name__}: {exc}"
    return True, ""


def _test_database_url() -> str:
    """The URL of the test database (pytest-django's test_<name>), for the worker."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


@pytest.fixture(scope="module")
def worker_env():
    """What the module's worker runs with beyond the test database and Redis: a module
    overrides this fixture to give it more (tests/test_notices_tasks.py: its mail server,
    and a Redis of its own as ``REDIS_URL``, the Celery app pointed there first)."""
    return {}


@pytest.fixture(scope="module")
def worker_queue(django_db_setup, tmp_path_factory, worker_env):
    """A Celery worker subprocess consuming a queue of its own, on the test database (so
    after ``django_db_setup``); yields the queue name (its hostname: the queue name
    ``@localhost``). Stopped at the end, or on failure."""
    broker = worker_env.get("REDIS_URL", settings.REDIS_URL)
    require_service("redis", bool(broker), "REDIS_URL is not set")
    require_service("redis", *_redis_reachable(broker))
    require_service(
        "postgresql",
        connection.vendor == "postgresql",
        f"the worker needs a shared database, not {connection.vendor}; set DATABASE_URL to PostgreSQL",
    )
    eager_before = app.conf.task_always_eager
    app.conf.task_always_eager = False  # False anyway when REDIS_URL is set
    run = uuid.uuid4().hex[:10]
    queue, hostname = f"hvs-qa-test-{run}", f"hvs-qa-test-{run}@localhost"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "hvs_qa.settings",
        "DB_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
        **{name: str(value) for name, value in worker_env.items()},
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "hvs_qa",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-l",
        "info",
        "-Q",
        queue,
        "-n",
        hostname,
        "--without-gossip",
        "--without-mingle",
    ]
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while True:
            if worker.poll() is not None:
                pytest.fail(f"the Celery worker exited ({worker.returncode}):\n{_tail(log_path)}")
            if app.control.ping(destination=[hostname], timeout=1):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"the Celery worker was not ready within {WORKER_READY_SECONDS} s:\n{_tail(log_path)}")
        yield queue
    finally:
        worker.terminate()  # warm shutdown
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)
        app.conf.task_always_eager = eager_before
        _forget_queue(queue, broker)


def _forget_queue(queue: str, broker: str) -> None:
    """Remove the test queue's keys from Redis (each run uses a new queue name)."""
    import redis

    client = redis.Redis.from_url(broker, socket_connect_timeout=2)
    try:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    except redis.ConnectionError:
        pass  # a Redis of the module's own, stopped already


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# Redis of a test's own: a redis-server process on a free port, and the Celery app pointed
# at it (or at a port where nothing listens) as a web process with REDIS_URL would be.

REDIS_READY_SECONDS = 5


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on: the first free one of
    HVS_TEST_PORTS ("8620-8629", on a machine shared by several checkouts), else one the
    system picks (from its ephemeral range, which it hands out in turn)."""
    first, _, last = os.environ.get("HVS_TEST_PORTS", "").partition("-")
    candidates = list(range(int(first), int(last or first) + 1)) if first else [0]
    # pytest-xdist workers take turns (gw0 the first port, gw1 the second...), so two
    # workers never pick the same port at the same moment.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    if first and workers > 1:
        candidates = candidates[worker % workers :: workers]
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    pytest.fail(f"no free port in HVS_TEST_PORTS={os.environ['HVS_TEST_PORTS']}")


@dataclass
class RedisServer:
    binary: str
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + REDIS_READY_SECONDS
        while True:
            try:
                self.client().ping()
                return
            except Exception:  # noqa: BLE001 - not up yet
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server on port {self.port} did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=5)


@pytest.fixture
def redis_server():
    """A redis-server of this test's own (no persistence) on a free port, stopped at the
    end (``stop()`` and ``start()`` it in between); skips (or fails, with
    HVS_REQUIRE_SERVICES=1) where the binary is not installed."""
    binary = shutil.which("redis-server")
    require_service("redis-server", bool(binary), "the redis-server binary is not installed")
    server = RedisServer(binary, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _reset_celery_connections() -> None:
    from kombu import pools

    pools.reset()  # closes every broker connection pool and forgets it
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)  # the result store, made again from the conf


@contextmanager
def celery_broker_at(url: str):
    """The Celery app queues to ``url`` (not in-process), as with REDIS_URL=``url``; put
    back as it was afterwards."""
    keys = ("broker_url", "result_backend", "task_always_eager")
    before = {key: app.conf[key] for key in keys}
    _reset_celery_connections()
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    try:
        with override_settings(REDIS_URL=url, CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False):
            yield
    finally:
        _reset_celery_connections()
        app.conf.update(before)


# A small school with hand-counted figures (the reporting tests' numbers).


@dataclass
class SmallSchool:
    term: Term
    teams: dict
    peps: dict


@pytest.fixture
def small_school(officer, other_officer):
    """Four PEPs of one term, worked out by hand:

    ===== ======= ==== ========== ========= ========= =========== ======== ======== =====================
    child officer year status     judgement completed meeting     SW there SW notes returned
    ===== ======= ==== ========== ========= ========= =========== ======== ======== =====================
    Ava   officer 1    finalised  gold      on time   held        yes      yes      no
    Ben   officer 5    finalised  green     on time   held        no       no       yes, then amended
    Cal   other   9    returned   amber     late      held        yes      yes      yes
    Dee   other   12   submitted  -         no        not held    no       no       no
    ===== ======= ==== ========== ========= ========= =========== ======== ======== =====================

    Completed by the deadline: 2 of 4 (50%); completed 3 (75%); good or better 2 of 3
    judged (67%); 1 Gold; returned 2, amended 1, still returned 1. Alpha team (Ava, Ben):
    2 meetings, SW at 1 (50%), 1 section updated of 2 (50%); Beta team (Cal, Dee):
    1 meeting, SW at 1 (100%), 1 of 2 updated (50%).
    """
    term = TermFactory()
    deadline = term.pep_deadline
    alpha, beta = SocialCareTeamFactory(name="Alpha team"), SocialCareTeamFactory(name="Beta team")
    north, south = SchoolFactory(name="North Primary"), SchoolFactory(name="South Academy")
    rows = [
        ("Ava", officer, 1, PepStatus.FINALISED, "gold", deadline - timedelta(days=5), True, True, True, alpha, north),
        ("Ben", officer, 5, PepStatus.FINALISED, "green", deadline, True, False, False, alpha, north),
        (
            "Cal",
            other_officer,
            9,
            PepStatus.RETURNED,
            "amber",
            deadline + timedelta(days=2),
            True,
            True,
            True,
            beta,
            south,
        ),
        ("Dee", other_officer, 12, PepStatus.SUBMITTED, "", None, False, False, False, beta, south),
    ]
    peps = {}
    for name, by, year, status, judgement, completed, held, sw, notes, team, school in rows:
        child = ChildFactory(
            first_name=name,
            last_name="Pupil",
            year_group=year,
            allocated_officer=by,
            school=school,
            social_worker=SocialWorkerFactory(team=team),
        )
        peps[name] = PepFactory(
            child=child,
            term=term,
            status=status,
            judgement=judgement,
            date_completed=completed,
            meeting_date=term.start_date + timedelta(weeks=3) if held else None,
            sw_attended=sw,
            sw_section_updated=notes,
        )
    for name, changes in {
        "Ben": [("submitted", "returned"), ("returned", "submitted"), ("submitted", "finalised")],
        "Cal": [("submitted", "returned")],
    }.items():
        for from_status, to_status in changes:
            PepStatusChange.objects.create(pep=peps[name], from_status=from_status, to_status=to_status)
    return SmallSchool(term, {"alpha": alpha, "beta": beta}, peps)


# Social care teams and their exceptions (the social care reports' tests).


@dataclass
class SocialCareWorld:
    term: Term
    teams: dict
    peps: dict


@pytest.fixture
def stub_pdf(monkeypatch):
    """Each team's social care PDF as a stub (``%PDF <team>``), where a test is about what
    is sent when, not the PDF (WeasyPrint takes a few tenths of a second a PDF)."""
    monkeypatch.setattr(
        reporting_pdf, "social_care_team_report_pdf", lambda term, team, today=None: f"%PDF {team.name}".encode()
    )


@pytest.fixture
def social_care_world(db, settings, tmp_path):
    """One term's PEPs in four social care teams, and one child with no social worker:

    ======= ===================================== ============ ============ ======= ======== ======= ==================
    team    manager (e-mail)                      child        social worker meeting attended section listed as
    ======= ===================================== ============ ============ ======= ======== ======= ==================
    Alpha   Ann Alpha (ann.alpha@council.example) ALPHA-0001   Al Worker    held    no       yes     did not attend
    Alpha                                         ALPHA-0002   Al Worker    held    yes      no      not updated
    Alpha                                         ALPHA-0003   Amy Worker   held    yes      yes     (not listed)
    Beta    Bob Beta (bob.beta@council.example)   BETA-0001    Bea Worker   none    -        no      not updated
    Beta                                          BETA-0009    Bea Worker   (a draft PEP, not listed though it would be)
    Gamma   Gil Gamma (no e-mail)                 GAMMA-0001   Gus Worker   held    no       no      both
    Delta   Dot Delta (dot.delta@council.example) DELTA-0001   Dan Worker   held    yes      yes     (nothing to report)
    (none)                                        NOSW-0001    (none)       held    no       no      both
    ======= ===================================== ============ ============ ======= ======== ======= ==================

    The term's PEP deadline is 27 October 2003 and it ends on 19 December 2003.
    """  # noqa: E501
    settings.MEDIA_ROOT = tmp_path / "media"  # the outbox's attachments
    term = TermFactory(academic_year=2003, season="autumn")
    term.pep_deadline, term.end_date = date(2003, 10, 27), date(2003, 12, 19)
    term.save()
    teams = {
        "alpha": SocialCareTeamFactory(
            name="Alpha team", manager_name="Ann Alpha", manager_email="ann.alpha@council.example"
        ),
        "beta": SocialCareTeamFactory(
            name="Beta team", manager_name="Bob Beta", manager_email="bob.beta@council.example"
        ),
        "gamma": SocialCareTeamFactory(name="Gamma team", manager_name="Gil Gamma", manager_email=""),
        "delta": SocialCareTeamFactory(
            name="Delta team", manager_name="Dot Delta", manager_email="dot.delta@council.example"
        ),
    }
    workers = {
        name: SocialWorkerFactory(name=name, team=teams[team])
        for name, team in [
            ("Al Worker", "alpha"),
            ("Amy Worker", "alpha"),
            ("Bea Worker", "beta"),
            ("Gus Worker", "gamma"),
            ("Dan Worker", "delta"),
        ]
    }
    meeting = term.start_date + timedelta(weeks=3)
    rows = [
        ("ALPHA-0001", "Al Worker", True, False, True, PepStatus.SUBMITTED),
        ("ALPHA-0002", "Al Worker", True, True, False, PepStatus.FINALISED),
        ("ALPHA-0003", "Amy Worker", True, True, True, PepStatus.FINALISED),
        ("BETA-0001", "Bea Worker", False, False, False, PepStatus.RETURNED),
        ("BETA-0009", "Bea Worker", True, False, False, PepStatus.DRAFT),
        ("GAMMA-0001", "Gus Worker", True, False, False, PepStatus.SUBMITTED),
        ("DELTA-0001", "Dan Worker", True, True, True, PepStatus.SUBMITTED),
        ("NOSW-0001", None, True, False, False, PepStatus.SUBMITTED),
    ]
    peps = {}
    for ref, worker, held, attended, updated, status in rows:
        child = ChildFactory(
            la_reference=ref,
            first_name=f"First{ref.replace('-', '')}",
            last_name=f"Last{ref.replace('-', '')}",
            social_worker=workers[worker] if worker else None,
        )
        peps[ref] = PepFactory(
            child=child,
            term=term,
            status=status,
            meeting_date=meeting if held else None,
            sw_attended=attended,
            sw_section_updated=updated,
        )
    return SocialCareWorld(term, teams, peps)

"""reporting.background: without Redis a report is built in a thread of the web process,
after the request that asked for it has answered, never inside it.

The database is used as in production (``transaction=True``): the build's thread has a
connection of its own and sees the request only once it has committed.
"""

import io
import logging
import threading
import time
from contextlib import contextmanager

import pytest
from django.db.utils import ConnectionHandler
from django.urls import reverse
from pypdf import PdfReader

from core.vocabulary import Role
from reporting import background
from reporting import services as report_services
from reporting.models import ReportKind, ReportRequest, ReportStatus
from reporting.tasks import build_report as build_report_task

from .factories import ChildFactory, PepFactory, SocialCareTeamFactory, SocialWorkerFactory, TermFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


WAIT = 5.0  # seconds: far longer than any of these builds takes


def _pk(response) -> int:
    return int(response.url.rstrip("/").rsplit("/", 1)[1])


def test_the_request_answers_before_the_build_and_the_page_polls_until_it_is_ready(
    eager, reports_in_threads, client, monkeypatch
):
    manager = UserFactory(role=Role.MANAGER)
    term = TermFactory()
    client.force_login(manager)
    go, built_in = threading.Event(), []

    def blocked_board(report):
        built_in.append(threading.current_thread().name)
        assert go.wait(WAIT), "the test never let the build go on"
        return "<h1>Board report</h1><p>Held until the request had answered.</p>"

    monkeypatch.setitem(report_services.RENDERERS, ReportKind.BOARD, blocked_board)

    started = time.monotonic()
    response = client.post(reverse("reports:request"), {"kind": ReportKind.BOARD, "term": term.pk})
    answered = time.monotonic() - started
    # The build cannot have finished: it waits for ``go``, which is set only below.
    assert response.status_code == 302 and answered < WAIT
    report = ReportRequest.objects.get(pk=_pk(response))
    assert report.status in (ReportStatus.PENDING, ReportStatus.RUNNING)
    page = client.get(response.url).content.decode()
    assert "Your report is being prepared" in page and 'hx-trigger="every 2s"' in page

    go.set()
    assert background.wait(timeout=WAIT)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY and report.pages == 1
    assert built_in and built_in[0].startswith("hvs-reports")  # a thread of the pool, not the request's
    panel = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert "Your report is ready" in panel and "hx-trigger" not in panel  # polling stops
    download = client.get(reverse("reports:download", args=[report.pk]))
    text = PdfReader(io.BytesIO(b"".join(download.streaming_content))).pages[0].extract_text()
    assert "Held until the request had answered" in text


def test_the_social_care_report_is_built_in_the_background_for_what_its_requester_may_see(
    eager, reports_in_threads, client
):
    term, team = TermFactory(), SocialCareTeamFactory(name="North")
    manager, other_manager = UserFactory(role=Role.MANAGER), UserFactory(role=Role.MANAGER)
    officer = UserFactory(role=Role.OFFICER, line_manager=manager)
    worker = SocialWorkerFactory(team=team)
    mine = PepFactory(
        child=ChildFactory(allocated_officer=officer, social_worker=worker, la_reference="MINE-0001"),
        officer=officer,
        term=term,
        status="submitted",
        meeting_date=term.start_date,
        sw_attended=False,
    )
    other_officer = UserFactory(role=Role.OFFICER, line_manager=other_manager)
    PepFactory(
        child=ChildFactory(allocated_officer=other_officer, social_worker=worker, la_reference="THEIRS-0001"),
        officer=other_officer,
        term=term,
        status="submitted",
        meeting_date=term.start_date,
        sw_attended=False,
    )
    client.force_login(manager)

    response = client.post(reverse("reports:request"), {"kind": ReportKind.SOCIAL_CARE, "term": term.pk})
    assert response.status_code == 302 and response.url == reverse("reports:status", args=[_pk(response)])
    assert background.wait(timeout=WAIT)
    report = ReportRequest.objects.get(pk=_pk(response))
    assert report.status == ReportStatus.READY, report.error
    download = client.get(reverse("reports:download", args=[report.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="social-care-report-')
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(download.streaming_content))).pages)
    assert mine.child.la_reference in text and "THEIRS-0001" not in text


def test_a_build_that_fails_in_its_thread_is_recorded_and_the_thread_carries_on(
    eager, reports_in_threads, monkeypatch, caplog
):
    def boom(report):
        raise RuntimeError("out of paper")

    monkeypatch.setitem(report_services.RENDERERS, ReportKind.BOARD, boom)
    failing = report_services.request_report(ReportKind.BOARD, TermFactory(), UserFactory(role=Role.VSH))
    with caplog.at_level(logging.ERROR, logger="reporting"):
        background.submit(build_report_task, (0,))  # no such request: logged, not raised
        assert background.wait(timeout=WAIT)
    failing.refresh_from_db()
    assert failing.status == ReportStatus.FAILED and "out of paper" in failing.error
    assert "In-process reporting.tasks.build_report(0,) failed" in caplog.text


def test_inline_builds_in_the_caller(eager, settings):
    settings.REPORTS_IN_PROCESS = "inline"
    report = report_services.request_report(ReportKind.BOARD, TermFactory(), UserFactory(role=Role.VSH))
    report.refresh_from_db()
    assert report.status == ReportStatus.READY


def test_an_unknown_mode_is_refused(settings):
    settings.REPORTS_IN_PROCESS = "later"
    with pytest.raises(ValueError, match="REPORTS_IN_PROCESS"):
        background.submit(build_report_task, (1,))


@contextmanager
def _atomic(connection):
    """What transaction.atomic does on ``connection`` (a handler's own, outside the global
    ``connections``): begin as the settings say, commit at the end."""
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    try:
        yield
        connection.commit()
    finally:
        connection.set_autocommit(True)


def test_on_sqlite_a_transaction_that_reads_then_writes_waits_for_a_writer_beside_it(settings, tmp_path):
    # The build's thread (or another gunicorn thread) commits while a request's atomic
    # block has read and is about to write (finalise_pep: the PEP, then its status change).
    # A deferred SQLite transaction then fails at once, "database is locked", whatever the
    # timeout; one begun IMMEDIATE holds the lock from its start and the other waits.
    default = settings.DATABASES["default"]
    if default["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("SQLite's locking")
    options = {**default.get("OPTIONS", {}), "timeout": 5}
    name = str(tmp_path / "locking.sqlite3")
    database = {"ENGINE": default["ENGINE"], "NAME": name, "OPTIONS": options}
    handler = ConnectionHandler({"default": database, "build": database})
    request = handler["default"]
    with request.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x integer)")
    errors: list[Exception] = []

    def build():
        builder = handler["build"]  # this thread's own connection
        try:
            with builder.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (2)")
        except Exception as error:  # noqa: BLE001 - recorded for the assertion
            errors.append(error)
        finally:
            builder.close()

    with _atomic(request):
        with request.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM t")
        writer = threading.Thread(target=build)
        writer.start()
        time.sleep(0.3)  # the build writes (or waits for this transaction) meanwhile
        with request.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (3)")
    writer.join(WAIT)
    with request.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (2,) and not errors
    request.close()

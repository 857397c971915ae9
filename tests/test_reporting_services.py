"""reporting.services with Redis down: preparing the board report fails fast, says so on
the page and leaves nothing in the way of the next click.

Against a real redis-server this test starts (``redis_server``) and then stops, and a port
where nothing listens; the Celery app is pointed there as a web process with REDIS_URL is
(``celery_broker_at``). The database is used as in production (``transaction=True``), so
the build is queued when the request's transaction commits, inside the request.
"""

import time

import pytest
from django.test import Client
from django.urls import reverse

from core.vocabulary import Role
from reporting.models import BACKGROUND_UNAVAILABLE, ReportKind, ReportRequest, ReportStatus
from reporting.services import QUEUE_ERRORS, enqueue, request_report
from reporting.tasks import build_report as build_report_task

from .conftest import celery_broker_at, free_port
from .factories import TermFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# "A couple of seconds at most": Redis refusing the connection is known at once.
FAIL_FAST_SECONDS = 2.0
QUEUE = "celery"  # Celery's default queue, a Redis list


def browser(user) -> Client:
    """A signed-in client that answers a crash as a 500, as a browser would see it."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def prepare(client, term):
    started = time.monotonic()
    response = client.post(reverse("reports:request"), {"kind": ReportKind.BOARD, "term": term.pk})
    return response, time.monotonic() - started


def assert_told_and_failed(client, response, seconds):
    assert response.status_code == 302, response.status_code  # never a 500
    assert seconds < FAIL_FAST_SECONDS, f"took {seconds:.1f} s"
    report = ReportRequest.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))
    assert report.status == ReportStatus.FAILED and report.error == BACKGROUND_UNAVAILABLE
    assert report.finished_at is not None
    page = client.get(response.url).content.decode()
    assert "The background service is not available, so the report could not be prepared." in page
    assert "Try again in a few minutes." in page and ">Try again</button>" in page
    assert "hx-trigger" not in page  # nothing to wait for
    return report


def test_with_nothing_listening_the_request_fails_fast_and_the_next_click_asks_afresh():
    term, manager = TermFactory(), UserFactory(role=Role.MANAGER)
    client = browser(manager)
    with celery_broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        first = assert_told_and_failed(client, *prepare(client, term))
        # The failed request is not "being prepared": the next click is a new request.
        second = assert_told_and_failed(client, *prepare(client, term))
    assert second.pk != first.pk
    assert ReportRequest.objects.filter(status=ReportStatus.FAILED).count() == 2


def test_queued_while_redis_is_up_and_failing_fast_once_it_stops(redis_server):
    term = TermFactory()
    with celery_broker_at(redis_server.url):
        client = browser(UserFactory(role=Role.MANAGER))
        response, seconds = prepare(client, term)
        assert response.status_code == 302 and seconds < FAIL_FAST_SECONDS
        queued = ReportRequest.objects.get()
        # Waiting for a worker (none here), its build on the queue.
        assert queued.status == ReportStatus.PENDING and redis_server.client().llen(QUEUE) == 1
        assert "Your report is being prepared" in client.get(response.url).content.decode()

        redis_server.stop()
        other = browser(UserFactory(role=Role.MANAGER))
        assert_told_and_failed(other, *prepare(other, term))
        # The one queued before is still waiting for its worker, untouched.
        queued.refresh_from_db()
        assert queued.status == ReportStatus.PENDING

        # Redis back (empty): the pooled connection went stale; the retry makes a new one.
        redis_server.start()
        again = browser(UserFactory(role=Role.MANAGER))
        response, seconds = prepare(again, term)
        assert response.status_code == 302 and seconds < FAIL_FAST_SECONDS
        assert ReportRequest.objects.filter(status=ReportStatus.PENDING).count() == 2
        assert redis_server.client().llen(QUEUE) == 1


def test_the_fail_fast_settings_bound_any_task_queued_with_its_result_tracked():
    """Queued as anything else queues (``delay``, the result store subscribed to first):
    the settings alone, not Celery's defaults (about 19 s), decide how long it takes."""
    with celery_broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        started = time.monotonic()
        with pytest.raises(QUEUE_ERRORS + (RuntimeError,)):  # RuntimeError: Celery's result store
            build_report_task.delay(1)
        assert time.monotonic() - started < FAIL_FAST_SECONDS


def test_enqueue_is_false_with_the_broker_down_and_in_process_the_task_runs(eager):
    with celery_broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        started = time.monotonic()
        assert enqueue(build_report_task, 1) is False
        assert time.monotonic() - started < FAIL_FAST_SECONDS
    # In-process nothing can fail to queue; the task's own errors are not hidden.
    with pytest.raises(ReportRequest.DoesNotExist):
        enqueue(build_report_task, 0)
    report = ReportRequest.objects.create(kind=ReportKind.BOARD, term=TermFactory())
    assert enqueue(build_report_task, report.pk) is True


def test_a_build_that_cannot_be_queued_marks_only_its_own_request_failed():
    term = TermFactory()
    with celery_broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        report = request_report(ReportKind.BOARD, term, UserFactory(role=Role.VSH))
    # The caller's object says so too (the queueing ran on commit, inside request_report).
    assert report.status == ReportStatus.FAILED and report.not_queued
    assert ReportRequest.objects.get().not_queued

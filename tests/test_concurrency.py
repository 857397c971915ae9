"""Requests that arrive at once: double clicks, two reviewers, two tabs.

Real concurrency needs a real database: each request runs in a thread of its own, with
its own PostgreSQL connection, all released together by a barrier. SQLite serialises
writers, so there these tests skip ("service unavailable"; a failure with
HVS_REQUIRE_SERVICES=1, as in CI).
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.vocabulary import Role
from practice.models import PeerReviewMeeting, PeerReviewPep
from reporting.models import ReportRequest
from reporting.tasks import build_report as build_report_task
from reviews.models import QaReview, ReviewKind
from sampling.models import SampleEntry
from sampling.services import draw_term_samples

from .factories import UserFactory
from .services import require_service

pytestmark = [
    pytest.mark.services,
    # serialized_rollback: the flush after each test would drop the migrations' pro-formas.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CLICKS = 3
WAIT_SECONDS = 4


@pytest.fixture(autouse=True)
def _postgresql():
    require_service("postgresql", connection.vendor == "postgresql",
                    f"concurrent requests need PostgreSQL, not {connection.vendor}; set DATABASE_URL")


def at_once(*calls):
    """Run each call in a thread of its own (so on a database connection of its own), all
    released together; what each returned, in order. A call that raised fails the test."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=WAIT_SECONDS)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()  # this thread's connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a request hung (a deadlock?)"
    if errors:
        raise errors[0]
    return results


def browser(user) -> Client:
    """A signed-in client that answers a crash as a 500, as a browser would see it."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def post(client, url, data=None):
    return lambda: client.post(url, data or {})


def assert_no_500(responses):
    assert [r.status_code for r in responses if r.status_code >= 500] == []


# --- double clicks that start something ------------------------------------------------


def test_three_clicks_on_start_review_open_one_draft(pep, manager):
    client = browser(manager)

    responses = at_once(*[post(client, reverse("reviews:start", args=[pep.pk]))] * CLICKS)

    review = QaReview.objects.get()
    assert [r.status_code for r in responses] == [302] * CLICKS
    assert {r["Location"] for r in responses} == {reverse("reviews:rate", args=[review.pk])}
    assert review.area_ratings.count() == review.pro_forma.areas.count()


def test_three_clicks_on_a_worklist_entry_open_one_draft(pep, manager):
    draw_term_samples(pep.term)
    entry = SampleEntry.objects.get(assigned_to=manager)
    client = browser(manager)

    responses = at_once(*[post(client, reverse("sampling:entry_start", args=[entry.pk]))] * CLICKS)

    review = QaReview.objects.get()
    assert [r.status_code for r in responses] == [302] * CLICKS
    assert {r["Location"] for r in responses} == {reverse("reviews:rate", args=[review.pk])}
    entry.refresh_from_db()
    assert entry.review == review and review.kind == ReviewKind.LINE_MANAGEMENT


def test_three_clicks_adding_a_pep_to_a_peer_review_add_it_once(pep, manager, officer):
    meeting = PeerReviewMeeting.objects.create(term=pep.term, date=pep.term.start_date, focus="targets",
                                               recorded_by=manager)
    meeting.attendees.set([manager, officer])
    client = browser(manager)
    url = reverse("practice:peer_review_detail", args=[meeting.pk])

    responses = at_once(*[post(client, url, {"pep-brought": f"{officer.pk}:{pep.pk}"})] * CLICKS)

    assert list(PeerReviewPep.objects.values_list("pep", "member")) == [(pep.pk, officer.pk)]
    assert_no_500(responses)
    # A click whose form is read after the first click's insert no longer finds the PEP
    # among the choices and re-shows the form ("Choose a PEP from the list"): no error
    # page, but not yet the "That PEP was already recorded" answer (web/practice/forms.py).
    assert {r.status_code for r in responses} <= {200, 302}


def test_three_clicks_on_prepare_the_board_report_make_one_request(pep, monkeypatch):
    # Not built here: the requests stay "being prepared", as while a worker is busy.
    monkeypatch.setattr(build_report_task, "delay", lambda *args, **kwargs: None)
    client = browser(UserFactory(role=Role.MANAGER))

    responses = at_once(*[post(client, reverse("reports:request"), {"kind": "board", "term": pep.term.pk})] * CLICKS)

    report = ReportRequest.objects.get()
    assert [r.status_code for r in responses] == [302] * CLICKS
    assert {r["Location"] for r in responses} == {reverse("reports:status", args=[report.pk])}

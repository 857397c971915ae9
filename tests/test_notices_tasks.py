"""notices.tasks.deliver_outbox against real services: a real mail server (aiosmtpd, on a
free port, started and stopped by the tests), a Redis server of this module's own (which
the tests stop and start again), PostgreSQL and a real Celery worker.

- The mail server down: a review returning a PEP saves as ever, its message waits
  (requeued); the server back, the next delivery sends it exactly once. In-process, so it
  runs on any database.
- Redis down: returning a PEP answers within seconds (Celery fails fast, see
  ``CELERY_BROKER_CONNECTION_TIMEOUT`` in the settings), the review is saved and its
  message waits in the outbox; Redis back, the worker (reconnected by itself) delivers it
  once when the scheduled delivery comes.
- A message queued on PostgreSQL and Redis is delivered by the worker after the commit,
  exactly once, while this process delivers at the same moment.

The worker is tests/conftest.py's ``worker_queue``, given this module's mail server and
Redis through ``worker_env``; the outbox's task is routed to its queue for each test.
Without redis-server, PostgreSQL or aiosmtpd these tests skip ("service unavailable"), and
fail instead with HVS_REQUIRE_SERVICES=1 (CI).
"""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from post_office.models import STATUS, Email, Log

from hvs_qa.celery import app
from notices.delivery import deliver_due
from notices.models import Notice, NoticeKind
from notices.outbox import Recipient, queue_message
from notices.tasks import deliver_outbox
from peps.models import PepStatus
from reviews.models import Amendment, ReviewStatus
from reviews.services import save_review, start_review

from .factories import rate_all
from .servers import MailServer, RedisServer, celery_broker
from .services import require_service

pytestmark = pytest.mark.services

# Returning a PEP with Redis down: seconds at most (Celery's default retries took 19 s).
REDIS_DOWN_ANSWER_SECONDS = 3
WORKER_BACK_SECONDS = 10


@pytest.fixture(scope="module")
def mail_server():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail(mail_server, settings):
    """The module's mail server, running and empty; this process's mail goes to it too."""
    if not mail_server.running:
        mail_server.start()
    mail_server.received.clear()
    mail_server.delay = 0.0
    for name, value in mail_server.django_settings().items():
        setattr(settings, name, value)
    yield mail_server
    if not mail_server.running:
        mail_server.start()


@pytest.fixture(scope="module")
def redis_server():
    """A Redis of the module's own, that the tests may stop; this process publishes to it."""
    require_service("redis", RedisServer.available(), "redis-server is not installed")
    server = RedisServer().start()
    try:
        with celery_broker(server.url):
            yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def worker_env(redis_server, mail_server):
    """The module's worker: on its Redis, sending to its mail server."""
    return {"REDIS_URL": redis_server.url, **mail_server.django_settings()}


@pytest.fixture
def redis(redis_server):
    """Redis running at the start and at the end of each test."""
    if not redis_server.answers():
        redis_server.start()
    yield redis_server
    if not redis_server.answers():
        redis_server.start()


@pytest.fixture
def worker(worker_queue, redis, monkeypatch):
    """The worker's queue, with the outbox's deliveries (after a commit, and the scheduled
    one) routed to it."""
    task = app.tasks[deliver_outbox.name]
    monkeypatch.setattr(task, "queue", worker_queue, raising=False)
    monkeypatch.setattr(task, "_exec_options", None)  # Celery caches the options it sends with
    yield worker_queue


def _worker_answers(queue: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(destination=[f"{queue}@localhost"], timeout=0.3):
            return True
    return False


def _eventually(check, timeout: float = 5) -> bool:
    """Whether ``check()`` comes true within ``timeout`` seconds: the worker marks a message
    sent just after the mail server accepts it, so the database follows a moment later."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _return_pep(pep, reviewer):
    """Rate every area Red and submit, through reviews.services as the rating page does:
    the PEP is returned, its amendment opened and the message to the DT and SW queued."""
    review = start_review(pep, reviewer)
    return save_review(
        review,
        rate_all(review, ["red"] * review.area_ratings.count()),
        strengths="",
        development_points="d",
        submit=True,
    )


def _people(pep) -> list[str]:
    child = pep.child
    return [child.designated_teacher.email, child.social_worker.email, child.allocated_officer.email]


# --- the mail server down ---------------------------------------------------------------


@pytest.mark.django_db
def test_with_the_mail_server_down_the_message_waits_and_goes_once_it_is_back(
    mail, eager, pep, manager, monkeypatch, django_capture_on_commit_callbacks
):
    mail.stop()

    with django_capture_on_commit_callbacks(execute=True):
        review = _return_pep(pep, manager)  # delivered after the commit: in-process here

    # The review and its outcome are saved as ever.
    pep.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED and pep.status == PepStatus.RETURNED
    assert Amendment.objects.filter(pep=pep, review=review).exists()
    # Its message was tried, refused, and waits for its retry.
    notice = Notice.objects.select_related("email").get(pep=pep, kind=NoticeKind.RETURNED)
    email = notice.email
    assert (email.status, email.number_of_retries) == (STATUS.requeued, 1)
    assert Log.objects.get(email=email).exception_type == "ConnectionRefusedError"
    assert mail.received == []

    mail.start()
    assert deliver_due().attempted == 0  # not before its retry is due
    later = timezone.now() + timedelta(minutes=1, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert deliver_due().sent == 1

    [received] = mail.wait_for(1)
    assert received.message_id == Email.objects.get(pk=email.pk).message_id
    assert sorted(received.rcpt_tos) == sorted(_people(pep))
    subject = str(received.message["Subject"]).strip()
    assert subject == email.subject and subject.startswith(f"PEP returned for amendment: {pep.child.la_reference} (")
    assert "Please amend these areas by" in received.message.get_content()
    # Exactly once: the next delivery finds nothing to send.
    assert deliver_due().attempted == 0
    assert len(mail.received) == 1
    assert Email.objects.get(pk=email.pk).status == STATUS.sent


# --- Redis down ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_redis_down_returning_a_pep_answers_quickly_and_the_worker_sends_it_once_redis_is_back(
    mail, worker, redis, pep, manager
):
    assert _worker_answers(worker, 5)
    redis.stop()

    started = time.monotonic()
    review = _return_pep(pep, manager)  # commits, then tries to start the delivery
    answered = time.monotonic() - started

    assert answered < REDIS_DOWN_ANSWER_SECONDS, f"returning a PEP took {answered:.1f} s with Redis down"
    pep.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED and pep.status == PepStatus.RETURNED
    email = Notice.objects.select_related("email").get(pep=pep).email
    assert email.status == STATUS.queued and not email.logs.exists()  # waits in the outbox, untried

    redis.start()
    assert _worker_answers(worker, WORKER_BACK_SECONDS), "the worker did not reconnect to Redis"
    deliver_outbox.apply_async()  # what beat sends every minute

    [received] = mail.wait_for(1)
    assert received.message_id == email.message_id
    assert sorted(received.rcpt_tos) == sorted(_people(pep))
    assert _eventually(lambda: Email.objects.get(pk=email.pk).status == STATUS.sent)
    assert list(email.logs.values_list("status", flat=True)) == [STATUS.sent]
    # Once: another delivery finds nothing due.
    assert deliver_due().attempted == 0 and len(mail.received) == 1


# --- the real worker ------------------------------------------------------------------------


MESSAGES = 20


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_delivers_after_the_commit_exactly_once_beside_another_delivery(mail, worker, pep):
    mail.delay = 0.03  # the server takes a while over each message: the deliveries overlap
    with transaction.atomic():
        notices = [
            queue_message(
                kind=NoticeKind.RETURNED,
                to=[Recipient(f"dt{n}@school.example.org", f"Teacher {n}", "designated teacher")],
                template="reviews/email/returned",
                context={"child": pep.child.la_reference, "pep": pep},
                pep=pep,
            )
            for n in range(MESSAGES)
        ]
        time.sleep(0.2)
        assert mail.received == []  # nothing leaves before the commit
    # Committed: the worker has been asked to deliver. Once it has begun, this process
    # delivers too, at the same time.
    assert mail.wait_for(1, timeout=5), "the worker sent nothing after the commit"
    here = deliver_due()

    received = mail.wait_for(MESSAGES)
    ids = [r.message_id for r in received]
    assert len(ids) == MESSAGES and len(set(ids)) == MESSAGES, f"{len(ids)} received, {len(set(ids))} different"
    assert set(ids) == set(Email.objects.filter(notice__in=notices).values_list("message_id", flat=True))
    assert 0 < here.sent < MESSAGES, f"this process sent {here.sent} of {MESSAGES}: the deliveries did not overlap"
    assert _eventually(lambda: not Email.objects.exclude(status=STATUS.sent).exists())
    assert Log.objects.filter(status=STATUS.sent).count() == MESSAGES
    time.sleep(0.2)
    assert len(mail.received) == MESSAGES

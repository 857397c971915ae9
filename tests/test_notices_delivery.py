"""notices.delivery (and the outbox around it), on the test database with a scripted mail
backend: due messages, claims, the backoff schedule, the mail server down, a message
refused until it fails, resending, and a delivery once per transaction after its commit.

The same against a real mail server, Redis and worker: tests/test_notices_tasks.py."""

import smtplib
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from post_office.models import STATUS, Email, Log

from hvs_qa.celery import app
from notices import delivery, outbox
from notices.delivery import CLAIM_SECONDS, deliver_due, retry_delay
from notices.models import Notice, NoticeKind
from notices.outbox import Recipient
from notices.services import NotFailed, resend

from .factories import queue_notice

pytestmark = pytest.mark.django_db


class ScriptedBackend(BaseEmailBackend):
    """A mail server that does as the test says: ``down`` (unreachable: opening the
    connection fails) or refusing the messages to the addresses in ``refuse``; it keeps
    what it accepts in ``accepted``."""

    down = False
    refuse: set[str] = set()
    accepted: list = []
    opened = 0

    def open(self):
        if ScriptedBackend.down:
            raise ConnectionRefusedError(111, "Connection refused")
        ScriptedBackend.opened += 1
        return True

    def send_messages(self, email_messages):
        for message in email_messages:
            refused = set(message.to) & ScriptedBackend.refuse
            if refused:
                raise smtplib.SMTPRecipientsRefused(
                    {address: (550, b"5.1.1 Mailbox unavailable") for address in refused}
                )
            ScriptedBackend.accepted.append(message)
        return len(email_messages)


@pytest.fixture
def server(settings):
    settings.EMAIL_BACKEND = f"{__name__}.ScriptedBackend"
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.OUTBOX_RETRY_MAX_SECONDS = 6 * 60 * 60
    ScriptedBackend.down, ScriptedBackend.refuse, ScriptedBackend.accepted, ScriptedBackend.opened = False, set(), [], 0
    yield ScriptedBackend
    ScriptedBackend.down, ScriptedBackend.refuse, ScriptedBackend.accepted = False, set(), []


class Clock:
    """timezone.now(), moved on by the test (what the delivery reads to find what is due)."""

    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def _message(address: str = "dt@example.org", **kwargs) -> Notice:
    return queue_notice(to=[Recipient(address, "Dee Teacher", "designated teacher")], **kwargs)


def _email(notice: Notice) -> Email:
    return Email.objects.get(pk=notice.email_id)


# --- the backoff schedule ---------------------------------------------------------------


def test_the_backoff_doubles_from_the_base_up_to_the_cap(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.OUTBOX_RETRY_MAX_SECONDS = 6 * 60 * 60
    minutes = [retry_delay(n).total_seconds() / 60 for n in range(11)]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    # The default ten retries span about 15 hours (871 minutes): an SMTP outage overnight.
    assert sum(minutes[:10]) == 871


# --- what is due ------------------------------------------------------------------------


def test_due_messages_are_sent_once_and_logged(server, clock):
    first, second = _message("a@example.org"), _message("b@example.org")
    later = _message("c@example.org")
    Email.objects.filter(pk=later.email_id).update(scheduled_time=clock.now + timedelta(minutes=5))
    expired = _message("d@example.org")
    Email.objects.filter(pk=expired.email_id).update(expires_at=clock.now - timedelta(seconds=1))

    result = deliver_due()

    assert (result.sent, result.retrying, result.failed, result.server_down) == (2, 0, 0, False)
    assert str(result) == "2 sent, 0 to retry, 0 failed"
    assert [m.to for m in server.accepted] == [["a@example.org"], ["b@example.org"]]
    assert server.accepted[0].extra_headers["Message-ID"] == _email(first).message_id
    for notice in (first, second):
        assert _email(notice).status == STATUS.sent
        assert list(Log.objects.filter(email_id=notice.email_id).values_list("status", flat=True)) == [STATUS.sent]
    assert _email(later).status == STATUS.queued and _email(expired).status == STATUS.queued
    # Nothing more is due: a second delivery sends nothing.
    assert deliver_due().attempted == 0
    clock.advance(minutes=5)
    assert deliver_due().sent == 1 and server.accepted[-1].to == ["c@example.org"]
    assert len(server.accepted) == 3


def test_a_limit_stops_the_delivery_and_the_rest_wait(server):
    for n in range(5):
        _message(f"p{n}@example.org")
    assert deliver_due(limit=2).sent == 2
    assert Email.objects.filter(status=STATUS.queued).count() == 3
    assert deliver_due().sent == 3


def test_higher_priority_then_older_first(server, clock):
    old, new = _message("old@example.org"), _message("new@example.org")
    urgent = _message("urgent@example.org")
    Email.objects.filter(pk=old.email_id).update(created=clock.now - timedelta(hours=1))
    Email.objects.filter(pk=urgent.email_id).update(priority=3)  # post_office's PRIORITY.now
    deliver_due()
    assert [m.to[0] for m in server.accepted] == ["urgent@example.org", "old@example.org", "new@example.org"]
    assert new.pk  # sent last


# --- claims -----------------------------------------------------------------------------


def test_a_claimed_message_is_not_taken_by_another_delivery_until_its_claim_lapses(server, clock):
    first, second = _message("a@example.org"), _message("b@example.org")

    claimed = delivery._claim_next(clock.now)
    assert claimed.pk == first.email_id
    assert _email(first).scheduled_time == clock.now + timedelta(seconds=CLAIM_SECONDS)
    # Another delivery, meanwhile, takes the next one, then finds nothing.
    assert delivery._claim_next(clock.now).pk == second.email_id
    assert delivery._claim_next(clock.now) is None
    # The first delivery died without sending: after the claim lapses the message is due again.
    clock.advance(seconds=CLAIM_SECONDS - 1)
    assert delivery._claim_next(clock.now) is None
    clock.advance(seconds=2)
    assert delivery._claim_next(clock.now).pk == first.email_id


def test_a_message_claimed_between_the_read_and_the_claim_is_left_to_the_other_delivery(server, clock, monkeypatch):
    """Two deliveries read the same next message; the conditional update lets one claim
    it, and the other goes on to the next message instead of sending it twice."""
    first, second = _message("a@example.org"), _message("b@example.org")
    real = delivery.due_emails
    raced = []

    class Racing:
        def __init__(self, queryset):
            self.queryset = queryset

        def values(self, *fields):
            return self

        def first(self):
            row = self.queryset.values("pk", "scheduled_time").first()
            if not raced:  # the other delivery claims it just after our read
                raced.append(row["pk"])
                assert real(clock.now).filter(pk=row["pk"]).update(scheduled_time=clock.now + timedelta(seconds=60))
            return row

    monkeypatch.setattr(delivery, "due_emails", lambda now: Racing(real(now)))

    assert delivery._claim_next(clock.now).pk == second.email_id
    assert raced == [first.email_id]


# --- the mail server down, and a message refused ------------------------------------------


def test_with_the_mail_server_down_the_delivery_stops_and_everything_waits(server, clock):
    notices = [_message(f"p{n}@example.org") for n in range(3)]
    server.down = True

    result = deliver_due()

    assert result.server_down and result.attempted == 1 and result.retrying == 1
    assert str(result).endswith("; the mail server was unreachable, the rest wait")
    tried = _email(notices[0])
    # The server's fault, not the message's: no retry spent, however long the outage.
    assert (tried.status, tried.number_of_retries) == (STATUS.requeued, None)
    assert tried.scheduled_time == clock.now + timedelta(minutes=1)
    log = Log.objects.get(email_id=tried.pk)
    assert (log.status, log.exception_type) == (STATUS.failed, "ConnectionRefusedError")
    assert "Connection refused" in log.message
    # The others were not tried: no retry spent, no log.
    for notice in notices[1:]:
        email = _email(notice)
        assert (email.status, email.number_of_retries, email.logs.count()) == (STATUS.queued, None, 0)

    # Down again and again: still no retry spent, never failed.
    for _ in range(settings.OUTBOX_MAX_RETRIES + 2):
        clock.advance(minutes=1)
        assert deliver_due().server_down
    assert {(e.status, e.number_of_retries) for e in Email.objects.all()} <= {
        (STATUS.requeued, None),
        (STATUS.queued, None),
    }

    # The server is back: everything that waited is sent, each once.
    server.down = False
    clock.advance(minutes=1)
    assert deliver_due().sent == 3
    assert sorted(m.to[0] for m in server.accepted) == [f"p{n}@example.org" for n in range(3)]


def test_a_refused_message_does_not_hold_up_the_others(server):
    refused, fine = _message("gone@example.org"), _message("fine@example.org")
    server.refuse = {"gone@example.org"}

    result = deliver_due()

    assert (result.sent, result.retrying, result.server_down) == (1, 1, False)
    assert _email(refused).status == STATUS.requeued and _email(fine).status == STATUS.sent
    assert Log.objects.get(email_id=refused.email_id).exception_type == "SMTPRecipientsRefused"


def test_a_message_refused_every_time_fails_after_the_last_retry(server, clock, settings):
    settings.OUTBOX_MAX_RETRIES = 3
    notice = _message("gone@example.org")
    server.refuse = {"gone@example.org"}
    delays = []

    for attempt in range(1, 4):
        tried_at = clock.now
        assert deliver_due().retrying == 1
        email = _email(notice)
        assert (email.status, email.number_of_retries) == (STATUS.requeued, attempt)
        delays.append((email.scheduled_time - tried_at).total_seconds())
        assert deliver_due().attempted == 0  # not before its time
        clock.now = email.scheduled_time

    result = deliver_due()

    assert result.failed == 1 and result.retrying == 0
    assert delays == [60, 120, 240]
    email = _email(notice)
    assert (email.status, email.number_of_retries) == (STATUS.failed, 3)
    assert list(email.logs.values_list("status", flat=True)) == [STATUS.failed] * 4
    clock.advance(days=1)
    assert deliver_due().attempted == 0  # failed: left for a person to resend
    assert Notice.objects.select_related("email").get(pk=notice.pk).state == "failed"


# --- resending ----------------------------------------------------------------------------


def test_resend_starts_a_failed_message_again_and_a_second_resend_is_refused(
    server, clock, vsh, django_capture_on_commit_callbacks, eager
):
    notice = _message("back@example.org", state="failed")
    Email.objects.filter(pk=notice.email_id).update(number_of_retries=10)

    with django_capture_on_commit_callbacks(execute=True) as started:
        resend(notice, vsh)

    assert len(started) == 1  # a delivery, after the commit
    email = _email(notice)
    assert (email.status, email.number_of_retries, email.scheduled_time) == (STATUS.sent, 0, None)
    assert [m.to for m in server.accepted] == [["back@example.org"]]
    notice.refresh_from_db()
    assert notice.resent_by == vsh and notice.resent_at == clock.now

    with pytest.raises(NotFailed, match="already resent by") as refused:
        resend(notice, vsh)
    assert isinstance(refused.value, ValidationError)
    assert len(server.accepted) == 1


def test_a_resent_message_refused_again_is_retried_from_the_first_delay(server, clock):
    notice = _message("gone@example.org", state="failed")
    server.refuse = {"gone@example.org"}
    resend(notice, None)
    assert deliver_due().retrying == 1
    email = _email(notice)
    assert email.number_of_retries == 1 and email.scheduled_time == clock.now + timedelta(minutes=1)


# --- after the commit, once per transaction -------------------------------------------------


def test_one_delivery_per_transaction_after_its_commit(pep, django_capture_on_commit_callbacks):
    with mock.patch.object(outbox.deliver_outbox, "apply_async") as started:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                for n in range(3):
                    outbox.queue_message(
                        kind=NoticeKind.RETURNED,
                        to=[f"p{n}@example.org"],
                        template="reviews/email/returned",
                        context={"child": "T-1", "pep": pep},
                        pep=pep,
                    )
                assert not started.called  # not before the commit
    assert len(callbacks) == 1 and started.call_count == 1
    assert Notice.objects.filter(pep=pep).count() == 3


def test_a_rolled_back_change_takes_its_message_with_it(pep):
    with pytest.raises(RuntimeError), transaction.atomic():
        _message("never@example.org")
        raise RuntimeError("the change failed")
    assert not Notice.objects.exists() and not Email.objects.exists()


def test_the_same_address_twice_gets_one_copy_and_no_address_queues_nothing(pep):
    notice = outbox.queue_message(
        kind=NoticeKind.RETURNED,
        to=[Recipient("DT@example.org", "Dee", "designated teacher"), "dt@example.org", ""],
        cc=[Recipient("dt@example.org"), Recipient("officer@example.org", "Olu", "allocated officer")],
        template="reviews/email/returned",
        context={"child": "T-1", "pep": pep},
    )
    email = notice.email
    assert (email.to, email.cc) == (["DT@example.org"], ["officer@example.org"])
    assert sorted(notice.recipients.values_list("address", "part", "copy")) == [
        ("DT@example.org", "designated teacher", "to"),
        ("officer@example.org", "allocated officer", "cc"),
    ]
    nobody = outbox.queue_message(
        kind=NoticeKind.RETURNED, to=[""], template="reviews/email/returned", context={"pep": pep}
    )
    assert nobody is None and Notice.objects.count() == 1


def test_with_the_broker_down_starting_a_delivery_loses_nothing(caplog):
    with mock.patch.object(outbox.deliver_outbox, "apply_async", side_effect=ConnectionRefusedError("Redis down")):
        outbox.start_delivery()  # does not raise: the message waits for the scheduled delivery
    assert "they wait for the next delivery" in caplog.text


# --- the command and the schedule -------------------------------------------------------


def test_the_deliver_outbox_command(server):
    _message("a@example.org")
    out = StringIO()
    call_command("deliver_outbox", stdout=out)
    assert out.getvalue().strip() == "1 sent, 0 to retry, 0 failed"


def test_the_scheduled_delivery_runs_every_minute():
    task = PeriodicTask.objects.select_related("crontab").get(name="Deliver waiting messages")
    assert task.task == "notices.tasks.deliver_outbox" and task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("*", "*", "*")
    assert task.task in app.tasks
    # post_office's own sender must not run beside it (its own Celery hook is off too).
    assert not PeriodicTask.objects.filter(task__startswith="post_office").exists()

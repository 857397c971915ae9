"""notices.outbox: messages written in the causing transaction, delivered after commit."""

from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from post_office.models import STATUS, Email

from notices import outbox
from notices.models import DeliveryState, Notice, NoticeKind, NoticeRecipient
from notices.outbox import Recipient, child_for_mail, queue_message

from .factories import ChildFactory, PepFactory

TEMPLATE = "reviews/email/returned"


def _queue(pep, **overrides):
    arguments = {
        "kind": NoticeKind.RETURNED,
        "to": [Recipient("dt@school.example", "Ms Dee", "designated teacher"), "sw@council.example"],
        "cc": [Recipient("officer@vs.example", "Olly Officer", "allocated officer")],
        "template": TEMPLATE,
        "context": {"child": "T-1 (AB)", "pep": pep, "review": None, "areas": [], "due_on": None},
        "pep": pep,
    }
    return queue_message(**(arguments | overrides))


def test_a_message_is_written_with_its_recipients_and_what_it_is_about(db):
    pep = PepFactory()
    notice = _queue(pep)
    email = notice.email
    assert email.status == STATUS.queued
    assert email.to == ["dt@school.example", "sw@council.example"]
    assert email.cc == ["officer@vs.example"]
    assert email.subject.startswith("PEP returned for amendment: T-1 (AB)")
    assert "T-1 (AB)" in email.message and "Hillingdon Virtual School" in email.message
    assert notice.kind == NoticeKind.RETURNED and notice.pep == pep
    assert notice.state == DeliveryState.WAITING
    parts = list(notice.recipients.values_list("address", "part", "copy"))
    assert parts == [
        ("dt@school.example", "designated teacher", "to"),
        ("sw@council.example", "", "to"),
        ("officer@vs.example", "allocated officer", "cc"),
    ]


def test_an_address_given_twice_gets_one_copy_and_no_address_queues_nothing(db):
    pep = PepFactory()
    notice = _queue(pep, to=["same@example.org", "SAME@example.org", ""], cc=["same@example.org"])
    assert notice.email.to == ["same@example.org"] and notice.email.cc == []
    copy_only = _queue(pep, to=[], cc=["officer@vs.example"])
    assert copy_only.email.to == ["officer@vs.example"]
    assert _queue(pep, to=[""], cc=[]) is None
    assert Notice.objects.count() == 2


def test_a_change_that_rolls_back_takes_its_message_with_it(db):
    pep = PepFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue(pep)
        raise RuntimeError("the review failed to save")
    assert not Email.objects.exists() and not Notice.objects.exists() and not NoticeRecipient.objects.exists()


def test_messages_are_delivered_once_the_transaction_commits_by_one_delivery(
    db, eager, django_capture_on_commit_callbacks
):
    # eager: delivered in-process, also where REDIS_URL is set (in CI).
    pep = PepFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for _ in range(3):
            _queue(pep)
    assert callbacks == [outbox.start_delivery]
    assert mail.outbox == []  # nothing is sent inside the transaction
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 3
    assert set(Email.objects.values_list("status", flat=True)) == {STATUS.sent}
    assert sorted(mail.outbox[0].to) == ["dt@school.example", "sw@council.example"]
    assert mail.outbox[0].cc == ["officer@vs.example"]
    assert Email.objects.first().logs.filter(status=STATUS.sent).count() == 1


def test_with_the_broker_down_the_change_commits_and_its_message_waits(db, django_capture_on_commit_callbacks):
    pep = PepFactory()
    with mock.patch.object(outbox.deliver_outbox, "apply_async", side_effect=ConnectionRefusedError("redis down")):
        with django_capture_on_commit_callbacks(execute=True):
            notice = _queue(pep)
    notice.email.refresh_from_db()
    assert notice.email.status == STATUS.queued
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("secure", "expected"),
    [(False, "T-000042 (AB)"), (True, "Amy Brown (T-000042)")],
)
def test_children_are_named_by_reference_and_initials_unless_the_route_is_secure(db, secure, expected):
    child = ChildFactory(la_reference="T-000042", first_name="amy", last_name="Brown")
    child.first_name = "Amy"
    with override_settings(MAIL_ROUTE_SECURE=secure):
        assert child_for_mail(child) == expected

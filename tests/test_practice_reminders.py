"""Reminders of practice actions (practice/reminders.py, the task and the command)."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.vocabulary import Role
from notices.models import Notice, NoticeKind
from practice import tasks
from practice.models import ActionStatus, PeerReviewMeeting, PracticeAction
from practice.reminders import actions_to_mention, owed_reminders, send_action_reminders

from .factories import (
    ChildFactory,
    PepFactory,
    PracticeActionFactory,
    QaReviewFactory,
    SupervisionFactory,
    TermFactory,
    UserFactory,
)
from .services import require_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def supervision(officer, today):
    officer.email = "officer@example.org"
    officer.save()
    return SupervisionFactory(officer=officer, date=today - timedelta(days=30))


def _emails():
    """The messages written to the outbox (delivered once the transaction commits)."""
    return [notice.email for notice in Notice.objects.select_related("email").order_by("pk")]


def _bodies() -> list[str]:
    return [email.message for email in _emails()]


def test_one_email_per_owner_listing_due_soon_and_overdue(supervision, today):
    soon = PracticeActionFactory(
        supervision=supervision, due=today + timedelta(days=5), description="Make targets SMART"
    )
    late = PracticeActionFactory(supervision=supervision, due=today - timedelta(days=2), description="Ask the child")
    later = PracticeActionFactory(supervision=supervision, due=today + timedelta(days=6), description="Not yet")

    result = send_action_reminders(today)

    assert (result.sent, result.due_soon, result.overdue) == (1, 1, 1)
    (notice,) = Notice.objects.all()
    assert notice.kind == NoticeKind.ACTION_REMINDER
    (message,) = _emails()
    assert list(message.to) == ["officer@example.org"]
    assert message.subject == "Your practice actions: 2 due soon or overdue (1 overdue)"
    overdue_part, soon_part = message.message.split("Overdue:")[1].split("Due in the next 5 days:")
    assert "Ask the child" in overdue_part and "Make targets SMART" in soon_part
    assert "Not yet" not in message.message
    assert f"agreed at your supervision on {supervision.date.day} {supervision.date:%B %Y}" in message.message
    soon.refresh_from_db(), late.refresh_from_db(), later.refresh_from_db()
    assert soon.reminded_at and not soon.overdue_reminded_at
    assert late.overdue_reminded_at and not late.reminded_at
    assert not later.reminded_at


def test_each_action_is_reminded_once_as_due_soon_and_once_as_overdue(supervision, today):
    action = PracticeActionFactory(supervision=supervision, due=today + timedelta(days=1))
    assert send_action_reminders(today).sent == 1
    assert send_action_reminders(today).sent == 0
    assert send_action_reminders(today + timedelta(days=1)).sent == 0  # still due soon: reminded
    assert send_action_reminders(today + timedelta(days=2)).overdue == 1
    assert send_action_reminders(today + timedelta(days=3)).sent == 0
    assert len(_emails()) == 2
    action.refresh_from_db()
    assert action.reminded_at and action.overdue_reminded_at


def test_closed_actions_and_owners_without_an_address_are_not_reminded(supervision, manager, today):
    PracticeActionFactory(
        supervision=supervision, due=today - timedelta(days=1), status=ActionStatus.DONE, closed_on=today
    )
    gone = UserFactory(role=Role.OFFICER, line_manager=manager, is_active=False, email="gone@example.org")
    PracticeActionFactory(supervision=SupervisionFactory(officer=gone), due=today)
    silent = UserFactory(role=Role.OFFICER, line_manager=manager, email="")
    PracticeActionFactory(supervision=SupervisionFactory(officer=silent), due=today)
    assert not owed_reminders(today).exists()
    assert send_action_reminders(today).sent == 0


def test_the_message_names_no_child_only_the_la_reference(supervision, officer, manager, today):
    child = ChildFactory(allocated_officer=officer, first_name="Oluwaseun", last_name="Fairweather-Smith")
    review = QaReviewFactory(pep=PepFactory(child=child), reviewer=manager, submitted=True)
    PracticeActionFactory(supervision=supervision, due=today, review=review, area=review.pro_forma.areas.first())
    send_action_reminders(today)
    (body,) = _bodies()
    assert child.la_reference in body
    assert "Oluwaseun" not in body and "Fairweather" not in body
    assert review.pro_forma.areas.first().title in body


def test_the_la_reference_only_to_an_owner_who_may_see_the_pep(lead, manager, other_manager, pep, today):
    """A whole-school meeting (recorded by a lead) agrees an action on team A's PEP owned by
    team B's manager: their reminder does not give team A's child's LA reference."""
    other_manager.email = "b@example.org"
    other_manager.save()
    meeting = PeerReviewMeeting.objects.create(date=today, term=pep.term, focus="targets", recorded_by=lead)
    meeting.attendees.set([lead, manager, other_manager])
    review = QaReviewFactory(pep=pep, reviewer=manager, submitted=True)
    PracticeAction.objects.create(
        owner=other_manager, peer_review=meeting, due=today, description="Share the exemplar", review=review
    )
    send_action_reminders(today)
    (body,) = _bodies()
    assert "Share the exemplar" in body and pep.child.la_reference not in body


def test_actions_of_a_peer_review_say_so(manager, today):
    manager.email = "manager@example.org"
    manager.save()
    meeting = PeerReviewMeeting.objects.create(date=today, term=TermFactory(), focus="targets", recorded_by=manager)
    PracticeAction.objects.create(owner=manager, peer_review=meeting, due=today, description="Share the exemplar")
    send_action_reminders(today)
    (body,) = _bodies()
    assert "agreed at the peer review meeting on" in body


def test_the_task_and_the_command_send_the_same(supervision, today, capsys):
    PracticeActionFactory(supervision=supervision, due=today)
    assert tasks.send_action_reminders.apply().get() == {"sent": 1, "due_soon": 1, "overdue": 0}
    PracticeActionFactory(supervision=supervision, due=today - timedelta(days=1))
    call_command("send_action_reminders", "--date", today.isoformat())
    assert "1 e-mail(s): 0 action(s) due soon, 1 overdue" in capsys.readouterr().out
    assert len(_emails()) == 2


def test_the_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="--date"):
        call_command("send_action_reminders", "--date", "31-02-2026")


def test_the_reminders_are_scheduled_daily():
    task = PeriodicTask.objects.select_related("crontab").get(task="practice.tasks.send_action_reminders")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "7", "*")


def test_the_setting_sets_what_is_due_soon(settings, supervision, today):
    PracticeActionFactory(supervision=supervision, due=today + timedelta(days=2))
    settings.PRACTICE_ACTION_REMINDER_DAYS = 1
    assert not owed_reminders(today).exists()
    settings.PRACTICE_ACTION_REMINDER_DAYS = 2
    assert owed_reminders(today).count() == 1


# --- the officer's start page ------------------------------------------------------------


def test_the_officer_sees_their_actions_due_soon_and_overdue(client, supervision, officer, today):
    PracticeActionFactory(supervision=supervision, due=today - timedelta(days=1), description="Overdue one")
    PracticeActionFactory(supervision=supervision, due=today + timedelta(days=3), description="Soon one")
    PracticeActionFactory(supervision=supervision, due=today + timedelta(days=30), description="Later one")
    client.force_login(officer)
    body = client.get(reverse("home")).content.decode()
    assert 'class="govuk-notification-banner"' in body
    assert "You have 1 action overdue and 1 action due soon" in body
    assert "Overdue one" in body and "Soon one" in body and "Later one" not in body
    overdue, soon = actions_to_mention(officer, today)
    assert [a.description for a in overdue] == ["Overdue one"]
    assert [a.description for a in soon] == ["Soon one"]


def test_no_banner_without_actions_due(client, supervision, officer, today):
    PracticeActionFactory(supervision=supervision, due=today + timedelta(days=30))
    client.force_login(officer)
    assert 'id="my-actions"' not in client.get(reverse("home")).content.decode()


def test_another_officers_actions_are_not_on_the_page(client, supervision, other_officer, today):
    PracticeActionFactory(supervision=supervision, due=today, description="Only for the officer")
    client.force_login(other_officer)
    assert "Only for the officer" not in client.get(reverse("home")).content.decode()


# --- two workers at once (PostgreSQL) -----------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_send_one_reminder(officer, today):
    """While one run holds an owner's actions (its transaction still open), another skips
    them: it sends nothing, and the first one's message is the only one."""
    if connection.vendor != "postgresql":
        require_service("postgresql", False, "SELECT ... FOR UPDATE SKIP LOCKED needs PostgreSQL")
    officer.email = "officer@example.org"
    officer.save()
    action = PracticeActionFactory(supervision=SupervisionFactory(officer=officer), due=today)
    held, release = threading.Event(), threading.Event()
    seen = {}

    def hold():
        try:
            with transaction.atomic():
                list(PracticeAction.objects.select_for_update().filter(pk=action.pk))
                held.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    try:
        seen["while held"] = send_action_reminders(today).sent
    finally:
        release.set()
        holder.join(10)
    seen["after"] = send_action_reminders(today).sent
    assert seen == {"while held": 0, "after": 1}
    assert Notice.objects.filter(kind=NoticeKind.ACTION_REMINDER).count() == 1

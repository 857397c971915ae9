"""sampling.services.escalation: overdue QA goes to the reviewer's line manager, then (still
not done QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS school days later) to the VSH; one message per
person, children by LA reference only.

The calendar is England's summer term of 2031 (from Tuesday 22 April; Monday 5 May is a
bank holiday), after a spring term that ended on Friday 4 April.
"""

import threading
from datetime import date, datetime, time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from post_office.models import Email

from core.vocabulary import Role, Season
from notices.models import Notice, NoticeKind
from peps.models import Child, PepStatus
from sampling.models import SampleEntry
from sampling.services import EscalationResult, escalate_overdue_qa
from sampling.tasks import escalate_overdue_qa as escalate_task

from .factories import PepFactory, QaReviewFactory, SampleEntryFactory, SampleFactory, TermFactory, UserFactory
from .services import require_service

DUE = date(2031, 4, 28)  # a Monday
FIRST_OVERDUE = date(2031, 4, 29)
# Five school days after 29 April: 30 April, 1 and 2 May, (the bank holiday), 6 and 7 May.
VSH_DAY = date(2031, 5, 7)


def at(day: date, hour: int = 7, minute: int = 50) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def calendar():
    spring = TermFactory(
        academic_year=2030,
        season=Season.SPRING,
        start_date=date(2031, 1, 6),
        end_date=date(2031, 4, 4),
        pep_deadline=date(2031, 2, 14),
    )
    summer = TermFactory(
        academic_year=2030,
        season=Season.SUMMER,
        start_date=date(2031, 4, 22),
        end_date=date(2031, 7, 18),
        pep_deadline=date(2031, 6, 6),
    )
    return spring, summer


def entry(term, reviewer, due_on=DUE, **pep):
    return SampleEntryFactory(
        sample=SampleFactory(term=term), assigned_to=reviewer, due_date=due_on, pep=PepFactory(term=term, **pep)
    )


def escalations(to: str | None = None) -> list[Email]:
    emails = Email.objects.filter(notice__kind=NoticeKind.QA_ESCALATION).order_by("pk")
    return [e for e in emails if to is None or e.to == [to]]


@pytest.fixture
def team(db, vsh):
    """Two reviewing managers under a head of service, each with overdue QA."""
    spring, summer = calendar()
    head = UserFactory(role=Role.MANAGER, username="head", first_name="Hana", email="head@example.org")
    m1 = UserFactory(role=Role.MANAGER, username="m1", line_manager=head)
    m2 = UserFactory(role=Role.MANAGER, username="m2", line_manager=head)
    overdue = [entry(summer, m1), entry(summer, m1), entry(summer, m2)]
    later = entry(summer, m1, due_on=date(2031, 4, 30))
    done = entry(summer, m1)
    done.review = QaReviewFactory(pep=done.pep, reviewer=m1, submitted=True)
    done.save()
    draft = entry(summer, m2, status=PepStatus.DRAFT)
    ended = entry(spring, m2, due_on=date(2031, 3, 28))
    return {
        "head": head,
        "vsh": vsh,
        "m1": m1,
        "m2": m2,
        "overdue": overdue,
        "later": later,
        "left_out": [done, draft, ended],
    }


def refs(entries) -> list[str]:
    return [e.pep.child.la_reference for e in entries]


@pytest.mark.django_db
def test_overdue_qa_reaches_the_reviewers_manager_in_one_message(team):
    assert escalate_overdue_qa(at(DUE)) == EscalationResult()  # due today: not overdue

    result = escalate_overdue_qa(at(FIRST_OVERDUE))

    assert result == EscalationResult(to_managers=1, entries_to_managers=3)
    (email,) = escalations()
    assert email.to == [team["head"].email] and not email.cc
    notice = email.notice
    assert notice.pep is None and notice.caused_by is None
    assert notice.recipients.get().part == "reviewer's line manager"
    text = email.subject + "\n" + email.message
    assert email.subject == "PEP QA overdue: 3 reviews in your team"
    assert email.message.startswith("Hello Hana,")
    for reference in refs(team["overdue"]):
        assert reference in text
    for reference in refs([team["later"], *team["left_out"]]):
        assert reference not in text
    assert f"{team['m1']}:\n" in email.message and f"{team['m2']}:\n" in email.message
    assert "due 28 April 2031 (1 school day overdue)" in email.message
    assert "escalated to the Virtual School Head" in email.message
    for first, last in Child.objects.values_list("first_name", "last_name"):
        assert first not in text and last not in text
    stamped = SampleEntry.objects.filter(escalated_to_manager_at=at(FIRST_OVERDUE))
    assert set(stamped) == set(team["overdue"])

    # Idempotent: the same day again, nothing; the next day only what became overdue.
    assert escalate_overdue_qa(at(FIRST_OVERDUE, hour=10)) == EscalationResult()
    assert escalate_overdue_qa(at(date(2031, 4, 30))) == EscalationResult()
    assert escalate_overdue_qa(at(date(2031, 5, 1))) == EscalationResult(to_managers=1, entries_to_managers=1)
    assert refs([team["later"]])[0] in escalations()[-1].message


@pytest.mark.django_db
def test_still_not_done_five_school_days_later_it_reaches_the_vsh(team):
    other_vsh = UserFactory(role=Role.VSH, username="vsh2")
    escalate_overdue_qa(at(FIRST_OVERDUE))
    m1_first = team["overdue"][0]
    m1_first.review = QaReviewFactory(pep=m1_first.pep, reviewer=team["m1"], submitted=True)
    m1_first.save()  # done meanwhile

    for day in (date(2031, 4, 30), date(2031, 5, 2), date(2031, 5, 6)):
        assert escalate_overdue_qa(at(day)).to_vsh == 0, day
    assert escalate_overdue_qa(at(date(2031, 5, 5))) == EscalationResult(school_day=False)

    result = escalate_overdue_qa(at(VSH_DAY))

    assert (result.to_vsh, result.entries_to_vsh) == (2, 2)
    to_vsh = [escalations(team["vsh"].email), escalations(other_vsh.email)]
    assert [len(emails) for emails in to_vsh] == [1, 1]  # one message each
    email = to_vsh[0][0]
    assert email.subject == "PEP QA overdue, still not done: 2 reviews escalated to the Virtual School Head"
    assert refs(team["overdue"][1:]) == [r for r in refs(team["overdue"][1:]) if r in email.message]
    assert refs([m1_first])[0] not in email.message
    assert "manager told 29 April 2031" in email.message
    assert "5 school days after they were escalated to the reviewer's line manager" in email.message
    assert escalate_overdue_qa(at(date(2031, 5, 8))).to_vsh == 0  # once only
    assert set(SampleEntry.objects.filter(escalated_to_vsh_at=at(VSH_DAY))) == set(team["overdue"][1:])


@pytest.mark.django_db
def test_a_reviewer_without_a_manager_passes_straight_on_to_the_vsh(vsh, lead):
    _, summer = calendar()
    mine = entry(summer, lead)

    assert escalate_overdue_qa(at(FIRST_OVERDUE)) == EscalationResult(entries_to_managers=1)
    assert not escalations()
    mine.refresh_from_db()
    assert mine.escalated_to_manager_at is not None
    assert escalate_overdue_qa(at(VSH_DAY)).to_vsh == 1
    assert [e.to for e in escalations()] == [[vsh.email]]


@pytest.mark.django_db
def test_an_inactive_reviewers_overdue_qa_still_reaches_their_manager(manager, vsh):
    _, summer = calendar()
    manager.line_manager = vsh
    manager.is_active = False  # left the Virtual School with QA to do
    manager.save()
    entry(summer, manager)

    assert escalate_overdue_qa(at(FIRST_OVERDUE)).to_managers == 1
    assert [e.to for e in escalations()] == [[vsh.email]]


@pytest.mark.django_db
def test_with_no_vsh_recorded_the_last_step_waits_for_one(lead):
    _, summer = calendar()
    mine = entry(summer, lead)
    escalate_overdue_qa(at(FIRST_OVERDUE))

    assert escalate_overdue_qa(at(VSH_DAY)) == EscalationResult()
    mine.refresh_from_db()
    assert mine.escalated_to_vsh_at is None
    vsh = UserFactory(role=Role.VSH)
    assert escalate_overdue_qa(at(date(2031, 5, 8))).to_vsh == 1
    assert [e.to for e in escalations()] == [[vsh.email]]


@pytest.mark.django_db
def test_the_vsh_step_follows_the_setting(team, settings):
    settings.QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS = 1
    escalate_overdue_qa(at(FIRST_OVERDUE))
    assert escalate_overdue_qa(at(date(2031, 4, 30))).to_vsh == 1


@pytest.mark.django_db
def test_the_command_and_the_task(team, eager):
    out = StringIO()
    call_command("escalate_overdue_qa", today="2031-04-29", stdout=out)
    assert out.getvalue().strip() == (
        "Overdue QA: 3 entries escalated to managers (1 message), 0 to the VSH (0 messages)."
    )
    out = StringIO()
    call_command("escalate_overdue_qa", today="2031-05-03", stdout=out)
    assert out.getvalue().strip() == "Overdue QA: not a school day: nothing sent."
    with pytest.raises(CommandError, match="--date"):
        call_command("escalate_overdue_qa", today="soon")
    # The task runs on the real date (these entries are not due yet then): JSON, no message.
    result = escalate_task.delay().get()
    assert set(result) == {"to_managers", "to_vsh", "entries_to_managers", "entries_to_vsh", "school_day"}
    assert Notice.objects.filter(kind=NoticeKind.QA_ESCALATION).count() == 1


# --- two runs at once (PostgreSQL) -------------------------------------------------------

WAIT_SECONDS = 10


def at_once(*calls):
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=WAIT_SECONDS)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - reported in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a run hung (a deadlock?)"
    if errors:
        raise errors[0]
    return results


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_send_each_message_once(team, settings):
    require_service("postgresql", connection.vendor == "postgresql", "concurrent runs need PostgreSQL")
    settings.QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS = 0  # both steps in one run

    results = at_once(*[lambda: escalate_overdue_qa(at(FIRST_OVERDUE))] * 2)

    assert sum(r.to_managers for r in results) == 1 and sum(r.to_vsh for r in results) == 1
    assert sum(r.entries_to_managers for r in results) == 3 and sum(r.entries_to_vsh for r in results) == 3
    assert len(escalations(team["head"].email)) == 1
    assert len(escalations(team["vsh"].email)) == 1

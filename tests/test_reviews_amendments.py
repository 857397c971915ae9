"""reviews.amendments: the message that returns a PEP to the DT and SW, and the chase of an
overdue amendment (one reminder, then one escalation), counted in school days.

The school calendar of the timing tests (2031, England): the spring term ends on Friday
4 April; the Easter holidays (Good Friday 11 April, Easter Monday 14 April) close the
schools until the summer term starts on Tuesday 22 April; Monday 5 May is a bank holiday.
"""

import threading
from datetime import date, datetime, time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from post_office.models import Email

from core.vocabulary import Role, Season
from notices.models import Notice, NoticeKind, NoticeRecipient
from peps.calendar import school_days_later
from peps.models import PepStatus
from peps.signals import pep_submitted
from reviews import amendments
from reviews.amendments import ChaseResult, chase_amendments, escalation_day
from reviews.models import Amendment, AmendmentState
from reviews.services import mark_amended, save_review, start_review
from reviews.tasks import chase_amendments as chase_task

from .factories import (
    ChildFactory,
    DesignatedTeacherFactory,
    PepFactory,
    SocialWorkerFactory,
    TermFactory,
    UserFactory,
    rate_all,
)
from .services import require_service

# Two areas Amber, three Red, three Green: more than half Red or Amber, returned.
RETURNING = ["amber", "red", "green", "red", "green", "amber", "red", "green"]


def at(day: date, hour: int = 7, minute: int = 45) -> datetime:
    """That day's morning run, UK time."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def school_year_2031():
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


def return_pep(pep, reviewer, comment="Needs more"):
    """Submit a review that returns ``pep``; its amendment."""
    review = start_review(pep, reviewer)
    save_review(
        review, rate_all(review, RETURNING, comment=comment), strengths="", development_points="More", submit=True
    )
    pep.refresh_from_db()
    assert pep.status == PepStatus.RETURNED
    return Amendment.objects.get(review=review)


def due(amendment, on: date) -> Amendment:
    """Make the amendment due on ``on`` (returned ten school days before, say)."""
    amendment.due_on = on
    amendment.save(update_fields=["due_on"])
    return amendment


def notices(kind) -> list[Notice]:
    return list(Notice.objects.filter(kind=kind).select_related("email").order_by("pk"))


def to_and_cc(notice: Notice) -> tuple[list[str], list[str]]:
    return list(notice.email.to), list(notice.email.cc)


@pytest.fixture
def returned(pep, manager):
    """``pep`` returned by ``manager``'s review, its ePEP link known."""
    pep.epep_url = "https://epep.example.org/peps/4711"
    pep.save(update_fields=["epep_url"])
    return return_pep(pep, manager)


# --- the return message ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_return_message_lists_the_areas_comments_due_date_and_epep_link(returned, officer, settings):
    pep = returned.pep
    child = pep.child
    (notice,) = notices(NoticeKind.RETURNED)
    email = notice.email

    assert to_and_cc(notice) == ([child.designated_teacher.email, child.social_worker.email], [officer.email])
    assert sorted((r.copy, r.part) for r in notice.recipients.all()) == [
        (NoticeRecipient.Copy.CC, "allocated officer"),
        (NoticeRecipient.Copy.TO, "designated teacher"),
        (NoticeRecipient.Copy.TO, "social worker"),
    ]
    assert notice.pep == pep and notice.caused_by == returned.review.reviewer
    body = email.message
    amber_and_red = [
        r for r in returned.review.area_ratings.select_related("area").order_by("area__position")
        if r.rating in ("amber", "red")
    ]  # fmt: skip
    assert len(amber_and_red) == 5
    for rating in amber_and_red:
        assert f"{rating.area.title} – rated {rating.get_rating_display()}" in body
    assert body.count("Needs more") == 5
    green = returned.review.area_ratings.select_related("area").filter(rating="green")
    assert not any(f"{r.area.title} – rated" in body for r in green)
    assert "Development points from the review:\nMore" in body
    assert f"by {returned.due_on:%A} {returned.due_on.day} {returned.due_on:%B %Y}" in body
    assert f"({settings.AMENDMENT_DUE_SCHOOL_DAYS} school days)" in body
    assert "Where to amend it: https://epep.example.org/peps/4711" in body
    assert f"due {returned.due_on.day} {returned.due_on:%B %Y}" in email.subject
    assert returned.due_on == school_days_later(timezone.localdate(returned.requested_at), 10)


@pytest.mark.django_db
def test_without_an_epep_link_the_message_says_where_to_find_the_pep(pep, manager):
    return_pep(pep, manager)
    (notice,) = notices(NoticeKind.RETURNED)
    assert f"the PEP in your ePEP system (sign in and open {pep.child.la_reference}, {pep.term})" in (
        notice.email.message
    )


@pytest.mark.django_db
@pytest.mark.parametrize("secure", [False, True])
def test_children_are_named_by_reference_and_initials_unless_the_mail_route_is_secure(
    officer, manager, settings, secure
):
    settings.MAIL_ROUTE_SECURE = secure
    child = ChildFactory(first_name="Amira", last_name="Zahid", la_reference="LA-77", allocated_officer=officer)
    pep = PepFactory(child=child)
    school_year_2031()
    due(return_pep(pep, manager), date(2031, 4, 28))
    assert chase_amendments(at(date(2031, 4, 29))).reminded == 1
    assert chase_amendments(at(date(2031, 5, 7))).escalated == 1

    assert [n.kind for n in Notice.objects.order_by("pk")] == [
        NoticeKind.RETURNED,
        NoticeKind.AMENDMENT_REMINDER,
        NoticeKind.AMENDMENT_ESCALATION,
    ]
    for email in Email.objects.order_by("pk"):
        text = email.subject + "\n" + email.message
        if secure:
            assert "Amira Zahid (LA-77)" in email.subject
            assert "named by LA reference and initials" not in text
        else:
            assert "LA-77 (AZ)" in email.subject and "LA-77 (AZ)" in email.message
            assert "Amira" not in text and "Zahid" not in text
            assert "Children are named by LA reference and initials only" in text


# --- the reminder, in school days -------------------------------------------------------


@pytest.mark.django_db
def test_the_reminder_waits_for_the_first_school_day_after_the_due_date(returned):
    school_year_2031()
    due(returned, date(2031, 4, 4))  # the last day of the spring term

    for closed in (date(2031, 4, 5), date(2031, 4, 7), date(2031, 4, 14), date(2031, 4, 21)):
        # a Saturday, a weekday of the Easter holidays, Easter Monday, the last day of them
        assert chase_amendments(at(closed)) == ChaseResult(school_day=False), closed
    assert chase_amendments(at(date(2031, 4, 4))) == ChaseResult()  # due today: not overdue yet
    assert not notices(NoticeKind.AMENDMENT_REMINDER)
    returned.refresh_from_db()
    assert returned.state_on(date(2031, 4, 21)) == AmendmentState.OVERDUE

    # The first day of the summer term.
    assert chase_amendments(at(date(2031, 4, 22))) == ChaseResult(reminded=1)

    returned.refresh_from_db()
    assert returned.reminded_at == at(date(2031, 4, 22))
    assert returned.state_on(date(2031, 4, 22)) == AmendmentState.REMINDED
    (notice,) = notices(NoticeKind.AMENDMENT_REMINDER)
    child = returned.pep.child
    assert to_and_cc(notice) == (
        [child.designated_teacher.email, child.social_worker.email],
        [returned.pep.officer.email],
    )
    assert notice.pep == returned.pep and notice.caused_by is None
    body = notice.email.message
    assert "was due by Friday 4 April 2031" in body
    assert "(1 school day overdue)" in body  # the holidays do not count
    # Escalated five school days on (23, 24, 25, 28, 29 April) if still not amended.
    assert "If it is still not amended by Tuesday 29 April 2031, it is escalated" in body
    assert body.count("– rated ") == 5 and "Where to amend it: https://epep.example.org/peps/4711" in body
    assert "Reminder: PEP amendment overdue" in notice.email.subject
    assert "was due 4 April 2031" in notice.email.subject


@pytest.mark.django_db
def test_one_reminder_only_however_often_the_chase_runs(returned):
    school_year_2031()
    due(returned, date(2031, 4, 28))

    assert chase_amendments(at(date(2031, 4, 29))).reminded == 1
    assert chase_amendments(at(date(2031, 4, 29), hour=9)) == ChaseResult()  # again, the same day
    assert chase_amendments(at(date(2031, 4, 30))) == ChaseResult()  # the next day
    assert len(notices(NoticeKind.AMENDMENT_REMINDER)) == 1
    assert Email.objects.count() == 2  # the return, and the one reminder


# --- the escalation ---------------------------------------------------------------------


@pytest.mark.django_db
def test_escalation_comes_five_school_days_after_the_reminder_skipping_a_bank_holiday(
    returned, officer, manager, settings
):
    school_year_2031()
    due(returned, date(2031, 4, 29))
    assert chase_amendments(at(date(2031, 4, 30))).reminded == 1  # a Wednesday
    # 1 and 2 May, (Monday 5 May is a bank holiday), 6, 7 and 8 May: the fifth is Thursday 8 May.
    assert escalation_day(date(2031, 4, 30), lambda d: d.weekday() >= 5 or d == date(2031, 5, 5)) == date(2031, 5, 8)

    for day in (date(2031, 5, 1), date(2031, 5, 2), date(2031, 5, 6), date(2031, 5, 7)):
        assert chase_amendments(at(day)) == ChaseResult(), day
    assert chase_amendments(at(date(2031, 5, 5))) == ChaseResult(school_day=False)
    assert not notices(NoticeKind.AMENDMENT_ESCALATION)

    assert chase_amendments(at(date(2031, 5, 8))) == ChaseResult(escalated=1)
    assert chase_amendments(at(date(2031, 5, 9))) == ChaseResult()  # once only

    returned.refresh_from_db()
    assert returned.escalated_at == at(date(2031, 5, 8))
    assert returned.state_on(date(2031, 5, 8)) == AmendmentState.ESCALATED
    (notice,) = notices(NoticeKind.AMENDMENT_ESCALATION)
    assert to_and_cc(notice) == ([officer.email, manager.email], [])
    assert sorted(r.part for r in notice.recipients.all()) == ["allocated officer", "officer's line manager"]
    body = notice.email.message
    child = returned.pep.child
    assert "Due by Tuesday 29 April 2031: 6 school days overdue" in body
    assert "Reminder sent to the DT and SW on 30 April 2031, 5 school days ago" in body
    assert f"Designated teacher: {child.designated_teacher.name} <{child.designated_teacher.email}>" in body
    assert f"Social worker: {child.social_worker.name}, {child.social_worker.team}" in body
    assert f"{settings.SITE_URL}{reverse('peps:detail', args=[returned.pep_id])}" in body
    assert body.count("– rated ") == 5
    assert "PEP amendment overdue, escalated" in notice.email.subject


@pytest.mark.django_db
def test_the_escalation_setting_is_in_school_days(returned, settings):
    school_year_2031()
    settings.AMENDMENT_ESCALATE_AFTER_SCHOOL_DAYS = 1
    due(returned, date(2031, 4, 3))
    assert chase_amendments(at(date(2031, 4, 4))).reminded == 1  # the last day of term
    assert chase_amendments(at(date(2031, 4, 22))) == ChaseResult(escalated=1)  # the next school day


@pytest.mark.django_db
def test_nothing_is_chased_once_amended_or_withdrawn(returned, officer, pep, manager):
    school_year_2031()
    due(returned, date(2031, 4, 28))
    assert chase_amendments(at(date(2031, 4, 29))).reminded == 1
    mark_amended(returned.pep, officer)

    returned.refresh_from_db()
    assert returned.state_on(date(2031, 5, 30)) == AmendmentState.AMENDED
    assert chase_amendments(at(date(2031, 5, 30))) == ChaseResult()

    # Returned again, then the review corrected to finalise it: withdrawn, not chased.
    pep.refresh_from_db()
    again = due(return_pep(pep, manager), date(2031, 4, 28))
    Amendment.objects.filter(pk=again.pk).update(withdrawn_at=timezone.now())
    assert chase_amendments(at(date(2031, 5, 30))) == ChaseResult()
    assert len(notices(NoticeKind.AMENDMENT_REMINDER)) == 1
    assert not notices(NoticeKind.AMENDMENT_ESCALATION)


@pytest.mark.django_db
def test_with_no_line_manager_the_escalation_goes_to_the_vsh(pep, manager, officer, vsh):
    school_year_2031()
    amendment = due(return_pep(pep, manager), date(2031, 4, 28))
    officer.line_manager = None  # say the manager left
    officer.save()
    inactive_vsh = UserFactory(role=Role.VSH, is_active=False)
    chase_amendments(at(date(2031, 4, 29)))
    chase_amendments(at(date(2031, 5, 7)))

    (notice,) = notices(NoticeKind.AMENDMENT_ESCALATION)
    assert to_and_cc(notice) == ([officer.email, vsh.email], [])
    assert inactive_vsh.email not in notice.email.to
    assert "the Virtual School Head is told instead" in notice.email.message
    amendment.refresh_from_db()
    assert amendment.escalated_at is not None


@pytest.mark.django_db
def test_a_child_with_no_dt_or_sw_is_reminded_through_the_officer(officer, manager):
    school_year_2031()
    child = ChildFactory(allocated_officer=officer, designated_teacher=None, social_worker=None)
    amendment = due(return_pep(PepFactory(child=child), manager), date(2031, 4, 28))

    assert chase_amendments(at(date(2031, 4, 29))).reminded == 1

    (notice,) = notices(NoticeKind.AMENDMENT_REMINDER)
    assert to_and_cc(notice) == ([officer.email], [])
    assert "this reminder went to the allocated officer only" in notice.email.message
    amendment.refresh_from_db()
    assert amendment.reminded_at is not None


@pytest.mark.django_db
def test_a_failed_write_leaves_the_amendment_unstamped(returned, monkeypatch):
    school_year_2031()
    due(returned, date(2031, 4, 28))

    def refuse(**kwargs):
        raise RuntimeError("the outbox is unwritable")

    monkeypatch.setattr(amendments, "queue_message", refuse)
    with pytest.raises(RuntimeError):
        chase_amendments(at(date(2031, 4, 29)))
    returned.refresh_from_db()
    assert returned.reminded_at is None
    assert not notices(NoticeKind.AMENDMENT_REMINDER)


@pytest.mark.django_db
def test_several_amendments_each_get_their_own_reminder(officer, manager):
    school_year_2031()
    several = [return_pep(PepFactory(child=ChildFactory(allocated_officer=officer)), manager) for _ in range(3)]
    for amendment, on in zip(several, [date(2031, 4, 28), date(2031, 4, 28), date(2031, 4, 29)], strict=True):
        due(amendment, on)  # the last due today: not overdue yet

    assert chase_amendments(at(date(2031, 4, 29))) == ChaseResult(reminded=2)
    assert {n.pep_id for n in notices(NoticeKind.AMENDMENT_REMINDER)} == {a.pep_id for a in several[:2]}


# --- mark amended: back for QA -----------------------------------------------------------


@pytest.mark.django_db
def test_mark_amended_announces_the_pep_as_submitted(returned, officer):
    received = []

    def receiver(sender, pep, by, **kwargs):
        received.append((pep.pk, pep.status, by))

    pep_submitted.connect(receiver)
    try:
        mark_amended(returned.pep, officer)
    finally:
        pep_submitted.disconnect(receiver)
    assert received == [(returned.pep_id, PepStatus.SUBMITTED, officer)]


# --- the task and the command -----------------------------------------------------------


@pytest.mark.django_db
def test_the_task_and_the_command_chase(returned, eager):
    school_year_2031()
    due(returned, date(2031, 4, 28))
    out = StringIO()
    call_command("chase_amendments", today="2031-04-29", stdout=out)
    assert out.getvalue().strip() == "Overdue amendments: 1 reminder, 0 escalations."
    out = StringIO()
    call_command("chase_amendments", today="2031-05-05", stdout=out)
    assert out.getvalue().strip() == "Overdue amendments: not a school day: nothing sent."
    with pytest.raises(CommandError, match="--date"):
        call_command("chase_amendments", today="tomorrow")
    # The task runs on the real date: whatever it finds, it is JSON and sends nothing twice.
    result = chase_task.delay().get()
    assert set(result) == {"reminded", "escalated", "school_day"}
    assert len(notices(NoticeKind.AMENDMENT_REMINDER)) == 1


# --- two runs at once (PostgreSQL) -------------------------------------------------------

WAIT_SECONDS = 10


def at_once(*calls):
    """Each call in a thread (a connection) of its own, released together."""
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
def test_two_chases_at_once_send_each_reminder_and_escalation_once(officer, manager, settings):
    require_service("postgresql", connection.vendor == "postgresql", "concurrent runs need PostgreSQL")
    settings.AMENDMENT_ESCALATE_AFTER_SCHOOL_DAYS = 0  # remind and escalate in one run
    school_year_2031()
    for _ in range(4):
        child = ChildFactory(
            allocated_officer=officer,
            designated_teacher=DesignatedTeacherFactory(),
            social_worker=SocialWorkerFactory(),
        )
        due(return_pep(PepFactory(child=child), manager), date(2031, 4, 28))

    results = at_once(*[lambda: chase_amendments(at(date(2031, 4, 29)))] * 2)

    assert sum(r.reminded for r in results) == 4 and sum(r.escalated for r in results) == 4
    assert len(notices(NoticeKind.AMENDMENT_REMINDER)) == 4
    assert len(notices(NoticeKind.AMENDMENT_ESCALATION)) == 4
    assert not Amendment.objects.filter(reminded_at=None).exists()
    assert not Amendment.objects.filter(escalated_at=None).exists()

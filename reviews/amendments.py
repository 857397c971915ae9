"""The amendment loop: a PEP returned by its QA review goes back to the designated teacher
and the social worker (copy to the allocated officer) with the areas to amend, the
reviewer's comment on each, the date it is due and where to amend it. The message is
written to the outbox in the review's transaction (notices.outbox).

Overdue, it is chased (``chase_amendments``, daily on school days): one reminder to the DT
and SW once past its due date, then one escalation to the officer and their line manager
AMENDMENT_ESCALATE_AFTER_SCHOOL_DAYS school days later if the PEP is still not amended."""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.schooldays import ClosedRule, add_school_days, school_days_after
from core.vocabulary import Rating, Role
from notices.models import NoticeKind
from notices.outbox import Recipient, child_for_mail, queue_message
from peps.calendar import closed_days, school_days_later
from peps.models import Pep, PepStatus

from .models import Amendment, QaReview

logger = logging.getLogger(__name__)


def areas_to_amend(area_ratings) -> list:
    """The Amber and Red areas (of a review's area ratings) the DT and SW must amend."""
    return [r for r in area_ratings if r.rating in (Rating.AMBER, Rating.RED)]


def open_amendment(review: QaReview, returned_at: datetime | None = None) -> Amendment:
    """Record the amendment a returning review asks for and tell the DT and SW. Called
    under the PEP's row lock; a PEP with an amendment still open keeps that one.

    ``returned_at``: when the PEP was returned, the review's submission unless given (a
    correction that returns the PEP returns it now). A review whose amendment was withdrawn
    (corrected to finalise the PEP) and is corrected to return it again asks for that
    amendment again, due from now."""
    pep = review.pep
    existing = Amendment.objects.filter(pep=pep, amended_at__isnull=True, withdrawn_at__isnull=True).first()
    if existing:
        return existing
    returned_at = returned_at or review.submitted_at or timezone.now()
    due_on = school_days_later(timezone.localdate(returned_at), settings.AMENDMENT_DUE_SCHOOL_DAYS)
    withdrawn = Amendment.objects.filter(review=review, withdrawn_at__isnull=False).first()
    if withdrawn is not None:
        withdrawn.requested_at, withdrawn.due_on = returned_at, due_on
        withdrawn.withdrawn_at = withdrawn.reminded_at = withdrawn.escalated_at = None
        withdrawn.save(update_fields=["requested_at", "due_on", "withdrawn_at", "reminded_at", "escalated_at"])
        amendment = withdrawn
    else:
        amendment = Amendment.objects.create(pep=pep, review=review, requested_at=returned_at, due_on=due_on)
    send_return_message(amendment)
    return amendment


def amendment_people(pep: Pep) -> tuple[list[Recipient], list[Recipient]]:
    """Who is asked to amend (the DT and the SW) and who is copied in (the officer)."""
    child = pep.child
    to = []
    if child.designated_teacher:
        to.append(Recipient(child.designated_teacher.email, child.designated_teacher.name, "designated teacher"))
    if child.social_worker:
        to.append(Recipient(child.social_worker.email, child.social_worker.name, "social worker"))
    officer = pep.officer or child.allocated_officer
    cc = [Recipient(officer.email, officer.get_full_name() or officer.username, "allocated officer")] if officer else []
    return to, cc


def send_return_message(amendment: Amendment):
    pep = Pep.objects.select_related(
        "child__designated_teacher__school", "child__social_worker", "child__allocated_officer", "officer", "term"
    ).get(pk=amendment.pep_id)
    review = amendment.review
    to, cc = amendment_people(pep)
    areas = areas_to_amend(review.area_ratings.select_related("area"))
    context = {
        "child": child_for_mail(pep.child),
        "names_in_full": settings.MAIL_ROUTE_SECURE,
        "pep": pep,
        "review": review,
        "judgement": Rating(review.overall_judgement).label if review.overall_judgement else "",
        "areas": [{"title": r.area.title, "rating": r.get_rating_display(), "comment": r.comment} for r in areas],
        "due_on": amendment.due_on,
        "due_school_days": settings.AMENDMENT_DUE_SCHOOL_DAYS,
        "epep_url": pep.epep_url,
        "no_dt_or_sw": not to,
        "missing": [
            part
            for part, person in (
                ("designated teacher", pep.child.designated_teacher),
                ("social worker", pep.child.social_worker),
            )
            if person is None
        ],
        "reviewer": review.reviewer.get_full_name() or review.reviewer.username,
    }
    return queue_message(
        kind=NoticeKind.RETURNED,
        to=to,
        cc=cc,
        template="reviews/email/returned",
        context=context,
        pep=pep,
        caused_by=review.reviewer,
    )


def close_amendment(pep: Pep, by) -> Amendment | None:
    """The PEP was marked amended: its open amendment is done."""
    amendment = Amendment.objects.filter(pep=pep, amended_at__isnull=True, withdrawn_at__isnull=True).first()
    if amendment:
        amendment.amended_at = timezone.now()
        amendment.amended_by = by
        amendment.save(update_fields=["amended_at", "amended_by"])
    return amendment


def withdraw_amendment(pep: Pep) -> Amendment | None:
    """The returning review was corrected to finalise the PEP: nothing is left to amend."""
    amendment = Amendment.objects.filter(pep=pep, amended_at__isnull=True, withdrawn_at__isnull=True).first()
    if amendment:
        amendment.withdrawn_at = timezone.now()
        amendment.save(update_fields=["withdrawn_at"])
    return amendment


# --- chasing an overdue amendment: one reminder, then one escalation -------------------


@dataclass
class ChaseResult:
    reminded: int = 0
    escalated: int = 0
    school_day: bool = True

    def __str__(self) -> str:
        if not self.school_day:
            return "not a school day: nothing sent"
        reminders = f"{self.reminded} reminder{pluralize(self.reminded)}"
        return f"{reminders}, {self.escalated} escalation{pluralize(self.escalated)}"


def open_amendments() -> QuerySet[Amendment]:
    """Amendments still open on a PEP still returned for amendment."""
    return Amendment.objects.filter(amended_at__isnull=True, withdrawn_at__isnull=True, pep__status=PepStatus.RETURNED)


def reminders_due(today: date) -> QuerySet[Amendment]:
    """Open amendments past their due date and not reminded yet."""
    return open_amendments().filter(due_on__lt=today, reminded_at__isnull=True)


def escalation_day(reminded_on: date, closed: ClosedRule) -> date:
    """The school day an amendment reminded on ``reminded_on`` escalates, if still open."""
    return add_school_days(reminded_on, settings.AMENDMENT_ESCALATE_AFTER_SCHOOL_DAYS, closed)


def escalations_due(today: date, closed: ClosedRule) -> list[int]:
    """The ids of the open amendments reminded AMENDMENT_ESCALATE_AFTER_SCHOOL_DAYS school
    days ago (or more) and not escalated yet."""
    reminded = open_amendments().filter(reminded_at__isnull=False, escalated_at__isnull=True)
    return [
        pk
        for pk, reminded_at in reminded.order_by("due_on", "pk").values_list("pk", "reminded_at")
        if today >= escalation_day(timezone.localdate(reminded_at), closed)
    ]


def chase_amendments(now: datetime | None = None) -> ChaseResult:
    """The daily chase (a school day's morning): each open amendment past its due date gets
    ONE reminder to the DT and SW (copy to the officer), stamped ``reminded_at``; one still
    open AMENDMENT_ESCALATE_AFTER_SCHOOL_DAYS school days after its reminder gets ONE
    escalation to the officer and their line manager, stamped ``escalated_at``.

    On a day the schools are closed (a weekend, a bank holiday, between terms) it sends
    nothing: what is owed goes out on the next school day. Idempotent and safe to run twice
    at once: each amendment is claimed under its row lock, its stamp re-checked, and its
    message written to the outbox in the transaction that stamps it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    closed = closed_days(today)
    if closed(today):
        return ChaseResult(school_day=False)
    result = ChaseResult()
    for pk in reminders_due(today).order_by("due_on", "pk").values_list("pk", flat=True):
        result.reminded += _remind(pk, now, closed)
    for pk in escalations_due(today, closed):
        result.escalated += _escalate(pk, now, closed)
    return result


def _claim(pk: int, **unstamped) -> Amendment | None:
    """Lock the amendment and return it if it is still open and ``unstamped`` (a waiting
    lock re-reads the row: a concurrent run's stamp makes this None)."""
    return (
        Amendment.objects.select_for_update()
        .filter(pk=pk, amended_at__isnull=True, withdrawn_at__isnull=True, **unstamped)
        .first()
    )


def _pep_for_mail(pk: int) -> Pep:
    return Pep.objects.select_related(
        "child__designated_teacher",
        "child__social_worker__team",
        "child__allocated_officer__line_manager",
        "officer__line_manager",
        "term",
    ).get(pk=pk)


def _amendment_context(amendment: Amendment, pep: Pep) -> dict:
    review = amendment.review
    areas = areas_to_amend(review.area_ratings.select_related("area"))
    return {
        "child": child_for_mail(pep.child),
        "names_in_full": settings.MAIL_ROUTE_SECURE,
        "pep": pep,
        "pep_path": reverse("peps:detail", args=[pep.pk]),
        "review": review,
        "reviewer": review.reviewer.get_full_name() or review.reviewer.username,
        "judgement": Rating(review.overall_judgement).label if review.overall_judgement else "",
        "areas": [{"title": r.area.title, "rating": r.get_rating_display(), "comment": r.comment} for r in areas],
        "returned_on": timezone.localdate(amendment.requested_at),
        "due_on": amendment.due_on,
        "epep_url": pep.epep_url,
        "designated_teacher": pep.child.designated_teacher,
        "social_worker": pep.child.social_worker,
    }


def _remind(pk: int, now: datetime, closed: ClosedRule) -> bool:
    with transaction.atomic():
        amendment = _claim(pk, reminded_at__isnull=True)
        if amendment is None:
            return False
        pep = _pep_for_mail(amendment.pep_id)
        if pep.status != PepStatus.RETURNED:
            return False
        amendment.reminded_at = now
        amendment.save(update_fields=["reminded_at"])
        to, cc = amendment_people(pep)
        today = timezone.localdate(now)
        context = {
            **_amendment_context(amendment, pep),
            "overdue_school_days": school_days_after(amendment.due_on, today, closed),
            "escalate_on": escalation_day(today, closed),
            "no_dt_or_sw": not to,
        }
        notice = queue_message(
            kind=NoticeKind.AMENDMENT_REMINDER,
            to=to,
            cc=cc,
            template="reviews/email/amendment_reminder",
            context=context,
            pep=pep,
        )
        if notice is None:
            logger.warning("Amendment %s is overdue but nobody is recorded to remind.", amendment.pk)
        return True


def escalation_people(pep: Pep) -> tuple[list[Recipient], bool]:
    """Who an overdue amendment escalates to: the officer and the officer's line manager;
    with no line manager recorded (or none active), the Virtual School Head instead. The
    second value says whether the VSH stands in for the manager."""
    officer = next((u for u in (pep.officer, pep.child.allocated_officer) if u is not None and u.is_active), None)
    people = []
    if officer:
        people.append(_staff(officer, "allocated officer"))
    manager = officer.line_manager if officer else None
    if manager is not None and manager.is_active:
        return [*people, _staff(manager, "officer's line manager")], False
    heads = User.objects.filter(role=Role.VSH, is_active=True).exclude(email="").order_by("pk")
    return [*people, *(_staff(head, "Virtual School Head") for head in heads)], True


def _staff(user: User, part: str) -> Recipient:
    return Recipient(user.email, user.get_full_name() or user.username, part)


def _escalate(pk: int, now: datetime, closed: ClosedRule) -> bool:
    with transaction.atomic():
        amendment = _claim(pk, reminded_at__isnull=False, escalated_at__isnull=True)
        if amendment is None or timezone.localdate(now) < escalation_day(
            timezone.localdate(amendment.reminded_at), closed
        ):
            return False
        pep = _pep_for_mail(amendment.pep_id)
        if pep.status != PepStatus.RETURNED:
            return False
        amendment.escalated_at = now
        amendment.save(update_fields=["escalated_at"])
        to, head_instead = escalation_people(pep)
        context = {
            **_amendment_context(amendment, pep),
            "reminded_on": timezone.localdate(amendment.reminded_at),
            "overdue_school_days": school_days_after(amendment.due_on, timezone.localdate(now), closed),
            "escalate_after": settings.AMENDMENT_ESCALATE_AFTER_SCHOOL_DAYS,
            "head_instead": head_instead,
        }
        notice = queue_message(
            kind=NoticeKind.AMENDMENT_ESCALATION,
            to=to,
            template="reviews/email/amendment_escalation",
            context=context,
            pep=pep,
        )
        if notice is None:
            logger.warning("Amendment %s is overdue but nobody is recorded to escalate it to.", amendment.pk)
        return True

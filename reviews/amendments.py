"""The amendment loop: a PEP returned by its QA review goes back to the designated teacher
and the social worker (copy to the allocated officer) with the areas to amend, the
reviewer's comment on each, the date it is due and where to amend it. The message is
written to the outbox in the review's transaction (notices.outbox)."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from core.vocabulary import Rating
from notices.models import NoticeKind
from notices.outbox import Recipient, child_for_mail, queue_message
from peps.calendar import school_days_later
from peps.models import Pep

from .models import Amendment, QaReview


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

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from notices.models import Notice, NoticeRecipient
from peps.calendar import closed_days
from peps.models import Pep

from .amendments import escalation_day
from .models import Amendment, AmendmentState, AreaRating, QaReview, ReviewStatus


def review_history(pep) -> QuerySet[QaReview]:
    return (
        pep.reviews.filter(status=ReviewStatus.SUBMITTED)
        .select_related("reviewer", "pro_forma")
        .prefetch_related(Prefetch("area_ratings", queryset=AreaRating.objects.select_related("area")))
    )


def with_area_ratings(reviews: QuerySet[QaReview]) -> QuerySet[QaReview]:
    """Reviews with their PEP, pro-forma and area ratings, for the rating page."""
    return reviews.select_related("pep__child", "pep__term", "pro_forma", "reviewer").prefetch_related(
        Prefetch("area_ratings", queryset=AreaRating.objects.select_related("area"))
    )


def my_draft_reviews(user: User) -> QuerySet[QaReview]:
    return QaReview.objects.filter(reviewer=user, status=ReviewStatus.DRAFT).select_related("pep__child", "pep__term")


# --- a returned PEP's amendment and the messages about the PEP --------------------------


@dataclass(frozen=True)
class AmendmentStatus:
    """A PEP's latest amendment as its page shows it: its state today, and the day it
    escalates if it is reminded and still not amended."""

    amendment: Amendment
    state: AmendmentState
    overdue: bool
    escalates_on: date | None


def amendment_status(pep: Pep, today: date | None = None) -> AmendmentStatus | None:
    amendment = (
        Amendment.objects.filter(pep=pep)
        .select_related("review__reviewer", "amended_by")
        .order_by("-requested_at", "-pk")
        .first()
    )
    if amendment is None:
        return None
    today = today or timezone.localdate()
    state = amendment.state_on(today)
    escalates_on = None
    if state == AmendmentState.REMINDED and amendment.reminded_at:
        escalates_on = escalation_day(timezone.localdate(amendment.reminded_at), closed_days(today))
    return AmendmentStatus(amendment, state, amendment.is_open and today > amendment.due_on, escalates_on)


def open_amendments_prefetch() -> Prefetch:
    """For a list of PEPs: each PEP's open amendment (at most one) as ``pep.open_amendments``,
    in one query for the page."""
    return Prefetch(
        "amendments",
        queryset=Amendment.objects.filter(amended_at__isnull=True, withdrawn_at__isnull=True),
        to_attr="open_amendments",
    )


def pep_messages(pep: Pep) -> QuerySet[Notice]:
    """The messages about a PEP (its return, reminders, escalations...), oldest first, each
    with its e-mail (for its state) and its recipients (those it went to, then the copies)."""
    return (
        Notice.objects.filter(pep=pep)
        .select_related("email")
        .prefetch_related(Prefetch("recipients", queryset=NoticeRecipient.objects.order_by("-copy", "pk")))
        .order_by("created_at", "pk")
    )

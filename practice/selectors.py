"""Reads for one-to-one supervision: the reviews to discuss, the actions carried forward,
and an officer's own supervisions, actions and training. None of these asks who is
looking: the pages narrow them through the access policy's scopes."""

from datetime import date, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from peps.models import Term
from reviews.models import AreaRating, QaReview, ReviewStatus

from .models import ActionStatus, PracticeAction, Supervision, TrainingOffer

# The reviews to pick from: those of the officer's PEPs in the last few terms.
RECENT_TERMS = 3
# An open action due within this many days (or overdue) is shown as a reminder.
DUE_SOON_DAYS = 7


def recent_terms(on: date | None = None) -> QuerySet[Term]:
    """The ``RECENT_TERMS`` latest terms that had started by ``on`` (today)."""
    on = on or timezone.localdate()
    latest = Term.objects.filter(start_date__lte=on).order_by("-start_date").values("pk")[:RECENT_TERMS]
    return Term.objects.filter(pk__in=list(latest.values_list("pk", flat=True)))


def as_qa_template(reviews: QuerySet[QaReview]) -> QuerySet[QaReview]:
    """Reviews with what the QA template shows (the child, term, reviewer, each area's
    title, rating and comment in pro-forma order) loaded in a constant number of queries."""
    return reviews.select_related("pep__child", "pep__term", "reviewer", "pro_forma").prefetch_related(
        Prefetch(
            "area_ratings",
            queryset=AreaRating.objects.select_related("area").order_by("area__position", "pk"),
        )
    )


def recent_reviews_of(officer: User, on: date | None = None) -> QuerySet[QaReview]:
    """The submitted QA reviews of PEPs ``officer`` held in the last terms, newest first
    (never a review the officer made)."""
    return as_qa_template(
        QaReview.objects.filter(
            status=ReviewStatus.SUBMITTED, pep__officer=officer, pep__term__in=recent_terms(on)
        ).exclude(reviewer=officer)
    ).order_by("-submitted_at", "-pk")


def carried_forward(officer: User, into: Supervision | None = None) -> QuerySet[PracticeAction]:
    """The open actions of ``officer``'s earlier supervisions, carried into the next one
    (``into``, when it is recorded already: those of supervisions before it)."""
    actions = PracticeAction.objects.filter(supervision__officer=officer, status=ActionStatus.OPEN)
    if into is not None:
        actions = actions.exclude(supervision=into).filter(
            Q(supervision__date__lt=into.date) | Q(supervision__date=into.date, supervision__pk__lt=into.pk)
        )
    return actions.select_related("supervision__officer", "owner", "area", "review__pep__child").order_by("due", "pk")


def followed_up_at(supervision: Supervision) -> QuerySet[PracticeAction]:
    """The earlier actions whose outcome was recorded at ``supervision``."""
    return supervision.followed_up_actions.select_related("supervision", "owner", "area").order_by("due", "pk")


def supervisions_of(officer: User) -> QuerySet[Supervision]:
    return Supervision.objects.filter(officer=officer).select_related("manager").order_by("-date", "-pk")


def actions_of(officer: User) -> QuerySet[PracticeAction]:
    """The actions an officer owns, and those agreed at their supervisions (some owned by
    their manager): open ones first, by due date."""
    return (
        PracticeAction.objects.filter(Q(owner=officer) | Q(supervision__officer=officer))
        .select_related("owner", "area", "supervision", "peer_review")
        .order_by("-status", "due", "pk")  # "open" sorts after "not_done" and "done", so descending
    )


def training_of(officer: User) -> QuerySet[TrainingOffer]:
    return TrainingOffer.objects.filter(officer=officer).select_related("supervision").order_by("date", "pk")


def is_due_soon(action: PracticeAction, today: date) -> bool:
    """An open action due within ``DUE_SOON_DAYS`` days, or overdue."""
    return action.status == ActionStatus.OPEN and action.due <= today + timedelta(days=DUE_SOON_DAYS)

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from peps.selectors import visible_peps

from .models import AreaRating, QaReview, ReviewStatus


def review_history(pep) -> QuerySet[QaReview]:
    return (
        pep.reviews.filter(status=ReviewStatus.SUBMITTED)
        .select_related("reviewer", "pro_forma")
        .prefetch_related(
            Prefetch("area_ratings", queryset=AreaRating.objects.select_related("area"))
        )
    )


def review_for_editing(user: User, pk: int) -> QaReview:
    """The reviewer's own draft (or submitted) review, or DoesNotExist."""
    return (
        QaReview.objects.select_related("pep__child", "pep__term", "pro_forma", "reviewer")
        .prefetch_related(
            Prefetch("area_ratings", queryset=AreaRating.objects.select_related("area"))
        )
        .get(pk=pk, reviewer=user, pep__in=visible_peps(user))
    )


def my_draft_reviews(user: User) -> QuerySet[QaReview]:
    return QaReview.objects.filter(reviewer=user, status=ReviewStatus.DRAFT).select_related(
        "pep__child", "pep__term"
    )

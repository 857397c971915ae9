from django.db.models import Prefetch, QuerySet

from accounts.models import User

from .models import AreaRating, QaReview, ReviewStatus


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

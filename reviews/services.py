"""Writes for QA reviews. Views call these; the judgement comes from rules only."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.vocabulary import Rating, Role
from peps.models import Pep, PepStatus, PepStatusChange

from . import rules
from .models import AreaRating, ProForma, QaReview, ReviewKind, ReviewStatus
from .signals import review_submitted


@dataclass(frozen=True)
class AreaInput:
    rating: str  # "" when not yet rated
    comment: str


def default_kind_for(user: User) -> str:
    return ReviewKind.LEAD_SAMPLE if user.role == Role.LEAD else ReviewKind.LINE_MANAGEMENT


def review_permission(kind: str) -> str:
    """The access policy's permission to review a PEP this way (access/policy.py)."""
    return f"hvs.review_pep:{kind}"


@transaction.atomic
def start_review(pep: Pep, reviewer: User, kind: str | None = None, positions: list[int] | None = None) -> QaReview:
    """Open (or resume) the reviewer's draft on the current pro-forma for the PEP's phase.

    `positions` limits a lead practitioner's review to the areas they lead on.
    """
    kind = kind or default_kind_for(reviewer)
    # The access policy also holds the rule that a line-management review needs a PEP
    # submitted for QA.
    if not reviewer.has_perm(review_permission(kind), pep):
        raise PermissionDenied("You cannot QA this PEP.")
    existing = QaReview.objects.filter(pep=pep, reviewer=reviewer, kind=kind, status=ReviewStatus.DRAFT).first()
    if existing:
        return existing
    pro_forma = ProForma.objects.current_for(pep.phase)
    if pro_forma is None:
        raise ValidationError(f"There is no active QA pro-forma for {pep.get_phase_display()}.")
    areas = pro_forma.areas.all()
    if positions and kind == ReviewKind.LEAD_SAMPLE:
        areas = areas.filter(position__in=positions)
    review = QaReview.objects.create(pep=pep, reviewer=reviewer, kind=kind, pro_forma=pro_forma)
    AreaRating.objects.bulk_create(AreaRating(review=review, area=area) for area in areas)
    return review


@transaction.atomic
def save_review(
    review: QaReview,
    areas: dict[int, AreaInput],
    *,
    strengths: str,
    development_points: str,
    submit: bool,
) -> QaReview:
    """Save the ratings; on submit, judge the PEP and return or finalise it.

    `areas` maps AreaRating ids to what the reviewer entered. The caller (a form) has
    validated completeness; this re-checks, since a half-rated review must never be
    submitted.
    """
    # Re-read the status under a row lock: the caller's copy may be stale (a double submit).
    locked = QaReview.objects.select_for_update().only("status").get(pk=review.pk)
    if review.is_submitted or locked.is_submitted:
        raise ValidationError("This review has already been submitted.")
    ratings = list(review.area_ratings.select_related("area"))
    for area_rating in ratings:
        entered = areas.get(area_rating.pk)
        if entered is None:
            continue
        if entered.rating not in ("", *Rating.values):
            raise ValidationError(f"{entered.rating!r} is not a rating.")
        area_rating.rating = entered.rating
        area_rating.comment = entered.comment
    AreaRating.objects.bulk_update(ratings, ["rating", "comment"])
    review.strengths = strengths
    review.development_points = development_points

    if submit:
        unrated = [r.area.title for r in ratings if not r.rating]
        if unrated:
            raise ValidationError(f"Rate every area before submitting: {', '.join(unrated)}.")
        values = [r.rating for r in ratings]
        # A lead practitioner's review covers only the areas they lead on: no judgement.
        if review.kind != ReviewKind.LEAD_SAMPLE:
            review.overall_judgement = rules.overall_judgement(values)
            review.needs_amendment = rules.needs_amendment(values)
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = timezone.now()
    review.save()

    if submit and review.kind == ReviewKind.LINE_MANAGEMENT:
        _apply_outcome_to_pep(review)
    if submit:
        review_submitted.send(sender=QaReview, review=review)
    return review


def _apply_outcome_to_pep(review: QaReview) -> None:
    pep = Pep.objects.select_for_update().get(pk=review.pep_id)
    pep.judgement = review.overall_judgement
    new_status = PepStatus.RETURNED if review.needs_amendment else PepStatus.FINALISED
    if pep.status != new_status:
        PepStatusChange.objects.create(
            pep=pep,
            from_status=pep.status,
            to_status=new_status,
            changed_by=review.reviewer,
            note=_outcome_note(review),
        )
        pep.status = new_status
    # date_completed is when the DT and SW completed the PEP, not when it was QA'd.
    pep.save(update_fields=["judgement", "status", "updated_at"])


def _outcome_note(review: QaReview) -> str:
    label = Rating(review.overall_judgement).label
    if review.needs_amendment:
        areas = ", ".join(r.area.title for r in areas_to_amend(review.area_ratings.select_related("area")))
        return f"QA judgement {label}. Returned to the DT and SW to amend: {areas}."
    return f"QA judgement {label}. Finalised."


def areas_to_amend(area_ratings) -> list[AreaRating]:
    """The Amber and Red areas (of a review's area ratings) the DT and SW must amend."""
    return [r for r in area_ratings if r.rating in (Rating.AMBER, Rating.RED)]


@transaction.atomic
def mark_amended(pep: Pep, by: User, note: str = "") -> Pep:
    """The DT and SW have amended a returned PEP: it goes back for QA."""
    pep = Pep.objects.select_for_update().get(pk=pep.pk)
    if pep.status != PepStatus.RETURNED:
        raise ValidationError("Only a PEP returned for amendment can be marked as amended.")
    PepStatusChange.objects.create(
        pep=pep,
        from_status=pep.status,
        to_status=PepStatus.SUBMITTED,
        changed_by=by,
        note=note or "Amended by the DT and SW; resubmitted for QA.",
    )
    pep.status = PepStatus.SUBMITTED
    pep.save(update_fields=["status", "updated_at"])
    return pep

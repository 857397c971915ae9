from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from core.vocabulary import Rating
from notices.models import Notice, NoticeRecipient
from peps.calendar import closed_days
from peps.models import Pep, PepStatus, PepStatusChange

from .amendments import escalation_day
from .models import Amendment, AmendmentState, AreaRating, QaReview, ReviewCorrection, ReviewKind, ReviewStatus


def review_history(pep) -> QuerySet[QaReview]:
    """The PEP's submitted reviews, oldest first (QA round 1, its corrections, round 2...),
    with their area ratings and corrections."""
    return (
        pep.reviews.filter(status=ReviewStatus.SUBMITTED)
        .select_related("reviewer", "pro_forma")
        .prefetch_related(
            Prefetch("area_ratings", queryset=AreaRating.objects.select_related("area")),
            Prefetch("corrections", queryset=ReviewCorrection.objects.select_related("corrected_by", "status_change")),
        )
        .order_by("submitted_at", "pk")
    )


def with_area_ratings(reviews: QuerySet[QaReview]) -> QuerySet[QaReview]:
    """Reviews with their PEP, pro-forma and area ratings, for the rating page."""
    return reviews.select_related("pep__child", "pep__term", "pro_forma", "reviewer").prefetch_related(
        Prefetch("area_ratings", queryset=AreaRating.objects.select_related("area"))
    )


def my_draft_reviews(user: User) -> QuerySet[QaReview]:
    return QaReview.objects.filter(reviewer=user, status=ReviewStatus.DRAFT).select_related("pep__child", "pep__term")


def previous_line_management_review(review: QaReview, among: QuerySet[QaReview]) -> QaReview | None:
    """The PEP's last submitted line-management review before ``review`` (a QA round that
    returned the PEP, since amended), with its area ratings; None for a first round, and
    for any review but a line-management one (a moderator re-rates blind). ``among``: the
    reviews the viewer may see."""
    if review.kind != ReviewKind.LINE_MANAGEMENT:
        return None
    earlier = among.filter(pep_id=review.pep_id, kind=ReviewKind.LINE_MANAGEMENT, status=ReviewStatus.SUBMITTED)
    if review.is_submitted and review.qa_round is not None:
        earlier = earlier.filter(qa_round__lt=review.qa_round)
    return (
        earlier.exclude(pk=review.pk)
        .select_related("reviewer")
        .prefetch_related(Prefetch("area_ratings", queryset=AreaRating.objects.select_related("area")))
        .order_by("-qa_round", "-submitted_at", "-pk")
        .first()
    )


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def matching_areas(area_ratings, previous_ratings) -> dict[int, AreaRating]:
    """For each of a review's area ratings (by its id), the previous review's rating of the
    same area. The two may be on different pro-forma versions, so an area is matched by its
    title (ignoring case and spacing), else by its position."""
    previous = list(previous_ratings)
    by_title = {_title_key(r.area.title): r for r in previous}
    by_position = {r.area.position: r for r in previous}
    matched: dict[int, AreaRating] = {}
    taken: set[int] = set()
    for area_rating in area_ratings:
        same = by_title.get(_title_key(area_rating.area.title))
        if same is not None:
            matched[area_rating.pk] = same
            taken.add(same.pk)
    for area_rating in area_ratings:
        if area_rating.pk in matched:
            continue
        same = by_position.get(area_rating.area.position)
        if same is not None and same.pk not in taken:
            matched[area_rating.pk] = same
            taken.add(same.pk)
    return matched


OUTCOMES = (PepStatus.RETURNED, PepStatus.FINALISED)


@dataclass
class StoryEvent:
    """One step of a PEP's QA story, in time order: a change of the PEP's status (with,
    for a QA outcome, the review that decided it, as it was then), or a correction of a
    review (with the status change it made, if any)."""

    at: datetime
    by: User | None
    change: PepStatusChange | None = None
    review: QaReview | None = None
    qa_round: int | None = None
    correction: ReviewCorrection | None = None
    # The review's outcome as it was decided (before any later correction).
    judgement: str = ""
    areas_to_amend: list[dict] = field(default_factory=list)


def _as_decided(review: QaReview) -> tuple[str, list[dict]]:
    """A review's judgement and areas as first submitted: a later correction keeps them as
    its "before"."""
    corrections = list(review.corrections.all())
    if corrections:
        first = corrections[0]
        return first.judgement_before, first.areas_before
    areas = [
        {"position": r.area.position, "title": r.area.title, "rating": r.rating, "comment": r.comment}
        for r in review.area_ratings.all()
    ]
    return review.overall_judgement, areas


def qa_story(pep: Pep, reviews: list[QaReview]) -> list[StoryEvent]:
    """The PEP's QA as one story, oldest first: each status change (submitted, returned
    with the areas to amend and their comments, amended and resubmitted, finalised), each
    correction of a review, by QA round. ``reviews``: the PEP's submitted reviews as
    review_history gives them (with their area ratings and corrections)."""
    line_management = {r.qa_round: r for r in reviews if r.kind == ReviewKind.LINE_MANAGEMENT and r.qa_round}
    corrections = [c for r in reviews for c in r.corrections.all()]
    by_change = {c.status_change_id: c for c in corrections if c.status_change_id}
    events: list[StoryEvent] = []
    qa_round = 1
    changes = PepStatusChange.objects.filter(pep=pep).select_related("changed_by").order_by("changed_at", "pk")
    for change in changes:
        correction = by_change.get(change.pk)
        event = StoryEvent(at=change.changed_at, by=change.changed_by, change=change, correction=correction)
        if correction is not None:
            event.review, event.qa_round = correction.review, correction.review.qa_round
        elif change.from_status == PepStatus.SUBMITTED and change.to_status in (
            PepStatus.RETURNED,
            PepStatus.FINALISED,
        ):
            # A QA outcome; none for "finalised without QA", which has no review of its round.
            review = line_management.get(qa_round)
            if review is not None:
                event.review, event.qa_round = review, qa_round
                event.judgement, areas = _as_decided(review)
                if change.to_status == PepStatus.RETURNED:
                    event.areas_to_amend = [a for a in areas if a["rating"] in (Rating.AMBER, Rating.RED)]
        if change.from_status == PepStatus.RETURNED and change.to_status == PepStatus.SUBMITTED:
            qa_round += 1
        events.append(event)
    for correction in corrections:
        if correction.status_change_id is None:
            events.append(
                StoryEvent(
                    at=correction.corrected_at,
                    by=correction.corrected_by,
                    correction=correction,
                    review=correction.review,
                    qa_round=correction.review.qa_round,
                )
            )
    events.sort(key=lambda event: event.at)
    return events


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

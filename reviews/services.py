"""Writes for QA reviews. Views call these; the judgement comes from rules only.

A review that returns a PEP opens its amendment (reviews.amendments), whose message to the
DT and SW is written to the outbox in the same transaction."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from core.signals import bulk_written
from core.vocabulary import Rating, Role
from peps.models import Pep, PepStatus, PepStatusChange
from peps.signals import pep_submitted

from . import rules
from .amendments import areas_to_amend, close_amendment, open_amendment, withdraw_amendment
from .corrections import send_outcome_changed_message
from .models import AreaRating, ProForma, QaReview, ReviewCorrection, ReviewKind, ReviewStatus
from .signals import review_submitted


@dataclass(frozen=True)
class AreaInput:
    rating: str  # "" when not yet rated
    comment: str


class ReviewChangedElsewhere(ValidationError):
    """The review was saved (in another tab or window) since the form was opened: saving
    that form would overwrite what the other save wrote. ``current_version`` is the
    review's version now."""

    def __init__(self, current_version: int):
        super().__init__(
            "This review was changed in another tab or window since you opened it, so nothing "
            "was saved. What you entered here is shown below: to keep it, check it and save "
            "again (it replaces what the other tab saved); to see the saved review instead, "
            "open it again from your worklist or the PEP's page.",
            code="changed_elsewhere",
        )
        self.current_version = current_version


class ReviewCorrectedElsewhere(ReviewChangedElsewhere):
    """The submitted review was corrected (by someone else, or in another tab) since the
    correction form was opened: nothing was saved, so neither correction is lost."""

    def __init__(self, current_version: int):
        ValidationError.__init__(
            self,
            "This review was corrected by someone else (or in another tab) since you opened this page, so "
            "nothing was saved. The review as it is now is shown below, with what you entered: check it and "
            "correct it again if it still needs it.",
            code="corrected_elsewhere",
        )
        self.current_version = current_version


@dataclass(frozen=True)
class Outcome:
    """What a review's ratings decide, from the rules: the overall judgement (None for a
    lead practitioner's review, which covers only the areas they lead on) and whether the
    DT and SW must amend the PEP."""

    judgement: Rating | None
    needs_amendment: bool


def judge(kind: str, ratings: list[str]) -> Outcome:
    """The outcome of a review of ``kind`` with these (complete) area ratings."""
    if kind == ReviewKind.LEAD_SAMPLE:
        return Outcome(judgement=None, needs_amendment=False)
    return Outcome(judgement=rules.overall_judgement(ratings), needs_amendment=rules.needs_amendment(ratings))


def unfinished_areas(area_ratings) -> list[str]:
    """The titles of the areas (of a review's area ratings) not yet rated and commented
    on: submitting needs none, as the pro-forma asks for a rating and a comment per area."""
    return [r.area.title for r in area_ratings if not r.rating or not r.comment.strip()]


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
    existing = _open_draft(pep, reviewer, kind)
    if existing:
        return existing
    pro_forma = ProForma.objects.current_for(pep.phase)
    if pro_forma is None:
        raise ValidationError(f"There is no active QA pro-forma for {pep.get_phase_display()}.")
    areas = pro_forma.areas.all()
    if positions and kind == ReviewKind.LEAD_SAMPLE:
        areas = areas.filter(position__in=positions)
    try:
        with transaction.atomic():
            review = QaReview.objects.create(pep=pep, reviewer=reviewer, kind=kind, pro_forma=pro_forma)
            blank = AreaRating.objects.bulk_create(AreaRating(review=review, area=area) for area in areas)
            bulk_written.send(sender=AreaRating, created=blank)
    except IntegrityError:
        # A second click at the same moment opened it first (one draft per reviewer, PEP
        # and kind): that draft, committed once our insert gave way, is the one to resume.
        existing = _open_draft(pep, reviewer, kind)
        if existing is None:
            raise
        return existing
    return review


def _ratings_now(ratings: list[AreaRating]) -> dict[int, tuple[str, str]]:
    return {r.pk: (r.rating, r.comment) for r in ratings}


def _announce_ratings(before: dict[int, tuple[str, str]], ratings: list[AreaRating]) -> None:
    """The ratings bulk_update changed, before and after (for the audit trail)."""
    updated = []
    for r in ratings:
        changes = {
            name: [old, new]
            for name, old, new in zip(("rating", "comment"), before[r.pk], (r.rating, r.comment), strict=True)
            if old != new
        }
        if changes:
            updated.append((r.pk, changes))
    if updated:
        bulk_written.send(sender=AreaRating, updated=updated)


def _open_draft(pep: Pep, reviewer: User, kind: str) -> QaReview | None:
    return QaReview.objects.filter(pep=pep, reviewer=reviewer, kind=kind, status=ReviewStatus.DRAFT).first()


@transaction.atomic
def save_review(
    review: QaReview,
    areas: dict[int, AreaInput],
    *,
    strengths: str,
    development_points: str,
    submit: bool,
    version: int | None = None,
) -> QaReview:
    """Save the ratings; on submit, judge the PEP and return or finalise it.

    `areas` maps AreaRating ids to what the reviewer entered. The caller (a form) has
    validated completeness; this re-checks, since a half-rated review must never be
    submitted. `version` is the review's version the form was opened on: if the review
    has been saved since (another tab), nothing is saved (ReviewChangedElsewhere).

    A line-management review decides the PEP's QA round, so on submit it is refused,
    nothing saved, unless the PEP is still awaiting QA and the reviewer may still review
    it, both re-checked under the PEP's row lock: another manager's outcome, "finalise
    without QA" or a second submit at the same moment may have come first.
    """
    # Lock order, here and in every service that changes a PEP's status (finalise_pep,
    # mark_amended): the PEP, then its review.
    pep = Pep.objects.select_for_update().get(pk=review.pep_id)
    # Re-read under the lock: the caller's copy may be stale (a double submit, two tabs).
    locked = QaReview.objects.select_for_update().only("status", "version").get(pk=review.pk)
    if review.is_submitted or locked.is_submitted:
        raise ValidationError("This review has already been submitted.")
    if version is not None and version != locked.version:
        raise ReviewChangedElsewhere(locked.version)
    review.pep = pep  # the locked, current PEP: the checks and the outcome use it
    if submit:
        _check_still_open_to(review)
    ratings = list(review.area_ratings.select_related("area"))
    before = _ratings_now(ratings)
    for area_rating in ratings:
        entered = areas.get(area_rating.pk)
        if entered is None:
            continue
        if entered.rating not in ("", *Rating.values):
            raise ValidationError(f"{entered.rating!r} is not a rating.")
        area_rating.rating = entered.rating
        area_rating.comment = entered.comment
    AreaRating.objects.bulk_update(ratings, ["rating", "comment"])
    _announce_ratings(before, ratings)
    review.strengths = strengths
    review.development_points = development_points
    review.version = locked.version + 1

    if submit:
        unrated = [r.area.title for r in ratings if not r.rating]
        if unrated:
            raise ValidationError(f"Rate every area before submitting: {', '.join(unrated)}.")
        # A lead practitioner's review covers only the areas they lead on: no judgement.
        outcome = judge(review.kind, [r.rating for r in ratings])
        review.overall_judgement = outcome.judgement or ""
        review.needs_amendment = outcome.needs_amendment
        if review.kind == ReviewKind.LINE_MANAGEMENT:
            review.qa_round = qa_round(pep)
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = timezone.now()
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError:
            if review.kind != ReviewKind.LINE_MANAGEMENT:
                raise
            # The round already has its outcome (the lock makes this all but impossible).
            raise ValidationError(_no_longer_awaiting_qa(pep)) from None
    else:
        review.save()

    if submit and review.kind == ReviewKind.LINE_MANAGEMENT:
        _apply_outcome_to_pep(review, pep)
    if submit:
        review_submitted.send(sender=QaReview, review=review)
    return review


def submit_review(review: QaReview, *, version: int) -> QaReview:
    """Submit the draft as saved (the rating page saves it before the confirmation page
    shows its outcome): ``version`` is the one the confirmation page showed, so a save
    from another tab since then is refused (ReviewChangedElsewhere) rather than submitted
    unseen. Everything else is save_review's: its locks, checks and outcome."""
    return save_review(
        review,
        {},
        strengths=review.strengths,
        development_points=review.development_points,
        submit=True,
        version=version,
    )


def qa_round(pep: Pep) -> int:
    """The PEP's QA round now: 1 from its submission, one more for each resubmission after
    amendment (a round ends with its outcome: returned, or finalised)."""
    resubmissions = PepStatusChange.objects.filter(
        pep=pep, from_status=PepStatus.RETURNED, to_status=PepStatus.SUBMITTED
    ).count()
    return 1 + resubmissions


def _check_still_open_to(review: QaReview) -> None:
    """Refuse the submit (the draft stays as it was) if the PEP is no longer awaiting this
    review: its QA round has an outcome, or the reviewer may no longer review it."""
    refusal = submit_refusal(review)
    if refusal:
        raise ValidationError(refusal)


def submit_refusal(review: QaReview) -> str:
    """Why the draft could not be submitted now ("" if it could): the PEP is no longer
    awaiting a line-management review, or the reviewer may no longer review it. The
    confirmation page asks before offering the button; the submit asks again under the
    PEP's lock."""
    pep = review.pep
    if review.kind == ReviewKind.LINE_MANAGEMENT and pep.status != PepStatus.SUBMITTED:
        return _no_longer_awaiting_qa(pep)
    if not review.reviewer.has_perm("hvs.edit_review", review):
        return "You can no longer review this PEP, so this review was not submitted: your draft was kept."
    return ""


def _no_longer_awaiting_qa(pep: Pep) -> str:
    change = pep.status_changes.select_related("changed_by").order_by("-changed_at", "-pk").first()
    by = f" by {change.changed_by}" if change and change.changed_by else ""
    outcomes: dict[str, str] = {
        PepStatus.FINALISED: f"finalised{by}",
        PepStatus.RETURNED: f"returned to the DT and SW for amendment{by}",
    }
    outcome = outcomes.get(pep.status, f"changed to {pep.get_status_display().lower()}{by}")
    return (
        f"This PEP was {outcome} and is no longer awaiting QA, so this review was not submitted: your draft was kept."
    )


def _apply_outcome_to_pep(review: QaReview, pep: Pep) -> None:
    """Return or finalise the PEP (locked by the caller) as the review judged."""
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
        if new_status == PepStatus.RETURNED:
            open_amendment(review)
    # date_completed is when the DT and SW completed the PEP, not when it was QA'd.
    pep.save(update_fields=["judgement", "status", "updated_at"])


def _outcome_note(review: QaReview) -> str:
    label = Rating(review.overall_judgement).label
    if review.needs_amendment:
        areas = ", ".join(r.area.title for r in areas_to_amend(review.area_ratings.select_related("area")))
        return f"QA judgement {label}. Returned to the DT and SW to amend: {areas}."
    return f"QA judgement {label}. Finalised."


@transaction.atomic
def mark_amended(pep: Pep, by: User, note: str = "") -> Pep:
    """The DT and SW have amended a returned PEP: it goes back for QA, a new QA round. Its
    amendment is closed, and ``pep_submitted`` is sent as for a first submission."""
    pep = Pep.objects.select_for_update().get(pk=pep.pk)  # the PEP's lock, as save_review
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
    close_amendment(pep, by)
    # Back for QA, as a first submission is: the open term's samples are topped up.
    pep_submitted.send(sender=Pep, pep=pep, by=by)
    return pep


# --- correcting a submitted review -------------------------------------------------------


def _area_record(area_rating: AreaRating) -> dict:
    area = area_rating.area
    return {
        "position": area.position,
        "title": area.title,
        "rating": area_rating.rating,
        "comment": area_rating.comment,
    }


@transaction.atomic
def correct_review(
    review: QaReview,
    areas: dict[int, AreaInput],
    *,
    strengths: str,
    development_points: str,
    reason: str,
    by: User,
    version: int | None,
) -> ReviewCorrection:
    """Correct a submitted review: new area ratings (every area rated and commented, as on
    submit), feedback, and the judgement the rules give them, recorded with the reason as a
    ReviewCorrection (before and after).

    For the PEP's latest line-management review, the PEP's judgement follows; and if the
    outcome changes (returned <-> finalised) while the PEP still stands where this review
    left it, the PEP's status moves, with a status change whose note gives the correction
    and its reason, and the DT and SW are told: a return opens the PEP's amendment
    (reviews.amendments.open_amendment, its message asking for the areas to amend); a
    finalise withdraws the open amendment and sends the "outcome changed" message. A
    review of an earlier QA round, or of a PEP since amended and resubmitted, is corrected
    without moving the PEP or telling anyone.

    `version` is the review's version the correction form was opened on: if the review has
    been corrected since, nothing is saved (ReviewCorrectedElsewhere).
    """
    # Lock order as save_review's: the PEP, then its review.
    pep = Pep.objects.select_for_update().get(pk=review.pep_id)
    review = QaReview.objects.select_for_update().select_related("reviewer").get(pk=review.pk)
    review.pep = pep
    if not review.is_submitted:
        raise ValidationError("Only a submitted review can be corrected: this one is still a draft.")
    if not by.has_perm("hvs.correct_review", review):
        raise PermissionDenied("You cannot correct this review.")
    if version is not None and version != review.version:
        raise ReviewCorrectedElsewhere(review.version)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Enter why you are correcting this review.")

    ratings = list(review.area_ratings.select_related("area").order_by("area__position"))
    before = [_area_record(r) for r in ratings]
    previously = _ratings_now(ratings)
    for area_rating in ratings:
        entered = areas.get(area_rating.pk)
        if entered is None:
            continue
        if entered.rating not in Rating.values:
            raise ValidationError(f"Select a rating for {area_rating.area.title}.")
        area_rating.rating = entered.rating
        area_rating.comment = entered.comment.strip()
    unfinished = unfinished_areas(ratings)
    if unfinished:
        raise ValidationError(f"Rate and comment on every area: {', '.join(unfinished)}.")
    after = [_area_record(r) for r in ratings]
    strengths, development_points = strengths.strip(), development_points.strip()
    if (after, strengths, development_points) == (before, review.strengths, review.development_points):
        raise ValidationError("Nothing was changed, so there is nothing to correct.")

    outcome = judge(review.kind, [r.rating for r in ratings])
    correction = ReviewCorrection(
        review=review,
        corrected_by=by,
        reason=reason,
        judgement_before=review.overall_judgement,
        judgement_after=outcome.judgement or "",
        needs_amendment_before=review.needs_amendment,
        needs_amendment_after=outcome.needs_amendment,
        areas_before=before,
        areas_after=after,
        strengths_before=review.strengths,
        strengths_after=strengths,
        development_points_before=review.development_points,
        development_points_after=development_points,
    )
    AreaRating.objects.bulk_update(ratings, ["rating", "comment"])
    _announce_ratings(previously, ratings)
    review.overall_judgement = correction.judgement_after
    review.needs_amendment = correction.needs_amendment_after
    review.strengths, review.development_points = strengths, development_points
    review.version += 1
    review.save(
        update_fields=[
            "overall_judgement",
            "needs_amendment",
            "strengths",
            "development_points",
            "version",
            "updated_at",
        ]
    )
    if review.kind == ReviewKind.LINE_MANAGEMENT:
        correction.status_change = _apply_correction_to_pep(review, pep, correction)
    correction.save()
    if correction.status_change is not None:
        # The DT and SW are told, in this transaction: a return asks for the amendment; a
        # finalise withdraws it and says so.
        if correction.status_change.to_status == PepStatus.RETURNED:
            open_amendment(review, returned_at=correction.status_change.changed_at)
        else:
            withdraw_amendment(pep)
            send_outcome_changed_message(correction)
    return correction


def latest_line_management_review(pep: Pep) -> QaReview | None:
    """The submitted line-management review of the PEP's latest QA round: the one whose
    judgement the PEP carries."""
    return (
        QaReview.objects.filter(pep=pep, kind=ReviewKind.LINE_MANAGEMENT, status=ReviewStatus.SUBMITTED)
        .order_by("-qa_round", "-submitted_at", "-pk")
        .first()
    )


def moves_the_pep(review: QaReview, pep: Pep) -> bool:
    """Whether correcting the outcome of ``review`` would move the PEP's status: only the
    latest line-management review, while the PEP still stands where its outcome left it
    (returned or finalised in that QA round, not since amended and resubmitted)."""
    if review.kind != ReviewKind.LINE_MANAGEMENT or pep.status not in (PepStatus.RETURNED, PepStatus.FINALISED):
        return False
    latest = latest_line_management_review(pep)
    return latest is not None and latest.pk == review.pk and review.qa_round == qa_round(pep)


def _apply_correction_to_pep(review: QaReview, pep: Pep, correction: ReviewCorrection) -> PepStatusChange | None:
    """The PEP (locked by the caller) follows the corrected review, if it is the latest
    line-management one: its judgement if the correction changed it, and its status if
    the outcome changed."""
    latest = latest_line_management_review(pep)
    if latest is None or latest.pk != review.pk:
        return None  # an earlier round's review: the PEP carries a later judgement
    # Only a change of judgement moves the PEP's: a correction that leaves it (a comment
    # fixed) keeps a judgement settled at moderation (sampling's ModerationSettlement).
    if correction.judgement_before != correction.judgement_after:
        pep.judgement = review.overall_judgement
    change = None
    new_status = PepStatus.RETURNED if review.needs_amendment else PepStatus.FINALISED
    if correction.outcome_changed and moves_the_pep(review, pep) and pep.status != new_status:
        change = PepStatusChange.objects.create(
            pep=pep,
            from_status=pep.status,
            to_status=new_status,
            changed_by=correction.corrected_by,
            note=_correction_note(review, correction),
        )
        pep.status = new_status
    pep.save(update_fields=["judgement", "status", "updated_at"])
    return change


def _correction_note(review: QaReview, correction: ReviewCorrection) -> str:
    when = f" of {date_format(timezone.localtime(review.submitted_at), 'j F Y')}" if review.submitted_at else ""
    reason = correction.reason if correction.reason.endswith((".", "!", "?")) else f"{correction.reason}."
    return f"The QA review by {review.reviewer}{when} was corrected. Reason: {reason} {_outcome_note(review)}"

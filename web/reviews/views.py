from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from access.policy import editable_reviews, visible_peps, visible_reviews
from audit.trail import record_view
from core.vocabulary import Rating
from peps.models import PepStatus
from reviews.models import QaReview, ReviewKind, ReviewStatus
from reviews.selectors import (
    matching_areas,
    previous_line_management_review,
    qa_story,
    review_history,
    with_area_ratings,
)
from reviews.services import (
    ReviewChangedElsewhere,
    areas_to_amend,
    correct_review,
    judge,
    moves_the_pep,
    save_review,
    start_review,
    submit_refusal,
    submit_review,
    unfinished_areas,
)
from sampling.selectors import blind_pep_ids, next_entry_to_rate
from web.practice.exemplar_forms import GoldMarkForm

from .forms import PEP_PART_BY_POSITION, SUBMIT, ConfirmSubmitForm, CorrectionForm, PepPart, PreviousReview, RatingForm


@require_POST
def review_start(request, pep_pk):
    pep = get_object_or_404(visible_peps(request.user).select_related("child"), pk=pep_pk)
    try:
        review = start_review(pep, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("peps:detail", pk=pep.pk)
    return redirect("reviews:rate", pk=review.pk)


def _own_review(request, pk) -> QaReview:
    return get_object_or_404(with_area_ratings(editable_reviews(request.user)), pk=pk)


def review_rate(request, pk):
    # With the school, which the PEP panel beside the areas shows (its Aspiration Pathway is
    # one more query, below, read once for the panel and the last area).
    review = get_object_or_404(
        with_area_ratings(editable_reviews(request.user)).select_related("pep__child__school"), pk=pk
    )
    if review.is_submitted:
        return redirect("reviews:detail", pk=review.pk)
    record_view(request, review, "review: rating")
    # "Check and submit" checks that every area is rated and commented on, saves the draft and
    # shows the outcome on the confirmation page; only its button submits.
    submitting = request.POST.get("action") == SUBMIT
    previous = _previous_review(request, review)
    form = RatingForm(request.POST or None, review=review, submitting=submitting, previous=previous)
    if request.method == "POST" and form.is_valid():
        try:
            save_review(
                review,
                form.area_inputs(),
                strengths=form.cleaned_data["strengths"],
                development_points=form.cleaned_data["development_points"],
                submit=False,
                version=form.opened_version(),
            )
        except ReviewChangedElsewhere as error:
            form.add_error(None, error)
            form.rebase(error.current_version)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if submitting:
                return redirect("reviews:confirm", pk=review.pk)
            messages.success(request, "Draft saved. You can come back to it from your worklist.")
            return redirect("reviews:rate", pk=review.pk)
    entered = form.entered_ratings() if form.is_bound else [r.rating for r in form.area_ratings if r.rating]
    return render(
        request,
        "reviews/review_rate.html",
        {
            "review": review,
            "pep": review.pep,
            "form": form,
            "areas": _area_summary(form),
            **_judgement(entered, len(form.area_ratings), review.kind),
            "pep_parts": _pep_parts(form),
            "aspirations": review.pep.aspirations.all(),
            "epep_url": _external_link(review.pep.epep_url),
            "previous_review": previous.review if previous else None,
        },
    )


def _previous_review(request, review: QaReview) -> PreviousReview | None:
    """The previous QA round's review of an amended PEP (the one that returned it), and
    its rating of each area, for the rating page to show beside the areas."""
    previous = previous_line_management_review(review, among=visible_reviews(request.user))
    if previous is None:
        return None
    return PreviousReview(previous, matching_areas(review.area_ratings.all(), previous.area_ratings.all()))


CONFIRM_CHANGED = (
    "This review was saved in another tab or window since this page was opened, so it was not submitted. "
    "The outcome below is for the review as it is saved now: check it, then confirm again."
)


def review_confirm(request, pk):
    """The outcome the draft, as saved, would have: shown before the reviewer confirms."""
    review = get_object_or_404(with_area_ratings(editable_reviews(request.user)), pk=pk)
    if review.is_submitted:
        return redirect("reviews:detail", pk=review.pk)
    record_view(request, review, "review: confirm")
    form = ConfirmSubmitForm(request.POST or None, initial={"version": review.version})
    if request.method == "POST" and form.is_valid():
        try:
            submit_review(review, version=form.cleaned_data["version"])
        except ReviewChangedElsewhere as error:
            review = get_object_or_404(with_area_ratings(editable_reviews(request.user)), pk=pk)
            form = ConfirmSubmitForm({"version": error.current_version})
            form.is_valid()
            form.add_error(None, CONFIRM_CHANGED)
        except ValidationError as error:
            if QaReview.objects.filter(pk=review.pk, status=ReviewStatus.SUBMITTED).exists():
                # A second click, or another tab, after the first submitted it.
                messages.info(request, "This review has already been submitted")
                return redirect("reviews:detail", pk=review.pk)
            form.add_error(None, error)
        else:
            messages.success(request, "QA review submitted")
            return redirect("reviews:detail", pk=review.pk)
    ratings = list(review.area_ratings.all())
    unfinished = unfinished_areas(ratings)
    if unfinished:
        messages.error(request, f"Rate and comment on every area before you submit: {', '.join(unfinished)}.")
        return redirect("reviews:rate", pk=review.pk)
    outcome = judge(review.kind, [r.rating for r in ratings])
    return render(
        request,
        "reviews/review_confirm.html",
        {
            "review": review,
            "pep": review.pep,
            "form": form,
            "ratings": ratings,
            "judgement": outcome.judgement,
            "needs_amendment": outcome.needs_amendment,
            "to_amend": areas_to_amend(ratings),
            "decides_pep": review.kind == ReviewKind.LINE_MANAGEMENT,
            # Asked again under the PEP's lock on submit; here, so the button is not offered in vain.
            "refusal": "" if form.errors else submit_refusal(review),
        },
    )


def _pep_parts(form: RatingForm) -> list[PepPart]:
    """The parts of the PEP for the panel, each under the number and title of the area
    that rates it (the part's own name where the review has no such area)."""
    titles = {r.area.position: r.area.title for r in form.area_ratings}
    return [
        PepPart(part.key, f"{position}. {titles.get(position, part.label)}")
        for position, part in PEP_PART_BY_POSITION.items()
    ]


def _external_link(url: str) -> str:
    """A link out of the service only to a web address: an imported value such as
    "javascript:..." never becomes a link."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # "http://[" and the like
        return ""
    return url if scheme in ("http", "https") else ""


def _area_summary(form: RatingForm) -> list[dict]:
    """Each area with the rating chosen so far, for the "jump to an area" list beside the
    form: as entered when the form is bound, else as saved."""
    areas = []
    for area_rating in form.area_ratings:
        value = form.data.get(form.rating_field(area_rating)) if form.is_bound else area_rating.rating
        areas.append(
            {
                "position": area_rating.area.position,
                "title": area_rating.area.title,
                "rating": value if value in Rating.values else "",
            }
        )
    return areas


def _judgement(ratings: list[str], total: int, kind: str = ReviewKind.LINE_MANAGEMENT) -> dict:
    """The live outcome, from the rules once every area is rated. A lead practitioner's
    review has no overall judgement: it records the areas they lead on, so the panel
    counts those ratings instead."""
    complete = len(ratings) == total and total > 0
    outcome = judge(kind, ratings) if complete else None
    return {
        "rated_count": len(ratings),
        "area_count": total,
        "judgement": outcome.judgement if outcome else None,
        "amendment": outcome.needs_amendment if outcome else False,
        "no_judgement": kind == ReviewKind.LEAD_SAMPLE,
        "rating_counts": [(rating, ratings.count(rating)) for rating in Rating if rating in ratings],
    }


def review_correct(request, pk):
    """Correct a submitted review: its ratings, comments and feedback, with a reason."""
    review = get_object_or_404(
        with_area_ratings(visible_reviews(request.user)).select_related("reviewer", "pep__child"), pk=pk
    )
    if not review.is_submitted:
        return redirect("reviews:detail", pk=review.pk)
    if not request.user.has_perm("hvs.correct_review", review):
        raise PermissionDenied
    record_view(request, review, "review: correct")
    form = CorrectionForm(request.POST or None, review=review)
    if request.method == "POST" and form.is_valid():
        try:
            correction = correct_review(
                review,
                form.area_inputs(),
                strengths=form.cleaned_data["strengths"],
                development_points=form.cleaned_data["development_points"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                version=form.opened_version(),
            )
        except ReviewChangedElsewhere as error:
            form.add_error(None, error)
            form.rebase(error.current_version)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _corrected_message(correction))
            return redirect("reviews:detail", pk=review.pk)
    entered = form.entered_ratings() if form.is_bound else [r.rating for r in form.area_ratings if r.rating]
    return render(
        request,
        "reviews/review_correct.html",
        {
            "review": review,
            "pep": review.pep,
            "form": form,
            "areas": _area_summary(form),
            **_judgement(entered, len(form.area_ratings), review.kind),
            **_correction_outcome(review, entered, len(form.area_ratings)),
        },
    )


def _correction_outcome(review: QaReview, ratings: list[str], total: int) -> dict:
    """What the correction, as entered, would do to the outcome: for the live preview."""
    complete = len(ratings) == total and total > 0
    needs_amendment = judge(review.kind, ratings).needs_amendment if complete else review.needs_amendment
    changes = complete and review.kind == ReviewKind.LINE_MANAGEMENT and needs_amendment != review.needs_amendment
    return {
        "correcting": True,
        "decides_pep": review.kind == ReviewKind.LINE_MANAGEMENT,
        "no_judgement": review.kind == ReviewKind.LEAD_SAMPLE,
        "was_returned": review.needs_amendment,
        "outcome_changes": changes,
        "moves_pep": changes and moves_the_pep(review, review.pep),
    }


def _corrected_message(correction) -> str:
    if correction.status_change is not None:
        to = "returned for amendment" if correction.needs_amendment_after else "finalised"
        return f"Review corrected. The PEP is now {to}, and the designated teacher and social worker are told."
    return "Review corrected"


@require_POST
def review_correction_preview(request, pk):
    review = get_object_or_404(with_area_ratings(visible_reviews(request.user)).select_related("reviewer"), pk=pk)
    if not review.is_submitted or not request.user.has_perm("hvs.correct_review", review):
        raise PermissionDenied
    form = CorrectionForm(request.POST, review=review)
    entered = form.entered_ratings()
    context = {
        **_judgement(entered, len(form.area_ratings), review.kind),
        **_correction_outcome(review, entered, len(form.area_ratings)),
        "areas": _area_summary(form),
    }
    return render(request, "reviews/_judgement_preview.html", context)


@require_POST
def review_judgement_preview(request, pk):
    review = _own_review(request, pk)
    form = RatingForm(request.POST, review=review)
    context = _judgement(form.entered_ratings(), len(form.area_ratings), review.kind)
    # The judgement, and out of band the "jump to an area" list with its ratings.
    context["areas"] = _area_summary(form)
    return render(request, "reviews/_judgement_preview.html", context)


def _earlier_round(history: list[QaReview], review: QaReview) -> QaReview | None:
    """The line-management review of the QA round before ``review``'s (which returned the
    PEP for amendment), among the PEP's submitted reviews."""
    if review.kind != ReviewKind.LINE_MANAGEMENT or not review.qa_round or review.qa_round < 2:
        return None
    return next(
        (r for r in history if r.kind == ReviewKind.LINE_MANAGEMENT and r.qa_round == review.qa_round - 1), None
    )


def _officer_to_supervise(user, review: QaReview):
    """Where a manager meets weak practice: the PEP's officer, if the user may record a
    one-to-one supervision with them (and the officer did not make the review)."""
    officer = review.pep.officer
    if officer is None or review.reviewer_id == officer.pk or not user.has_perm("hvs.supervise", officer):
        return None
    return officer


def review_detail(request, pk):
    # A draft is its reviewer's alone, and while the user re-rates a PEP blind for
    # moderation the other reviews of it stay hidden: to anyone else they do not exist.
    review = get_object_or_404(
        visible_reviews(request.user).select_related(
            "pep__child", "pep__term", "pep__officer", "reviewer", "pro_forma"
        ),
        pk=pk,
    )
    if not review.is_submitted:
        return redirect("reviews:rate", pk=review.pk)
    record_view(request, review, "review: detail")
    ratings = list(review.area_ratings.select_related("area"))
    # The PEP's QA as one story (its rounds, returns, amendments and corrections), unless
    # the user is re-rating it blind for moderation.
    blind = review.pep_id in blind_pep_ids(request.user)
    history = [] if blind else list(review_history(review.pep))
    this = next((r for r in history if r.pk == review.pk), None)
    # Gold practice: its reviewer marks what made it Gold (web.practice posts and edits).
    can_mark_gold = request.user.has_perm("hvs.mark_gold", review)
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "pep": review.pep,
            "judgement": Rating(review.overall_judgement) if review.overall_judgement else None,
            "ratings": ratings,
            "to_amend": areas_to_amend(ratings),
            "returned": review.pep.status == PepStatus.RETURNED and review.needs_amendment,
            "corrections": list(this.corrections.all()) if this else [],
            "can_correct": request.user.has_perm("hvs.correct_review", review),
            "supervise_officer": _officer_to_supervise(request.user, review),
            "can_mark_gold": can_mark_gold,
            "gold_form": GoldMarkForm(review=review) if can_mark_gold else None,
            "marks": list(review.gold_exemplars.select_related("area")) if can_mark_gold else [],
            "previous_review": _earlier_round(history, review),
            "story": [] if blind else qa_story(review.pep, history),
            # One click on to the next PEP the reviewer has to rate.
            "next_entry": (
                next_entry_to_rate(request.user, review.pep.term) if review.reviewer_id == request.user.pk else None
            ),
        },
    )

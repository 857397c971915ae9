from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from access.policy import editable_reviews, visible_peps, visible_reviews
from core.vocabulary import Rating
from peps.models import PepStatus
from reviews import rules
from reviews.models import QaReview
from reviews.selectors import with_area_ratings
from reviews.services import ReviewChangedElsewhere, areas_to_amend, save_review, start_review
from sampling.selectors import next_entry_to_rate

from .forms import PEP_PART_BY_POSITION, SUBMIT, PepPart, RatingForm


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
    submitting = request.POST.get("action") == SUBMIT
    form = RatingForm(request.POST or None, review=review, submitting=submitting)
    if request.method == "POST" and form.is_valid():
        try:
            save_review(
                review,
                form.area_inputs(),
                strengths=form.cleaned_data["strengths"],
                development_points=form.cleaned_data["development_points"],
                submit=submitting,
                version=form.opened_version(),
            )
        except ReviewChangedElsewhere as error:
            form.add_error(None, error)
            form.rebase(error.current_version)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if submitting:
                messages.success(request, "QA review submitted")
                return redirect("reviews:detail", pk=review.pk)
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
            **_judgement(entered, len(form.area_ratings)),
            "pep_parts": _pep_parts(form),
            "aspirations": review.pep.aspirations.all(),
            "epep_url": _external_link(review.pep.epep_url),
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


def _judgement(ratings: list[str], total: int) -> dict:
    """The live judgement: computed by the rules once every area is rated."""
    complete = len(ratings) == total and total > 0
    judgement = rules.overall_judgement(ratings) if complete else None
    return {
        "rated_count": len(ratings),
        "area_count": total,
        "judgement": judgement,
        "amendment": rules.needs_amendment(ratings) if complete else False,
    }


@require_POST
def review_judgement_preview(request, pk):
    review = _own_review(request, pk)
    form = RatingForm(request.POST, review=review)
    context = _judgement(form.entered_ratings(), len(form.area_ratings))
    # The judgement, and out of band the "jump to an area" list with its ratings.
    context["areas"] = _area_summary(form)
    return render(request, "reviews/_judgement_preview.html", context)


def review_detail(request, pk):
    # A draft is its reviewer's alone, and while the user re-rates a PEP blind for
    # moderation the other reviews of it stay hidden: to anyone else they do not exist.
    review = get_object_or_404(
        visible_reviews(request.user).select_related("pep__child", "pep__term", "reviewer", "pro_forma"), pk=pk
    )
    if not review.is_submitted:
        return redirect("reviews:rate", pk=review.pk)
    ratings = list(review.area_ratings.select_related("area"))
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
            # One click on to the next PEP the reviewer has to rate.
            "next_entry": (
                next_entry_to_rate(request.user, review.pep.term) if review.reviewer_id == request.user.pk else None
            ),
        },
    )

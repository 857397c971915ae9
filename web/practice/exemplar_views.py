"""Gold practice: a reviewer marks what made a review Gold; the VSH curates the marks into
the library of anonymised exemplars; every member of staff reads the library.

The library shows only the anonymised text, its title, the area, the phase and the
academic year: it reads values, never the review's PEP, child, school or people.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access.policy import require, visible_exemplars, visible_reviews
from audit.trail import record_view
from core.vocabulary import Phase, academic_year_label
from practice.exemplars import AlreadyCurated, accept_exemplar, anonymisation_errors, decline_exemplar, mark_gold
from practice.models import GoldExemplar, GoldExemplarStatus

from .exemplar_forms import WHOLE_PEP, CurateForm, GoldMarkForm, LibraryFilter


def _gold_review(request, pk):
    review = get_object_or_404(
        visible_reviews(request.user).select_related("pep__child", "pep__term", "reviewer", "pro_forma"), pk=pk
    )
    require(request.user, "hvs.mark_gold", review)
    return review


def gold_mark(request, pk):
    """What made this Gold: the form (also on the review's page, which posts here); a
    second submit for the same review and area edits the mark."""
    review = _gold_review(request, pk)
    record_view(request, review, "review: what made it Gold")
    marks = {str(mark.area_id or WHOLE_PEP): mark for mark in review.gold_exemplars.all()}
    initial = {}
    if (about := request.GET.get("about", "")) in marks:
        initial = {"about": about, "what_made_it_gold": marks[about].what_made_it_gold}
    form = GoldMarkForm(request.POST or None, review=review, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _mark, created = mark_gold(review, request.user, form.cleaned_data["what_made_it_gold"], form.area)
        except ValidationError as error:
            form.add_error("about", error)
        else:
            messages.success(
                request,
                "What made it Gold is saved: the Virtual School Head will consider it for the library of exemplars"
                if created
                else "That was already marked: what made it Gold is updated",
            )
            return redirect(reverse("reviews:detail", kwargs={"pk": review.pk}) + "#gold")
    return render(
        request,
        "practice/gold_mark.html",
        {"review": review, "pep": review.pep, "form": form, "marks": list(marks.values())},
    )


def exemplars(request):
    """The library: in-library exemplars by area, phase and academic year."""
    require(request.user, "hvs.view_exemplars")
    in_library = visible_exemplars(request.user).filter(status=GoldExemplarStatus.IN_LIBRARY)
    library_filter = LibraryFilter(request.GET or None, queryset=in_library)
    rows = (
        library_filter.qs.values(
            "pk",
            "title",
            "anonymised_text",
            "area__title",
            "area__position",
            "review__pep__phase",
            "review__pep__term__academic_year",
        ).order_by("area__position", "area__title", "-review__pep__term__academic_year", "title", "pk")
        # A filter that is not one of its choices is shown as an error and not applied.
    )
    groups: dict[str, list[dict]] = {}
    for row in rows:
        area = row["area__title"] or "The PEP as a whole"
        groups.setdefault(area, []).append(
            {
                "title": row["title"],
                "text": row["anonymised_text"],
                "phase": Phase(row["review__pep__phase"]).label,
                "year": academic_year_label(row["review__pep__term__academic_year"]),
            }
        )
    return render(
        request,
        "practice/exemplar_library.html",
        {
            "filter": library_filter,
            "groups": list(groups.items()),
            "count": sum(len(items) for items in groups.values()),
            "may_curate": request.user.has_perm("hvs.curate_exemplars"),
        },
    )


def exemplar_proposals(request):
    """The VSH's list of marks to curate: proposed first, then the rest."""
    require(request.user, "hvs.curate_exemplars")
    marks = list(
        visible_exemplars(request.user)
        .select_related("review__pep__child", "review__pep__term", "area", "marked_by")
        .order_by("-marked_at", "-pk")
    )
    return render(
        request,
        "practice/exemplar_proposals.html",
        {
            "proposed": [m for m in marks if m.status == GoldExemplarStatus.PROPOSED],
            "curated": [m for m in marks if m.status != GoldExemplarStatus.PROPOSED],
        },
    )


def _curated(request, pk) -> GoldExemplar:
    require(request.user, "hvs.curate_exemplars")
    return get_object_or_404(
        visible_exemplars(request.user).select_related(
            "review__pep__child__school",
            "review__pep__child__designated_teacher",
            "review__pep__child__social_worker",
            "review__pep__officer",
            "review__pep__term",
            "area",
            "marked_by",
        ),
        pk=pk,
    )


def exemplar_curate(request, pk):
    """Accept a mark into the library with a title and anonymised text (refused while it
    names the child, the school or the people of the PEP, keeping what was typed)."""
    exemplar = _curated(request, pk)
    record_view(request, exemplar.review, "review: curating a Gold exemplar")
    initial = {
        "title": exemplar.title,
        "anonymised_text": exemplar.anonymised_text or exemplar.what_made_it_gold,
    }
    form = CurateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            accept_exemplar(exemplar, request.user, form.cleaned_data["title"], form.cleaned_data["anonymised_text"])
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field, message)
        else:
            messages.success(request, "Added to the library of exemplars")
            return redirect("practice:exemplar_proposals")
    return render(
        request,
        "practice/exemplar_curate.html",
        {
            "exemplar": exemplar,
            "review": exemplar.review,
            "form": form,
            "original_problems": anonymisation_errors(exemplar.what_made_it_gold, exemplar.review),
        },
    )


@require_POST
def exemplar_decline(request, pk):
    exemplar = _curated(request, pk)
    try:
        decline_exemplar(exemplar, request.user)
    except AlreadyCurated:
        messages.success(request, "That exemplar was already declined")
    else:
        messages.success(request, "Declined: it is not in the library")
    return redirect("practice:exemplar_proposals")

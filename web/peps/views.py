from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from access.policy import visible_peps
from core.vocabulary import RANK
from peps.models import PepStatus
from reviews.selectors import my_draft_reviews, review_history
from reviews.services import mark_amended
from sampling.selectors import blind_pep_ids
from sampling.services import awaiting_sampled_qa, finalise_pep

from .filters import PEP_SORTS, PepFilter

JUDGEMENT_RANK = Case(
    *[When(judgement=rating.value, then=Value(rank)) for rating, rank in RANK.items()],
    default=Value(-1),
    output_field=IntegerField(),
)


def _sorted(queryset, sort: str, blind: set[int]):
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if key in ("judgement", "status") and blind:
        # Sorting must not betray the hidden first rating of a PEP being moderated.
        queryset = queryset.annotate(
            hidden=Case(When(pk__in=blind, then=Value(1)), default=Value(0), output_field=IntegerField())
        )
    if key == "judgement":
        queryset = queryset.annotate(judgement_rank=JUDGEMENT_RANK)
        fields: tuple[str, ...] = ("hidden", "judgement_rank") if blind else ("judgement_rank",)
    elif key == "status" and blind:
        fields = ("hidden", "status")
    else:
        fields = PEP_SORTS.get(key, PEP_SORTS["child"])
    order = [f"-{f}" if descending else f for f in fields]
    return queryset.order_by(*order, "pk")


def pep_list_view(request):
    # PEPs the user is moderating: their judgement and status stay hidden until they rate,
    # so filtering or sorting on either leaves them out of the reckoning.
    blind = blind_pep_ids(request.user)
    peps = visible_peps(request.user).select_related("child", "child__school", "term", "officer")
    if blind and any(request.GET.get(key) for key in ("judgement", "status", "returned")):
        peps = peps.exclude(pk__in=blind)
    pep_filter = PepFilter(request.GET or None, queryset=peps, user=request.user)
    sort = request.GET.get("sort", "child")
    if sort.lstrip("-") not in PEP_SORTS:
        sort = "child"
    page = Paginator(_sorted(pep_filter.qs, sort, blind), settings.PEPS_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("sort", None)
    return render(
        request,
        "peps/pep_list.html",
        {
            "filter": pep_filter,
            "page_obj": page,
            "sort": sort,
            "blind_pep_ids": blind,
            "query_string": params.urlencode(),
            "sort_query_string": sort_params.urlencode(),
            "active_filters": [
                (pep_filter.form.fields[name].label, pep_filter.form[name])
                for name in pep_filter.form.fields
                if pep_filter.form.is_bound and pep_filter.form.data.get(name)
            ],
            "selected_filters": _selected_filters(pep_filter.form, request.GET),
        },
    )


def _selected_filters(form, query) -> list[dict]:
    """The filters in use, each with its label, the value chosen (as the select shows it)
    and the link that drops it, for the "selected filters" tags above the list."""
    selected: list[dict] = []
    if not form.is_bound:
        return selected
    form.is_valid()  # already run by the filter; fills cleaned_data with the valid fields
    for name, field in form.fields.items():
        # The cleaned value: a model object for a model choice (fetched once already, to
        # validate it), else the choice's key; an invalid value is ignored, as the filter does.
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        if isinstance(field, forms.ModelChoiceField):
            shown = str(value)
        elif isinstance(field, forms.ChoiceField):
            # Django normalises choices to (value, label) pairs; the stubs type the getter as the setter.
            shown = dict(field.choices).get(value, value)  # type: ignore[arg-type]
        else:
            shown = value
        rest = query.copy()
        rest.pop(name, None)
        rest.pop("page", None)
        selected.append({"label": field.label or name, "value": shown, "remove_url": f"?{rest.urlencode()}"})
    return selected


def pep_detail(request, pk):
    pep = get_object_or_404(
        visible_peps(request.user).select_related(
            "child__school",
            "child__social_worker__team",
            "child__designated_teacher",
            "child__allocated_officer",
            "term",
            "officer",
        ),
        pk=pk,
    )
    # Moderating this PEP: its first rating stays hidden until the user submits theirs.
    blind = pep.pk in blind_pep_ids(request.user)
    may_review = request.user.has_perm("hvs.review_pep", pep)
    return render(
        request,
        "peps/pep_detail.html",
        {
            "pep": pep,
            "blind": blind,
            "aspirations": pep.aspirations.all(),
            "reviews": [] if blind else review_history(pep),
            "status_changes": [] if blind else pep.status_changes.select_related("changed_by"),
            "can_review": may_review,
            # The user's own review in progress, so the button says "Continue rating".
            "my_draft": my_draft_reviews(request.user).filter(pep=pep).first() if may_review else None,
            "can_mark_amended": pep.status == PepStatus.RETURNED and request.user.has_perm("hvs.mark_amended", pep),
            "can_finalise": (
                pep.status == PepStatus.SUBMITTED
                and request.user.has_perm("hvs.finalise_pep", pep)
                and not awaiting_sampled_qa(pep)
            ),
        },
    )


@require_POST
def pep_mark_amended(request, pk):
    pep = get_object_or_404(visible_peps(request.user), pk=pk)
    if not request.user.has_perm("hvs.mark_amended", pep):
        raise PermissionDenied
    try:
        mark_amended(pep, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "PEP marked as amended and resubmitted for QA")
    return redirect("peps:detail", pk=pep.pk)


@require_POST
def pep_finalise(request, pk):
    """Finalise a submitted PEP that the QA sample did not pick, without a QA review."""
    pep = get_object_or_404(visible_peps(request.user).select_related("child__allocated_officer", "officer"), pk=pk)
    if not request.user.has_perm("hvs.finalise_pep", pep):
        raise PermissionDenied
    try:
        finalise_pep(pep, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"PEP of {pep.child.full_name} finalised without a QA review")
    target = request.POST.get("next", "")
    # A path on this site: redirect() would take "x" for a URL name and fail on it.
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("peps:detail", pk=pep.pk)

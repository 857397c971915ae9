import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.policy import peps_to_finalise_without_qa, visible_children, visible_peps
from audit.trail import record_view
from core.vocabulary import RANK
from peps.models import Child, Pep, PepStatus, Term
from peps.services import AlreadySubmitted, open_pep, record_pep_meeting, submit_pep
from reviews.selectors import (
    amendment_status,
    my_draft_reviews,
    open_amendments_prefetch,
    pep_messages,
    qa_story,
    review_history,
)
from reviews.services import mark_amended
from sampling.models import SampleEntry
from sampling.selectors import blind_pep_ids
from sampling.services import awaiting_sampled_qa, finalise_pep, finalise_peps
from web.links import local_path
from web.search import SEARCH_PARAM, recall_search, remember_search

from .filters import ALL_TERMS, PEP_SORTS, PepFilter
from .forms import CONTINUE, SECTION_LABELS, FinaliseWithoutQaForm, PepMeetingForm, SubmitPepForm, missing_answers

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


# The search box's field: its text never goes into an address (web/search.py).
SEARCH_FIELD = "q"


def _filter_params(source: QueryDict) -> QueryDict:
    """The list's filters and sort in ``source``, without the search (its text, or the
    token that stands for it) or the page."""
    params = QueryDict(mutable=True)
    for name in [*PepFilter.base_filters, "sort"]:
        values = [value for value in source.getlist(name) if value]
        if name not in (SEARCH_FIELD, SEARCH_PARAM) and values:
            params.setlist(name, values)
    return params


def _redirect_to_search(request, source: QueryDict):
    """The list's address for the filters in ``source``: the search text kept in the
    session, the address carrying its token."""
    params = _filter_params(source)
    text = " ".join(source.get(SEARCH_FIELD, "").split())
    if text:
        params[SEARCH_PARAM] = remember_search(request, text)
    query = params.urlencode()
    return redirect(reverse("peps:list") + (f"?{query}" if query else ""))


# The list's last filters and sort, kept in the session: back on the list from the
# navigation, a user finds it as they left it. Not the search (its token expires) or page.
REMEMBERED_FILTERS = "peps:list:filters"


def _remembered_filters(request):
    """A redirect to the last filters when the list is opened bare (and they were any),
    or to the bare list on ?clear; otherwise None, having noted the filters asked for."""
    bare = reverse("peps:list")
    if "clear" in request.GET:
        request.session.pop(REMEMBERED_FILTERS, None)
        return redirect(bare)
    if not request.GET:
        remembered = request.session.get(REMEMBERED_FILTERS, "")
        return redirect(f"{bare}?{remembered}") if remembered else None
    query = _filter_params(request.GET).urlencode()
    if request.session.get(REMEMBERED_FILTERS, "") != query:
        request.session[REMEMBERED_FILTERS] = query
    return None


def pep_list_view(request):
    # The search posts (or, from an old bookmark, arrives as ?q=): it is kept server-side
    # and the list redirects to ?search=<token>, so a child's name is never in an address.
    if request.method == "POST":
        return _redirect_to_search(request, request.POST)
    if SEARCH_FIELD in request.GET:
        return _redirect_to_search(request, request.GET)
    remembered = _remembered_filters(request)
    if remembered is not None:
        return remembered
    data = request.GET.copy()
    if data.get(SEARCH_PARAM):
        text = recall_search(request, data[SEARCH_PARAM])
        if text is None:
            messages.info(request, "That search has expired. Search again.")
            data.pop(SEARCH_PARAM)
            query = data.urlencode()
            return redirect(reverse("peps:list") + (f"?{query}" if query else ""))
        data[SEARCH_FIELD] = text
    # The current term unless a term (or "All terms") is asked for: the list a user lands
    # on costs one term's PEPs, not the whole history (the select shows the term).
    term_defaulted = not data.get("term")
    if term_defaulted:
        current = Term.objects.current()
        if current is not None:
            data["term"] = str(current.pk)
    # PEPs the user is moderating: their judgement and status stay hidden until they rate,
    # so filtering or sorting on either leaves them out of the reckoning.
    blind = blind_pep_ids(request.user)
    peps = (
        visible_peps(request.user)
        .select_related("child", "child__school", "term", "officer")
        .prefetch_related(open_amendments_prefetch())
    )
    if blind and any(request.GET.get(key) for key in ("judgement", "status", "returned")):
        peps = peps.exclude(pk__in=blind)
    pep_filter = PepFilter(data or None, queryset=peps, user=request.user)
    sort = request.GET.get("sort", "child")
    if sort.lstrip("-") not in PEP_SORTS:
        sort = "child"
    page = Paginator(_sorted(pep_filter.qs, sort, blind), settings.PEPS_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("sort", None)
    today = timezone.localdate()
    for pep in page.object_list:  # a returned PEP's amendment: its state and due date
        pep.amendment = pep.open_amendments[0] if pep.open_amendments else None
        pep.amendment_state = pep.amendment.state_on(today) if pep.amendment else None
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
                if pep_filter.form.is_bound
                and pep_filter.form.data.get(name)
                # Neither the default term nor every term narrows the list.
                and not (name == "term" and (term_defaulted or data.get("term") == ALL_TERMS))
            ],
            "selected_filters": _selected_filters(pep_filter.form, request.GET),
            "term_shown": pep_filter.term_shown,
            "term_defaulted": term_defaulted,
            "search_param": SEARCH_PARAM,
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
        if value == ALL_TERMS:
            shown = field.null_label
        rest = query.copy()
        rest.pop(SEARCH_PARAM if name == SEARCH_FIELD else name, None)
        rest.pop("page", None)
        if name == "term" and value != ALL_TERMS:
            # Without a term the list shows the current one: removing the term is "All terms".
            rest["term"] = ALL_TERMS
        # Nothing left: ?clear, not a bare address, which would bring back the remembered filters.
        remaining = rest.urlencode() or "clear=1"
        selected.append({"label": field.label or name, "value": shown, "remove_url": f"?{remaining}"})
    return selected


def pep_detail(request, pk):
    pep = get_object_or_404(
        # The child and its people in a query of their own: PostgreSQL took 3 ms to plan the
        # one query of nine tables (and 0.3 ms to run it); two of three and six, 0.6 ms.
        visible_peps(request.user)
        .select_related("term", "officer")
        .prefetch_related(
            Prefetch(
                "child",
                queryset=Child.objects.select_related(
                    "school", "social_worker__team", "designated_teacher", "allocated_officer"
                ),
            )
        ),
        pk=pk,
    )
    record_view(request, pep, "PEP page")
    # Moderating this PEP: its first rating stays hidden until the user submits theirs.
    blind = pep.pk in blind_pep_ids(request.user)
    may_review = request.user.has_perm("hvs.review_pep", pep)
    reviews = [] if blind else list(review_history(pep))
    return render(
        request,
        "peps/pep_detail.html",
        {
            "pep": pep,
            "blind": blind,
            "aspirations": pep.aspirations.all(),
            "reviews": reviews,
            # Its QA as one story: status changes, each round's outcome, corrections.
            "story": [] if blind else qa_story(pep, reviews),
            # A return would betray the first rating to a moderator: hidden too.
            "amendment": None if blind else amendment_status(pep),
            "pep_messages": [] if blind else pep_messages(pep),
            "can_review": may_review,
            "can_view_audit": request.user.has_perm("hvs.view_audit"),
            # The user's own review in progress, so the button says "Continue rating".
            "my_draft": my_draft_reviews(request.user).filter(pep=pep).first() if may_review else None,
            "can_record": pep.status == PepStatus.DRAFT and request.user.has_perm("hvs.record_pep", pep),
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
    """Finalise a submitted PEP that the QA sample did not pick, without a QA review: the
    button (on the PEP page or the worklist) shows what that means and asks to confirm;
    the confirmation finalises."""
    pep = get_object_or_404(visible_peps(request.user).select_related("child__allocated_officer", "officer"), pk=pk)
    if not request.user.has_perm("hvs.finalise_pep", pep):
        raise PermissionDenied
    form = FinaliseWithoutQaForm(request.POST)
    form.is_valid()  # two optional hidden fields: nothing to refuse
    target = local_path(request, form.cleaned_data.get("next", ""))
    if not form.cleaned_data.get("confirmed") and pep.status == PepStatus.SUBMITTED and not awaiting_sampled_qa(pep):
        form = FinaliseWithoutQaForm(initial={"confirmed": True, "next": target})
        back = target or reverse("peps:detail", args=[pep.pk])
        return render(request, "peps/pep_finalise_confirm.html", {"pep": pep, "form": form, "back": back})
    try:
        finalise_pep(pep, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"PEP of {pep.child.full_name} finalised without a QA review")
    return redirect(target or reverse("peps:detail", args=[pep.pk]))


# At most this many at once: the worklist lists at most 200 (web/sampling/views.py).
FINALISE_AT_ONCE = 200
PK = re.compile(r"[0-9]{1,11}")  # ASCII digits only: str.isdigit() takes "²" too


@require_POST
def pep_finalise_selected(request):
    """Finalise the PEPs ticked on the worklist without QA: a page lists them and asks to
    confirm once; the confirmation finalises each (sampling.services.finalise_peps). Only
    the ticked PEPs the user may see and finalise are listed: any other id reads as not
    ticked."""
    user = request.user
    back = local_path(request, request.POST.get("next", "")) or reverse("reviews:worklist")
    ids = sorted({int(v) for v in request.POST.getlist("pep") if PK.fullmatch(v)})[:FINALISE_AT_ONCE]
    # One query however many are ticked (the policy's rule as a scope, the sample's
    # pending entries as a subquery), not two per PEP.
    peps = list(
        peps_to_finalise_without_qa(user)
        .filter(pk__in=ids, status=PepStatus.SUBMITTED)
        .exclude(pk__in=SampleEntry.objects.awaiting_line_management_qa().values("pep"))
        .select_related("child__allocated_officer", "officer", "term")
        .order_by("child__last_name", "child__first_name", "pk")
    )
    if not peps:
        messages.error(request, "Select the PEPs to finalise without QA")
        return redirect(back)
    if request.POST.get("confirmed") != "True":
        return render(request, "peps/pep_finalise_selected_confirm.html", {"peps": peps, "back": back})
    finalised, left = finalise_peps(peps, user)
    if finalised:
        messages.success(request, f"{len(finalised)} PEP{pluralize(len(finalised))} finalised without a QA review")
    if left:
        names = ", ".join(pep.child.full_name for pep in left)
        messages.info(request, f"Not finalised, as they no longer could be (finalised meanwhile, or sampled): {names}")
    return redirect(back)


# --- recording a PEP meeting and submitting the PEP for QA ----------------------------


def pep_record_new(request, child_pk):
    """The meeting of a child's PEP for this term, when the child has none yet: the PEP is
    opened (a draft) when the officer first saves."""
    child = get_object_or_404(visible_children(request.user).select_related("allocated_officer", "school"), pk=child_pk)
    if not request.user.has_perm("hvs.record_pep", child):
        raise PermissionDenied
    record_view(request, child, "child's record: new PEP meeting")
    term = Term.objects.current()
    if term is None:
        raise Http404("No term is set up")
    existing = Pep.objects.filter(child=child, term=term).first()
    if existing is not None:
        return redirect("peps:record", pk=existing.pk)
    return _record_meeting(request, child=child, term=term, pep=None)


def pep_record(request, pk):
    pep = get_object_or_404(_recordable_peps(request), pk=pk)
    if not request.user.has_perm("hvs.record_pep", pep):
        raise PermissionDenied
    if pep.status != PepStatus.DRAFT:
        return _not_a_draft(request, pep)
    record_view(request, pep, "PEP meeting record")
    return _record_meeting(request, child=pep.child, term=pep.term, pep=pep)


def _not_a_draft(request, pep: Pep):
    """Back to the PEP page, saying why: a second click on "Submit", an old bookmark."""
    if pep.status == PepStatus.SUBMITTED:
        messages.info(request, "This PEP has already been submitted for QA.")
    else:
        messages.info(
            request,
            f"This PEP is no longer a draft ({pep.get_status_display()}): "
            "its meeting cannot be recorded or submitted here.",
        )
    return redirect("peps:detail", pk=pep.pk)


def _recordable_peps(request):
    return visible_peps(request.user).select_related(
        "child__allocated_officer",
        "child__school",
        "term",
        "officer",
    )


def _record_meeting(request, *, child, term, pep: Pep | None):
    continuing = request.POST.get("action") == CONTINUE
    # Bound on any POST, even an empty one: "or None" would take an empty POST for a GET.
    form = PepMeetingForm(request.POST if request.method == "POST" else None, pep=pep, completing=continuing)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                pep = record_pep_meeting(pep or open_pep(child, term), request.user, **form.pep_fields())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if continuing:
                return redirect("peps:submit", pk=pep.pk)
            messages.success(request, "PEP meeting saved as a draft. You can come back to it from your caseload.")
            return redirect("peps:record", pk=pep.pk)
    return render(request, "peps/pep_record.html", {"form": form, "child": child, "term": term, "pep": pep})


def pep_submit(request, pk):
    """Check your answers (GET), then submit the PEP for QA (POST)."""
    pep = get_object_or_404(_recordable_peps(request), pk=pk)
    if not request.user.has_perm("hvs.submit_pep", pep):
        raise PermissionDenied
    if pep.status != PepStatus.DRAFT:
        return _not_a_draft(request, pep)
    record_view(request, pep, "PEP check and submit")
    form = SubmitPepForm(request.POST if request.method == "POST" else None, pep=pep)
    if request.method == "POST" and form.is_valid():
        try:
            pep = submit_pep(pep, request.user, note=form.cleaned_data["note"].strip())
        except AlreadySubmitted as error:
            # A second click, or another tab: the first submit stands.
            messages.info(request, " ".join(error.messages))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "PEP submitted for QA")
        return redirect("peps:detail", pk=pep.pk)
    return render(
        request,
        "peps/pep_submit.html",
        {
            "pep": pep,
            "form": form,
            "missing": missing_answers(pep),
            "sections": [(name, label, getattr(pep, name)) for name, label in SECTION_LABELS.items()],
        },
    )

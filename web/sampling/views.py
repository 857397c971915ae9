"""The QA sampling pages: the worklist, coverage and moderation.

Thin: reads come from sampling.selectors, writes from sampling.services.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_POST

from access.policy import assigned_entries, officers_in_view, sees_whole_school, visible_peps
from accounts.models import User
from core.vocabulary import Role
from peps.models import PepStatus, Term
from peps.selectors import requested_term
from reviews.selectors import my_draft_reviews
from sampling import selectors
from sampling.models import SampleEntry, SampleKind
from sampling.rules import Reason
from sampling.selectors import WorklistEntry
from sampling.services import SettledElsewhere, settle_disagreement, start_entry_review
from web.forms import TermPickerForm
from web.links import local_path, pk_url

from .forms import SettleForm, WorklistFilterForm

DUE_SOON_DAYS = 7


def _term_picker(term: Term | None) -> TermPickerForm:
    return TermPickerForm(initial={"term": term.pk if term else None})


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def _safe_next(request, default: str) -> str:
    return local_path(request, request.POST.get("next", "")) or default


# --- the worklist ----------------------------------------------------------------------


def _due(entry: WorklistEntry, today) -> str:
    """ "overdue", "soon" or "" for an entry still to do."""
    if entry.is_done:
        return ""
    if entry.due_date < today:
        return "overdue"
    if entry.due_date <= today + timedelta(days=DUE_SOON_DAYS):
        return "soon"
    return ""


WORKLIST_VIEWS = {"to_rate": "To rate now", "waiting": "Waiting for the PEP", "done": "Done"}
# The team's PEPs outside the sample: the earliest deadlines first, this many at most.
NOT_SAMPLED_SHOWN = 200
NOT_SAMPLED_FIELDS = (
    "pk",
    "officer_id",
    "child__first_name",
    "child__last_name",
    "child__la_reference",
    "term_id",
    "term__academic_year",
    "term__season",
    "term__pep_deadline",
    "officer__first_name",
    "officer__last_name",
    "officer__username",
)


def _state(entry: WorklistEntry) -> str:
    """Which worklist view an entry falls in: done, ready to rate, or waiting for the PEP."""
    if entry.is_done:
        return "done"
    return "to_rate" if entry.pep_ready else "waiting"


PEP_STATUSES = dict(PepStatus.choices)


def _status(entry: WorklistEntry) -> tuple[str, str]:
    """The status tag of a worklist row: (GOV.UK tag colour, text)."""
    if entry.is_done:
        return "green", "Done"
    if entry.pep_status == PepStatus.DRAFT:
        return "grey", "PEP not yet submitted"
    if not entry.pep_ready:
        return "grey", f"PEP {PEP_STATUSES.get(entry.pep_status, entry.pep_status).lower()}"
    if entry.review_id is not None:
        return "blue", "In progress (draft)"
    return "grey", "Not started"


def _worklist_rows(entries: list[WorklistEntry], today) -> list[dict]:
    """Everything a worklist row shows, worked out once here: the template only prints it
    (at 400 rows, template lookups, ``{% url %}`` and the date filter were most of the page)."""
    pep_url, review_url, start_url = pk_url("peps:detail"), pk_url("reviews:detail"), pk_url("sampling:entry_start")
    reasons, kinds = dict(Reason.CHOICES), dict(SampleKind.choices)
    dates: dict = {}
    rows = []
    for entry in entries:
        state = _state(entry)
        reason = reasons.get(entry.reason, entry.reason)
        if entry.lead_area is not None:
            reason = f"{reason}: {entry.lead_area}"
        if entry.due_date not in dates:
            dates[entry.due_date] = date_format(entry.due_date, "j M Y")
        colour, status = _status(entry)
        rows.append(
            {
                "state": state,
                "due": _due(entry, today),
                "due_date": dates[entry.due_date],
                "child": f"{entry.child_first_name} {entry.child_last_name}",
                "la_reference": entry.la_reference,
                "officer": entry.officer or "—",
                "reason": reason,
                "kind": kinds.get(entry.kind, entry.kind),
                "status_colour": colour,
                "status": status,
                "judgement": entry.judgement if state == "done" else "",
                "pep_url": pep_url(entry.pep_id),
                "review_url": review_url(entry.review_id) if state == "done" and entry.review_id else "",
                "start_url": start_url(entry.pk) if state == "to_rate" else "",
                "continues": entry.review_id is not None,
                # For the filters and the sort (web/sampling/views.py: worklist).
                "kind_key": entry.kind,
                "officer_key": str(entry.officer_id or ""),
                "child_sort": (entry.child_last_name.lower(), entry.child_first_name.lower()),
                "officer_sort": entry.officer.lower(),
                "due_sort": entry.due_date,
                "status_sort": status,
            }
        )
    return rows


def worklist(request):
    """My QA worklist: the sample entries assigned to me this term, my drafts, and for a
    manager the team's submitted PEPs outside the sample (which may be finalised without QA)."""
    user = request.user
    _require(user, "hvs.view_worklist")
    term = requested_term(request.GET.get("term", ""))
    rows = _worklist_rows(selectors.worklist_table(user, term), timezone.localdate())
    # ?show= narrows the table to the entries to rate now, those waiting on the PEP, or done;
    # ?kind= and ?officer= to a kind of sample and an officer. The choices are those of the
    # worklist's own rows, so a filter can only narrow what the user already sees.
    show = request.GET.get("show", "")
    if show not in WORKLIST_VIEWS:
        show = ""
    kinds = {row["kind_key"]: row["kind"] for row in rows}
    officers = {row["officer_key"]: row["officer"] for row in rows if row["officer_key"]}
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in kinds else ""
    officer = request.GET.get("officer", "") if request.GET.get("officer", "") in officers else ""
    narrowed = [r for r in rows if (not kind or r["kind_key"] == kind) and (not officer or r["officer_key"] == officer)]
    state_counts = {key: sum(1 for row in narrowed if row["state"] == key) for key in WORKLIST_VIEWS}
    sort = request.GET.get("sort", "due")
    if sort.lstrip("-") not in WORKLIST_SORTS:
        sort = "due"
    shown = sorted(
        (row for row in narrowed if not show or row["state"] == show),
        key=lambda row: (row[f"{sort.lstrip('-')}_sort"], row["child_sort"]),
        reverse=sort.startswith("-"),
    )
    not_sampled: list[dict] = []
    # A manager's team queue: the submitted PEPs of their line reports the sample left out.
    has_team_queue = user.role == Role.MANAGER
    if has_team_queue:
        pending_in_sample = SampleEntry.objects.awaiting_line_management_qa().values("pep")
        pep_url, start_url, finalise_url = pk_url("peps:detail"), pk_url("reviews:start"), pk_url("peps:finalise")
        dates: dict = {}
        terms: dict = {}
        # As values, not model instances (the PEP, child, term and officer of each row).
        for pk, officer_id, first, last, reference, term_id, year, season, deadline, *names in (
            visible_peps(user)
            .filter(status=PepStatus.SUBMITTED)
            .filter(Q(officer__line_manager=user) | Q(child__allocated_officer__line_manager=user))
            .exclude(pk__in=pending_in_sample)
            .order_by("term__pep_deadline", "child__last_name", "pk")
            .values_list(*NOT_SAMPLED_FIELDS)[:NOT_SAMPLED_SHOWN]
        ):
            if deadline not in dates:
                dates[deadline] = date_format(deadline, "j M Y")
            if term_id not in terms:
                terms[term_id] = str(Term(pk=term_id, academic_year=year, season=season))
            not_sampled.append(
                {
                    "child": f"{first} {last}",
                    "la_reference": reference,
                    "term": terms[term_id],
                    "officer": User.name_of(*names) if officer_id else "—",
                    "deadline": dates[deadline],
                    "pep_url": pep_url(pk),
                    # Not one's own PEP: the service refuses it, so no button offers it.
                    "start_url": start_url(pk) if officer_id != user.pk else "",
                    "finalise_url": finalise_url(pk),
                    "pk": pk,
                }
            )
    return render(
        request,
        "sampling/worklist.html",
        {
            "term": term,
            "groups": _by_kind(shown, kinds),
            "shown_count": len(shown),
            "all_count": len(narrowed),
            "total_count": len(rows),
            "show": show,
            "filter_form": WorklistFilterForm(
                initial={"term": term.pk if term else "", "kind": kind, "officer": officer, "show": show},
                kinds=sorted(kinds.items(), key=lambda item: item[1]),
                officers=sorted(officers.items(), key=lambda item: item[1].lower()),
            ),
            "filtered": bool(kind or officer),
            # The headers' sort links (the sort_header tag) keep the filters.
            "sort": sort,
            "sort_query_string": _query(request, keep=("term", "kind", "officer", "show")),
            "filter_query": _query(request, keep=("term", "kind", "officer")),
            "views": [
                {"key": key, "label": label, "count": state_counts[key]} for key, label in WORKLIST_VIEWS.items()
            ],
            "done_count": sum(1 for row in rows if row["state"] == "done"),
            "drafts": my_draft_reviews(user),
            "not_sampled": not_sampled,
            "has_team_queue": has_team_queue,
        },
    )


WORKLIST_SORTS = ("child", "officer", "due", "status")


def _by_kind(rows: list[dict], kinds: dict) -> list[dict]:
    """The rows in one table per kind of sample (line management, lead area, moderation),
    in the order of SampleKind, each keeping the rows' order."""
    order = [key for key in SampleKind.values if key in kinds]
    return [
        {"kind": kinds[key], "key": key, "rows": [row for row in rows if row["kind_key"] == key]}
        for key in order
        if any(row["kind_key"] == key for row in rows)
    ]


def _query(request, keep: tuple[str, ...]) -> str:
    """The query string of ``request``'s parameters named in ``keep`` (those given)."""
    params = QueryDict(mutable=True)
    for name in keep:
        if request.GET.get(name):
            params[name] = request.GET[name]
    return params.urlencode()


@require_POST
def entry_start(request, pk):
    """One click from a worklist or moderation row to the rating page."""
    entry = get_object_or_404(
        assigned_entries(request.user).select_related("sample__lead_area", "review", "pep__child"), pk=pk
    )
    back = _safe_next(request, reverse("reviews:worklist"))
    if entry.is_done:
        return redirect("reviews:detail", pk=entry.review_id)
    if entry.pep.status == PepStatus.DRAFT:
        messages.error(request, "This PEP has not been submitted yet: it can be rated once it is.")
        return redirect(back)
    try:
        review = start_entry_review(entry, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    return redirect("reviews:rate", pk=review.pk)


# --- coverage --------------------------------------------------------------------------

RAISED_REASONS = {
    dict(Reason.CHOICES)[Reason.NEW_STARTER]: "new starter",
    dict(Reason.CHOICES)[Reason.QUALITY_CONCERN]: "quality concern",
}
COVERAGE_SORTS = {
    "officer": lambda r: (r.officer.get_full_name() or r.officer.username).lower(),
    "manager": lambda r: str(r.manager or "").lower(),
    "caseload": lambda r: r.caseload,
    "rate": lambda r: r.rate or 0,
    "minimum": lambda r: r.minimum,
    "sample": lambda r: r.sample_size,
    "reviewed": lambda r: r.reviewed,
    "amber": lambda r: (r.previous_amber_reviewed, r.previous_amber),
    "met": lambda r: r.policy_met,
}


def coverage(request):
    """Per officer: did their line manager review the policy's share of their caseload?"""
    _require(request.user, "hvs.view_coverage")
    term = requested_term(request.GET.get("term", ""))
    rows = selectors.coverage(term, officers_in_view(request.user)) if term else []
    sort = request.GET.get("sort", "officer")
    if sort.lstrip("-") not in COVERAGE_SORTS:
        sort = "officer"
    rows.sort(key=COVERAGE_SORTS["officer"])
    rows.sort(key=COVERAGE_SORTS[sort.lstrip("-")], reverse=sort.startswith("-"))
    params = request.GET.copy()
    params.pop("sort", None)
    return render(
        request,
        "sampling/coverage.html",
        {
            "term": term,
            "term_form": _term_picker(term),
            "rows": [
                {
                    "row": row,
                    "rate_percent": round(row.rate * 100) if row.rate is not None else None,
                    "raised": RAISED_REASONS.get(row.rate_reason, ""),
                }
                for row in rows
            ],
            "met_count": sum(1 for row in rows if row.policy_met),
            "sort": sort,
            "sort_query_string": params.urlencode(),
        },
    )


# --- moderation ------------------------------------------------------------------------


def moderation(request):
    """My moderation entries (blind until I submit), then the term's agreement figures and
    the disagreements to settle."""
    _require(request.user, "hvs.view_moderation")
    term = requested_term(request.GET.get("term", ""))
    return _moderation_page(request, term)


def _moderation_page(request, term: Term | None, bound: SettleForm | None = None, bound_entry_id=None):
    """The moderation page; ``bound`` is a settle form that failed, shown with its errors
    and what was typed in place of the blank form of its entry."""
    user = request.user
    mine = (
        list(
            assigned_entries(user)
            .filter(sample__term=term, sample__kind__in=selectors.MODERATION_KINDS)
            .select_related("pep__child", "pep__officer", "sample", "review", "original_review__reviewer")
            .order_by("due_date", "pep__child__last_name", "pk")
        )
        if term
        else []
    )
    sees_comparison = user.has_perm("hvs.see_moderation_figures")
    blind = selectors.blind_pep_ids(user)
    context = {
        "term": term,
        "term_form": _term_picker(term),
        "page_path": f"{reverse('sampling:moderation')}?term={term.pk}" if term else reverse("sampling:moderation"),
        "mine": [{"entry": entry, "blind": entry.pep_id in blind} for entry in mine],
        "mine_done": sum(1 for entry in mine if entry.is_done),
        "sees_comparison": sees_comparison,
        "bound_form": bound,
    }
    if sees_comparison and term:
        agreement = selectors.moderation_agreement(
            SampleEntry.objects.filter(sample__term=term, sample__kind__in=selectors.MODERATION_KINDS)
        )
        shown, hidden = [], 0
        # A manager is shown the disagreements about PEPs they may see (their team's, or one
        # they moderate); the agreement figures above stay school-wide.
        in_view = (
            None if sees_whole_school(user) else set(visible_peps(user).filter(term=term).values_list("pk", flat=True))
        )
        for comparison in agreement.disagreements:
            entry = comparison.entry
            if in_view is not None and entry.pep_id not in in_view:
                continue
            if entry.pep_id in blind:
                hidden += 1  # the user is still re-rating this PEP: not a word of its first rating
                continue
            shown.append(comparison)
        history = selectors.settlements_by_entry([c.entry.pk for c in shown])
        disagreements = []
        for comparison in shown:
            entry = comparison.entry
            settlements = history.get(entry.pk, [])
            form = None
            if user.has_perm("hvs.settle_moderation", entry):
                if bound is not None and bound_entry_id == entry.pk:
                    form = bound
                else:
                    form = SettleForm(
                        prefix=SettleForm.prefix_for(entry),
                        initial={"based_on": settlements[0].pk if settlements else None},
                    )
            disagreements.append(
                {
                    "comparison": comparison,
                    "current": settlements[0] if settlements else None,
                    "earlier": settlements[1:],
                    "form": form,
                }
            )
        context.update(
            {
                "agreement": agreement,
                "pairs": agreement.overall.pairs,
                "disagreements": disagreements,
                "hidden_disagreements": hidden,
            }
        )
    return render(request, "sampling/moderation.html", context)


@require_POST
def settle(request, pk):
    entry = get_object_or_404(
        SampleEntry.objects.select_related("sample__term", "review", "original_review"),
        pk=pk,
        sample__kind__in=selectors.MODERATION_KINDS,
    )
    if not request.user.has_perm("hvs.settle_moderation", entry):
        raise PermissionDenied
    term = entry.sample.term
    prefix = SettleForm.prefix_for(entry)
    form = SettleForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            settlement = settle_disagreement(
                entry,
                form.cleaned_data["agreed_judgement"],
                form.cleaned_data["notes"],
                request.user,
                based_on=form.cleaned_data["based_on"],
            )
        except SettledElsewhere as error:
            # What they typed stays; the form now rests on the settlement they were shown.
            data = request.POST.copy()
            data[f"{prefix}-based_on"] = str(error.current.pk)
            form = SettleForm(data, prefix=prefix)
            form.is_valid()
            form.add_error(None, error.messages[0])
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            applied = " and applied to the PEP" if settlement.applied_to_pep else ""
            messages.success(request, f"Agreed judgement recorded{applied}")
            return redirect(f"{reverse('sampling:moderation')}?term={term.pk}#disagreement-{entry.pk}")
    return _moderation_page(request, term, bound=form, bound_entry_id=entry.pk)

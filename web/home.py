"""Each role's start page: an officer's caseload, a manager's team, the whole school."""

from typing import Any

from django.shortcuts import render
from django.utils import timezone

from access.policy import (
    may_see_capability_of,
    officers_in_view,
    peps_with_outcome_visible,
    supervisees,
    visible_capability,
    visible_reviews,
)
from core.vocabulary import Role
from peps.models import Pep, PepStatus, Term
from peps.selectors import caseload_with_current_peps
from practice.needs import needs_supervision
from practice.reminders import actions_to_mention
from reporting.figures import team_overview, term_counts
from reviews.selectors import my_draft_reviews
from sampling.selectors import blind_peps, coverage, worklist_progress


def home(request):
    user = request.user
    term = Term.objects.current()
    context: dict[str, Any] = {
        "term": term,
        "drafts": my_draft_reviews(user)[:10] if user.has_perm("hvs.view_worklist") else [],
    }
    if user.role == Role.OFFICER:
        caseload = caseload_with_current_peps(user, term)
        context["caseload"] = caseload
        # What needs the officer: children with no PEP this term, drafts, PEPs returned.
        context["caseload_counts"] = {
            "no_pep": sum(1 for _child, pep in caseload if pep is None),
            "draft": sum(1 for _child, pep in caseload if pep is not None and pep.status == PepStatus.DRAFT),
            "returned": sum(1 for _child, pep in caseload if pep is not None and pep.status == PepStatus.RETURNED),
        }
        context["actions_overdue"], context["actions_due_soon"] = actions_to_mention(user)
        return render(request, "home/officer.html", context)
    # Not the PEPs the user is re-rating for moderation: their status and judgement stay hidden.
    visible = peps_with_outcome_visible(user)
    term_peps = visible.filter(term=term) if term else visible.none()
    context["counts"] = term_counts(term_peps)
    # Said under the counts, so they add up to the term in figures, which counts every PEP.
    context["blind_count"] = Pep.objects.filter(term=term, pk__in=blind_peps(user)).count() if term else 0
    if user.role == Role.MANAGER:
        context["team"] = team_overview(user, term) if term else []
        context["awaiting"] = (
            term_peps.filter(status=PepStatus.SUBMITTED)
            .exclude(officer=user)
            .select_related("child", "officer")
            .order_by("child__last_name")[:10]
        )
        context["sample"] = worklist_progress(user, term)
        context["needs_supervision"] = _needs_supervision(user, term)
        return render(request, "home/manager.html", context)
    if user.role == Role.VSH and term:
        rows = coverage(term, officers_in_view(user))
        context["coverage"] = {"met": sum(1 for row in rows if row.policy_met), "officers": len(rows)}
        # The VSH's own line reports (the managers, and anyone else who reports to them).
        context["needs_supervision"] = _needs_supervision(user, term)
        context["shows_needs_supervision"] = True
    return render(request, "home/school.html", context)


def _needs_supervision(user, term):
    """The line reports who need supervision this term. Whether a capability process is
    open is shown only to someone the policy lets see it."""
    rows = needs_supervision(
        supervisees(user).filter(line_manager=user),
        term,
        timezone.localdate(),
        reviews=visible_reviews(user),
        capability=visible_capability(user),
    )
    for row in rows:
        row.may_see_capability = may_see_capability_of(user, row.officer)
        row.capability_open = row.capability_open and row.may_see_capability
    return rows

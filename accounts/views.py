from django.shortcuts import render

from peps.models import Term
from peps.selectors import (
    caseload_with_current_peps,
    team_overview,
    term_counts,
    visible_peps,
)
from reviews.selectors import my_draft_reviews
from sampling.selectors import blind_peps, coverage, worklist_progress

from .models import Role


def home(request):
    """Each role's start page: an officer's caseload, a manager's team, the whole school."""
    user = request.user
    term = Term.objects.current()
    context = {"term": term, "drafts": my_draft_reviews(user)[:10] if user.can_qa else []}
    if user.role == Role.OFFICER:
        caseload = caseload_with_current_peps(user, term)
        context["caseload"] = caseload
        # What needs the officer: children with no PEP this term, drafts, PEPs returned.
        context["caseload_counts"] = {
            "no_pep": sum(1 for _child, pep in caseload if pep is None),
            "draft": sum(1 for _child, pep in caseload if pep is not None and pep.status == "draft"),
            "returned": sum(1 for _child, pep in caseload if pep is not None and pep.status == "returned"),
        }
        return render(request, "home/officer.html", context)
    term_peps = visible_peps(user).filter(term=term) if term else visible_peps(user).none()
    # Not the PEPs the user is re-rating for moderation: their status and judgement stay hidden.
    term_peps = term_peps.exclude(pk__in=blind_peps(user))
    context["counts"] = term_counts(term_peps)
    if user.role == Role.MANAGER:
        context["team"] = team_overview(user, term) if term else []
        context["awaiting"] = (
            term_peps.filter(status="submitted").exclude(officer=user)
            .select_related("child", "officer").order_by("child__last_name")[:10]
        )
        context["sample"] = worklist_progress(user, term)
        return render(request, "home/manager.html", context)
    if user.role == Role.VSH and term:
        rows = coverage(term, user)
        context["coverage"] = {"met": sum(1 for row in rows if row.policy_met), "officers": len(rows)}
    return render(request, "home/school.html", context)

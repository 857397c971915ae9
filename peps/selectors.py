"""Reads that decide who sees which children and PEPs. Every view goes through these."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Role, User
from hvs_qa.parsing import parse_int

from .models import Child, Pep, Term


def _officers_in_view(user: User) -> list[int] | None:
    """The officers whose caseloads the user may see; None means the whole school."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.sees_whole_school:
        return None
    if user.role == Role.MANAGER:
        return [user.pk, *user.line_reports.values_list("pk", flat=True)]
    if user.role == Role.OFFICER:
        return [user.pk]
    return []


def visible_children(user: User) -> QuerySet[Child]:
    officers = _officers_in_view(user)
    children = Child.objects.all()
    if officers is None:
        return children
    return children.filter(allocated_officer__in=officers)


def visible_peps(user: User) -> QuerySet[Pep]:
    officers = _officers_in_view(user)
    peps = Pep.objects.all()
    if officers is None:
        return peps
    # A PEP stays visible to the officer who held it that term, and to the child's
    # current officer, who needs the history; and to whoever a QA sample assigns it to
    # (a manager moderating another team's PEP).
    from sampling.models import SampleEntry

    assigned = SampleEntry.objects.filter(assigned_to=user).values("pep")
    return peps.filter(
        Q(officer__in=officers) | Q(child__allocated_officer__in=officers) | Q(pk__in=assigned)
    )


def pep_list(user: User) -> QuerySet[Pep]:
    """Visible PEPs with what a list row shows, in a fixed number of queries."""
    return visible_peps(user).select_related(
        "child", "child__school", "term", "officer"
    )


def can_review(user: User, pep: Pep, kind: str | None = None) -> bool:
    """A QA role (or a sample that assigns the PEP to the user), a PEP the user may see,
    not one of their own, and not still a draft.

    A line-management review (the one that finalises or returns the PEP) needs a PEP
    submitted for QA; samples and moderation may look at any PEP past draft.
    """
    from reviews.services import default_kind_for
    from sampling.models import SampleEntry

    kind = kind or default_kind_for(user)
    if pep.status == "draft":
        return False
    if kind == "line_management" and pep.status != "submitted":
        return False
    assigned = SampleEntry.objects.filter(
        pep=pep, assigned_to=user, sample__kind__in=_sample_kinds_for(kind)
    ).exists()
    if not (user.can_qa or assigned):
        return False
    if user.pk in (pep.officer_id, pep.child.allocated_officer_id):
        return False
    return visible_peps(user).filter(pk=pep.pk).exists()


def can_finalise_without_qa(user: User, pep: Pep) -> bool:
    """Who may finalise a submitted PEP that the QA sample did not pick: the child's
    officer, their line manager, and the VSH. (Whether the PEP is submitted and outside the
    sample is for peps.services.finalise_pep.) Uses pep.officer and pep.child.allocated_officer."""
    if not user.is_authenticated:
        return False
    if user.role == Role.VSH:
        return True
    officers = [o for o in (pep.officer, pep.child.allocated_officer) if o is not None]
    return any(user.pk in (officer.pk, officer.line_manager_id) for officer in officers)


def _sample_kinds_for(review_kind: str) -> list[str]:
    from sampling.models import SampleKind

    return [kind for kind in SampleKind if kind.review_kind == review_kind]


def requested_term(value: str) -> Term | None:
    """The term a page was asked for (?term=<pk>), else the current one; 404 for a pk that
    is no term's, or is no pk at all ("²", "-1", twenty digits)."""
    if value:
        pk = parse_int(value)
        if pk is None:
            raise Http404("No such term")
        return get_object_or_404(Term, pk=pk)
    return Term.objects.current()


def term_counts(peps: QuerySet[Pep]) -> dict:
    """Counts of a set of PEPs by status and by judgement, in two grouped queries."""
    from django.db.models import Count

    by_status = dict(peps.values_list("status").annotate(n=Count("pk")).order_by())
    by_judgement = dict(peps.values_list("judgement").annotate(n=Count("pk")).order_by())
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_judgement": by_judgement,
    }


def team_overview(manager: User, term) -> list[dict]:
    """Per line report: caseload and where their PEPs stand this term (two queries)."""
    from django.db.models import Count

    officers = list(manager.line_reports.filter(is_active=True).annotate(caseload_size=Count("caseload")))
    rows = (
        Pep.objects.filter(term=term, officer__in=officers)
        .values("officer", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["officer"], {})[row["status"]] = row["n"]
    return [
        {
            "officer": officer,
            "caseload": officer.caseload_size,
            "peps": sum(counts.get(officer.pk, {}).values()),
            "awaiting_qa": counts.get(officer.pk, {}).get("submitted", 0),
            "returned": counts.get(officer.pk, {}).get("returned", 0),
            "finalised": counts.get(officer.pk, {}).get("finalised", 0),
        }
        for officer in officers
    ]


def caseload_with_current_peps(officer: User, term) -> list[tuple[Child, Pep | None]]:
    children = list(officer.caseload.select_related("school").order_by("last_name", "first_name"))
    peps = {
        pep.child_id: pep
        for pep in Pep.objects.filter(term=term, child__in=children)
    } if term else {}
    return [(child, peps.get(child.pk)) for child in children]

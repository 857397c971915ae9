"""Reads of PEPs, children and terms that need no knowledge of who is asking. Who may
see which of them is for the access policy (access/policy.py)."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import User

from .models import Child, Pep, Term


def requested_term(value: str) -> Term | None:
    """The term a page was asked for (?term=<pk>), else the current one; 404 for a bad pk."""
    if value:
        if not value.isdigit():
            raise Http404("No such term")
        return get_object_or_404(Term, pk=value)
    return Term.objects.current()


def caseload_with_current_peps(officer: User, term) -> list[tuple[Child, Pep | None]]:
    children = list(officer.caseload.select_related("school").order_by("last_name", "first_name"))
    peps = {pep.child_id: pep for pep in Pep.objects.filter(term=term, child__in=children)} if term else {}
    return [(child, peps.get(child.pk)) for child in children]

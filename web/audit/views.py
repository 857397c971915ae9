"""The audit trail of a child's record: who has seen or changed it (the VSH and
administrators, hvs.view_audit)."""

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from access.policy import visible_children
from audit.models import AuditEntry
from audit.selectors import child_trail as trail_of
from audit.selectors import trail_people
from audit.trail import record_view

from .forms import TrailFilterForm

Action = AuditEntry.Action
ACTIONS = {Action.CREATE: "Created", Action.UPDATE: "Changed", Action.DELETE: "Deleted", Action.ACCESS: "Viewed"}


def child_trail(request, child_pk):
    if not request.user.has_perm("hvs.view_audit"):
        raise Http404
    child = get_object_or_404(visible_children(request.user), pk=child_pk)
    record_view(request, child, "audit trail")
    form = TrailFilterForm(request.GET or None, people=trail_people(child.pk))
    filters = form.filters()
    entries = trail_of(child.pk, **filters)
    page = Paginator(entries, settings.AUDIT_ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/child_trail.html",
        {
            "child": child,
            "form": form,
            "filtered": bool(filters),
            "page_obj": page,
            "rows": [_row(entry) for entry in page],
            "query_string": query.urlencode(),
        },
    )


def _row(entry: AuditEntry) -> dict:
    """An entry as the page shows it: what was done to which record, and each change."""
    model = entry.content_type.model_class()
    extra = entry.additional_data or {}
    action = "Downloaded" if extra.get("download") else ACTIONS.get(entry.action, "")
    return {
        "entry": entry,
        "action": action,
        "record": _label(str(model._meta.verbose_name) if model else entry.content_type.model),
        "repr": entry.object_repr,
        "page": extra.get("download") or extra.get("page") or "",
        "who": (entry.actor.get_full_name() or entry.actor.get_username()) if entry.actor else entry.actor_email,
        "changes": _changes(model, entry.changes or {}) if entry.action != Action.ACCESS else [],
    }


def _label(name: str) -> str:
    """A record's kind as the service writes it: "PEP", "QA review"."""
    words = [{"pep": "PEP", "qa": "QA", "upn": "UPN"}.get(word.lower(), word) for word in name.split()]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def _changes(model, changes: dict) -> list[dict]:
    rows = []
    for name, change in changes.items():
        label = name
        if model is not None:
            try:
                label = str(getattr(model._meta.get_field(name), "verbose_name", name))
            except FieldDoesNotExist:  # a field since removed
                pass
        if isinstance(change, dict) and change.get("type") == "m2m":
            verb = "added" if change.get("operation") == "add" else "removed"
            rows.append({"field": label, "before": "", "after": f"{verb}: {', '.join(change.get('objects', []))}"})
        elif isinstance(change, list | tuple) and len(change) == 2:
            rows.append({"field": label, "before": _shown(change[0]), "after": _shown(change[1])})
    return rows


def _shown(value) -> str:
    return "" if value in (None, "None") else str(value)

"""The capability process of an officer: a confidential flag with notes.

Only the officer's line manager and the VSH may see or change it. Everyone else, a
superuser without the VSH role included, gets a 404 exactly like a page that does not
exist: not even whether the officer has one is given away. The policy is asked directly
(``may_see_capability_of``), not through ``has_perm``, which passes every superuser."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from access.policy import may_see_capability_of, supervisees, visible_capability
from practice.capability import CapabilityClosed, StaleNotes, close_concern, open_concern, update_notes

from .forms import CapabilityCloseForm, CapabilityNotesForm, CapabilityOpenForm


def capability(request, officer_pk):
    officer = get_object_or_404(supervisees(request.user).select_related("line_manager"), pk=officer_pk)
    if not may_see_capability_of(request.user, officer):
        raise Http404("No such page")
    concerns = list(visible_capability(request.user).filter(officer=officer).select_related("opened_by"))
    current = next((c for c in concerns if c.closed_on is None), None)
    today = timezone.localdate()
    open_form = CapabilityOpenForm(prefix="open", initial={"opened_on": today})
    notes_form = CapabilityNotesForm(
        prefix="notes", initial={"notes": current.notes, "seen": current.updated_at.isoformat()} if current else None
    )
    close_form = CapabilityCloseForm(prefix="close", opened_on=current.opened_on if current else today)
    if request.method == "POST":
        done = _post(request, officer, current, today)
        if not isinstance(done, tuple):
            return done
        open_form, notes_form, close_form = (
            done[0] or open_form,
            done[1] or notes_form,
            done[2] or close_form,
        )
    return render(
        request,
        "practice/capability.html",
        {
            "officer": officer,
            "current": current,
            "closed": [c for c in concerns if c.closed_on is not None],
            "open_form": open_form,
            "notes_form": notes_form,
            "close_form": close_form,
        },
    )


def _post(request, officer, current, today):
    """A redirect when the write is done (or was done already), else the form at fault."""
    back = redirect("practice:capability", officer_pk=officer.pk)
    if "open-notes" in request.POST or "open-opened_on_0" in request.POST:
        form = CapabilityOpenForm(request.POST, prefix="open")
        if current is not None:
            messages.success(request, "A capability process is already open for this officer")
            return back
        if not form.is_valid():
            return form, None, None
        opened = open_concern(
            officer, opened_by=request.user, opened_on=form.cleaned_data["opened_on"], notes=form.cleaned_data["notes"]
        )
        messages.success(
            request,
            "Capability process opened" if opened.created else "A capability process is already open for this officer",
        )
        return back
    if current is None:  # closed meanwhile (another tab), or never opened
        messages.success(request, "There is no open capability process for this officer")
        return back
    if "close-closed_on_0" in request.POST:
        close = CapabilityCloseForm(request.POST, prefix="close", opened_on=current.opened_on)
        if not close.is_valid():
            return None, None, close
        try:
            close_concern(current.pk, closed_on=close.cleaned_data["closed_on"])
        except CapabilityClosed:
            messages.success(request, "The capability process was already closed")
            return back
        messages.success(request, "Capability process closed")
        return back
    notes = CapabilityNotesForm(request.POST, prefix="notes")
    if not notes.is_valid():
        return None, notes, None
    try:
        update_notes(current.pk, notes.cleaned_data["notes"], seen_updated_at=notes.cleaned_data["seen"])
    except CapabilityClosed:
        messages.success(request, "The capability process was closed meanwhile: the notes were not saved")
        return back
    except StaleNotes:
        notes.add_error("notes", "Someone changed the notes since you opened this page. Copy your text, then reload")
        return None, notes, None
    messages.success(request, "Notes saved")
    return back

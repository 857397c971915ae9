"""The peer-review pages: the year's meetings, recording one, and what each member brought."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from access.policy import visible_meetings, visible_peps
from core.parsing import parse_int
from core.vocabulary import Role, academic_year_label
from peps.models import Term
from practice.services import add_pep_to_meeting, record_meeting

from .forms import PeerReviewForm, PeerReviewNotesForm, PeerReviewPepForm

PEER_REVIEWS_A_YEAR = 2
PEPS_EACH = 2


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied


def peer_reviews(request):
    _require(request.user, "hvs.view_peer_reviews")
    term = Term.objects.current()
    year = term.academic_year if term else None
    if asked := request.GET.get("year", ""):
        year = parse_int(asked, low=1000, high=9998)  # four digits, and a next year to label
        if year is None:
            raise Http404("No such academic year")
    meetings = (
        list(
            visible_meetings(request.user)
            .select_related("term", "recorded_by")
            .filter(term__academic_year=year)
            .annotate(attendee_count=Count("attendees", distinct=True), pep_count=Count("peps", distinct=True))
        )
        if year is not None
        else []
    )
    return render(
        request,
        "practice/peer_review_list.html",
        {
            "year": year,
            "year_label": academic_year_label(year) if year is not None else "",
            "meetings": meetings,
            "required": PEER_REVIEWS_A_YEAR,
        },
    )


def peer_review_new(request):
    _require(request.user, "hvs.record_peer_review")
    term = Term.objects.current()
    form = PeerReviewForm(
        request.POST or None, recorder=request.user, initial={"term": term, "date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        meeting = record_meeting(form.save(commit=False), form.cleaned_data["attendees"], request.user)
        messages.success(request, "Peer review meeting recorded. Now add the PEPs each member brought.")
        return redirect("practice:peer_review_detail", pk=meeting.pk)
    return render(request, "practice/peer_review_form.html", {"form": form})


def peer_review_detail(request, pk):
    _require(request.user, "hvs.view_peer_reviews")
    meeting = get_object_or_404(visible_meetings(request.user).select_related("term", "recorded_by"), pk=pk)
    pep_form = PeerReviewPepForm(meeting=meeting, recorder=request.user, prefix="pep")
    notes_form = PeerReviewNotesForm(instance=meeting, prefix="notes")
    if request.method == "POST":
        if "pep-brought" in request.POST:
            pep_form = PeerReviewPepForm(request.POST, meeting=meeting, recorder=request.user, prefix="pep")
            if pep_form.already_recorded:
                messages.success(request, "That PEP was already recorded")
                return redirect("practice:peer_review_detail", pk=meeting.pk)
            if pep_form.is_valid():
                _, added = add_pep_to_meeting(
                    meeting, pep_form.instance.member, pep_form.instance.pep_id, pep_form.cleaned_data["findings"]
                )
                messages.success(request, "PEP added to the meeting" if added else "That PEP was already recorded")
                return redirect("practice:peer_review_detail", pk=meeting.pk)
        else:
            notes_form = PeerReviewNotesForm(request.POST, instance=meeting, prefix="notes")
            if notes_form.is_valid():
                notes_form.save()
                messages.success(request, "Findings and actions saved")
                return redirect("practice:peer_review_detail", pk=meeting.pk)
    brought = list(meeting.peps.select_related("pep__child", "member").order_by("member__first_name", "pk"))
    # A child is named only to someone who may see their PEP.
    visible_pep_ids = set(
        visible_peps(request.user).filter(pk__in=[item.pep_id for item in brought]).values_list("pk", flat=True)
    )
    members: list[dict[str, Any]] = [
        {
            "member": member,
            "peps": [item for item in brought if item.member_id == member.pk],
            "expected": member.role == Role.OFFICER,
        }
        for member in meeting.attendees.order_by("first_name", "last_name")
    ]
    return render(
        request,
        "practice/peer_review_detail.html",
        {
            "meeting": meeting,
            "members": members,
            "short": [m["member"] for m in members if m["expected"] and len(m["peps"]) < PEPS_EACH],
            "visible_pep_ids": visible_pep_ids,
            "pep_form": pep_form,
            "notes_form": notes_form,
        },
    )

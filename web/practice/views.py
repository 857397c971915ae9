"""The peer-review pages: the year's meetings, recording one, and what each member brought."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from access.policy import meeting_peps, require, visible_actions, visible_meetings, visible_peps
from core.parsing import parse_int
from core.vocabulary import Role, academic_year_label
from peps.models import Term
from practice.models import ActionStatus
from practice.services import (
    PEPS_EACH,
    PeerReviewError,
    add_pep_to_meeting,
    agree_meeting_action,
    latest_submitted_review,
    record_action_outcome,
    record_meeting,
)

from .forms import (
    ActionOutcomeForm,
    MeetingActionForm,
    PeerReviewForm,
    PeerReviewNotesForm,
    action_areas,
    member_pick_forms,
)

PEER_REVIEWS_A_YEAR = 2


def peer_reviews(request):
    require(request.user, "hvs.view_peer_reviews")
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
    require(request.user, "hvs.record_peer_review")
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
    require(request.user, "hvs.view_peer_reviews")
    meeting = get_object_or_404(visible_meetings(request.user).select_related("term", "recorded_by"), pk=pk)
    user = request.user
    attendees = list(meeting.attendees.order_by("first_name", "last_name"))
    brought = list(
        meeting.peps.select_related("pep__child", "pep__term", "member").order_by("member__first_name", "pk")
    )
    # A child is named (by LA reference) only to someone who may see their PEP.
    visible_pep_ids = set(
        visible_peps(user).filter(pk__in=[item.pep_id for item in brought]).values_list("pk", flat=True)
    )
    actions = list(
        visible_actions(user)
        .filter(peer_review=meeting)
        .select_related("owner", "area", "review__pep__child")
        .order_by("due", "pk")
    )
    for action in actions:
        action.peer_review = meeting  # the permission reads it: no query per action
    post = request.POST if request.method == "POST" else None

    def pick_forms(data=None, posted_for=None):
        return member_pick_forms(meeting, attendees, brought, user, data, posted_for)

    def action_form(data=None):
        return MeetingActionForm(
            data, attendees=attendees, areas=action_areas(), brought=brought, visible_pep_ids=visible_pep_ids
        )

    def outcome_forms(data=None, posted_for=None):
        return {
            action.pk: ActionOutcomeForm(data if action.pk == posted_for else None, action=action)
            for action in actions
            if action.status == ActionStatus.OPEN and user.has_perm("hvs.follow_up_action", action)
        }

    picks, new_action, outcomes = None, None, None
    notes_form = PeerReviewNotesForm(instance=meeting, prefix="notes")
    if post is not None and "pep-member" in post:
        member = next((m for m in attendees if str(m.pk) == post.get("pep-member", "")), None)
        if member is None:
            raise Http404("No such attendee")
        picks = pick_forms(post, member.pk)
        form = picks[member.pk]
        if form.already_recorded:
            messages.success(request, "That PEP was already recorded")
            return redirect("practice:peer_review_detail", pk=meeting.pk)
        if form.is_valid():
            try:
                _, added = add_pep_to_meeting(
                    meeting, member, form.pep, form.cleaned_data["findings"], eligible=meeting_peps(member)
                )
            except PeerReviewError as refused:
                form.add_error("brought", str(refused))
            else:
                messages.success(request, "PEP added to the meeting" if added else "That PEP was already recorded")
                return redirect("practice:peer_review_detail", pk=meeting.pk)
    elif post is not None and "outcome-action" in post:
        followed = next((a for a in actions if str(a.pk) == post.get("outcome-action", "")), None)
        if followed is None:
            raise Http404("No such action")
        if not user.has_perm("hvs.follow_up_action", followed):
            raise PermissionDenied
        if followed.status != ActionStatus.OPEN:
            messages.success(request, "That action's outcome was already recorded")
            return redirect("practice:peer_review_detail", pk=meeting.pk)
        outcomes = outcome_forms(post, followed.pk)
        outcome_form = outcomes[followed.pk]
        if outcome_form.is_valid():
            result = record_action_outcome(
                followed, status=outcome_form.cleaned_data["status"], outcome=outcome_form.cleaned_data["outcome"]
            )
            messages.success(
                request, "Outcome recorded" if result.recorded else "That action's outcome was already recorded"
            )
            return redirect("practice:peer_review_detail", pk=meeting.pk)
    elif post is not None and "action-description" in post:
        if not user.has_perm("hvs.record_peer_review"):
            raise PermissionDenied
        new_action = action_form(post)
        if new_action.is_valid():
            try:
                _action, agreed = agree_meeting_action(
                    meeting,
                    description=new_action.cleaned_data["description"],
                    owner=new_action.chosen_owner,
                    due=new_action.cleaned_data["due"],
                    area=new_action.chosen_area,
                    review=latest_submitted_review(new_action.chosen_pep),
                    created_by=user,
                )
            except PeerReviewError as refused:
                new_action.add_error("owner", str(refused))
            else:
                messages.success(request, "Action added" if agreed else "That action was already added")
                return redirect("practice:peer_review_detail", pk=meeting.pk)
    elif post is not None:
        notes_form = PeerReviewNotesForm(post, instance=meeting, prefix="notes")
        if notes_form.is_valid():
            notes_form.save()
            messages.success(request, "Findings saved")
            return redirect("practice:peer_review_detail", pk=meeting.pk)

    picks = picks or pick_forms()
    members: list[dict[str, Any]] = [
        {
            "member": member,
            "peps": [item for item in brought if item.member_id == member.pk],
            "expected": member.role == Role.OFFICER,
            "form": picks[member.pk],
        }
        for member in attendees
    ]
    outcomes = outcomes or outcome_forms()
    may_agree = user.has_perm("hvs.record_peer_review")
    forms_with_errors = [
        form
        for form in [*picks.values(), *outcomes.values(), new_action, notes_form]
        if form is not None and form.errors
    ]
    return render(
        request,
        "practice/peer_review_detail.html",
        {
            "meeting": meeting,
            "members": members,
            "short": [m["member"] for m in members if m["expected"] and len(m["peps"]) < PEPS_EACH],
            "peps_each": PEPS_EACH,
            "visible_pep_ids": visible_pep_ids,
            "actions": [(action, outcomes.get(action.pk)) for action in actions],
            "action_form": (new_action or action_form()) if may_agree else None,
            "notes_form": notes_form,
            "forms_with_errors": forms_with_errors,
            "today": timezone.localdate(),
        },
    )

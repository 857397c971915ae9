"""Writes for peer review: the meeting, the PEPs each member brought, and the actions
agreed there (PracticeAction records) with their outcomes.

Which PEPs a member may bring and which actions a user may follow up are the access
policy's questions (access.policy.meeting_peps, ``hvs.follow_up_action``): the callers ask
it and pass what it allows; these services keep the rules that hold for everyone (at most
two PEPs a member, a PEP once a meeting, an outcome recorded once) under row locks."""

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from peps.models import Pep
from reviews.models import ProFormaArea, QaReview, ReviewStatus

from .models import ActionStatus, PeerReviewMeeting, PeerReviewPep, PracticeAction

# The policy: "each member brings two PEPs".
PEPS_EACH = 2


class PeerReviewError(Exception):
    """A pick the rules refuse; its message is for the page."""


class TooManyPeps(PeerReviewError):
    pass


class NotTheMembersPep(PeerReviewError):
    pass


def add_pep_to_meeting(
    meeting: PeerReviewMeeting, member: User, pep: Pep | int, findings: str = "", *, eligible: QuerySet[Pep]
) -> tuple[PeerReviewPep, bool]:
    """Record that ``member`` brought ``pep``; (the record, whether it is new).

    ``eligible`` is the PEPs the member may bring (access.policy.meeting_peps): another
    PEP is refused (NotTheMembersPep). A PEP is recorded once a meeting: a double click,
    or two tabs, finds it already there. A member brings at most two (TooManyPeps on a
    third); the meeting's row is locked so that two tabs cannot each add a second."""
    pep_id = pep if isinstance(pep, int) else pep.pk
    with transaction.atomic():
        PeerReviewMeeting.objects.select_for_update().filter(pk=meeting.pk).first()
        existing = PeerReviewPep.objects.filter(meeting=meeting, pep_id=pep_id).first()
        if existing is not None:
            return existing, False
        if not eligible.filter(pk=pep_id).exists():
            raise NotTheMembersPep("Choose a PEP from the list")
        if PeerReviewPep.objects.filter(meeting=meeting, member=member).count() >= PEPS_EACH:
            raise TooManyPeps(f"{member} has brought {PEPS_EACH} PEPs already: each member brings {PEPS_EACH}")
        try:
            with transaction.atomic():
                return PeerReviewPep.objects.create(
                    meeting=meeting, member=member, pep_id=pep_id, findings=findings
                ), True
        except IntegrityError:
            return PeerReviewPep.objects.get(meeting=meeting, pep_id=pep_id), False


@transaction.atomic
def record_meeting(meeting: PeerReviewMeeting, attendees, recorded_by: User) -> PeerReviewMeeting:
    meeting.recorded_by = recorded_by
    meeting.save()
    meeting.attendees.set(attendees)
    return meeting


# --- the actions agreed at a meeting -------------------------------------------------


def latest_submitted_review(pep: Pep | None) -> QaReview | None:
    """The review an action on a PEP comes from: the PEP's latest submitted QA review."""
    if pep is None:
        return None
    return pep.reviews.filter(status=ReviewStatus.SUBMITTED).order_by("-submitted_at", "-pk").first()


@transaction.atomic
def agree_meeting_action(
    meeting: PeerReviewMeeting,
    *,
    description: str,
    owner: User,
    due: date,
    created_by: User,
    area: ProFormaArea | None = None,
    review: QaReview | None = None,
) -> tuple[PracticeAction, bool]:
    """An action agreed at the meeting, owned by one of its attendees; (the action, whether
    it is new). The meeting's row is locked, so a double click or a second tab sending the
    same action (what, who, by when, area, review) finds it agreed already."""
    PeerReviewMeeting.objects.select_for_update().filter(pk=meeting.pk).first()
    if not meeting.attendees.filter(pk=owner.pk).exists():
        raise PeerReviewError("Choose who will do it from the attendees")
    description = description.strip()
    same = PracticeAction.objects.filter(
        peer_review=meeting, description=description, owner=owner, due=due, area=area, review=review
    ).first()
    if same is not None:
        return same, False
    action = PracticeAction.objects.create(
        peer_review=meeting,
        supervision=None,
        description=description,
        owner=owner,
        due=due,
        area=area,
        review=review,
        created_by=created_by,
    )
    return action, True


@dataclass
class OutcomeRecorded:
    action: PracticeAction
    recorded: bool  # False: it had been recorded already (a second click, another tab)


def record_action_outcome(
    action: PracticeAction, *, status: str, outcome: str, on: date | None = None
) -> OutcomeRecorded:
    """Close an open action as done or not done, with what came of it. The action's row is
    locked: of two clicks, the second finds it recorded and changes nothing."""
    if status not in (ActionStatus.DONE, ActionStatus.NOT_DONE):
        raise ValueError(f"An outcome is done or not done, not {status!r}")
    with transaction.atomic():
        locked = PracticeAction.objects.select_for_update().get(pk=action.pk)
        if locked.status != ActionStatus.OPEN:
            return OutcomeRecorded(locked, recorded=False)
        locked.status = status
        locked.outcome = outcome
        locked.closed_on = on or timezone.localdate()
        locked.save(update_fields=["status", "outcome", "closed_on"])
        return OutcomeRecorded(locked, recorded=True)

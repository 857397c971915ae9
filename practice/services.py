"""Writes for peer review."""

from django.db import IntegrityError, transaction

from accounts.models import User
from peps.models import Pep

from .models import PeerReviewMeeting, PeerReviewPep


def add_pep_to_meeting(
    meeting: PeerReviewMeeting, member: User, pep: Pep | int, findings: str = ""
) -> tuple[PeerReviewPep, bool]:
    """Record that ``member`` brought ``pep``; (the record, whether it is new). A PEP is
    recorded once a meeting: a double click, or two tabs, finds it already there."""
    pep_id = pep if isinstance(pep, int) else pep.pk
    try:
        with transaction.atomic():
            return PeerReviewPep.objects.create(meeting=meeting, member=member, pep_id=pep_id, findings=findings), True
    except IntegrityError:
        return PeerReviewPep.objects.get(meeting=meeting, pep_id=pep_id), False


@transaction.atomic
def record_meeting(meeting: PeerReviewMeeting, attendees, recorded_by: User) -> PeerReviewMeeting:
    meeting.recorded_by = recorded_by
    meeting.save()
    meeting.attendees.set(attendees)
    return meeting

"""Writes for PEPs: opening a child's PEP for a term, recording its meeting, submitting it
for QA. The officer's pages call these, and so do the imports, so a PEP gets to
"submitted" one way only: with a line in its status history and the ``pep_submitted``
signal (on which sampling tops the term's samples up).

Who may call them is for the access policy ("hvs.record_pep", "hvs.submit_pep"), asked by
the pages: an import submits on behalf of the ePEP, whoever runs it.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.vocabulary import Phase

from .models import Child, Pep, PepStatus, PepStatusChange, Term
from .signals import pep_submitted

# What recording a PEP meeting may set: the meeting, and the sections' texts.
MEETING_FIELDS = (
    "meeting_date",
    "next_meeting_date",
    "sw_attended",
    "dt_attended",
    "child_attended",
    "carer_attended",
    "sw_section_updated",
    "pp_plus_requested",
    "pp_plus_amount",
    "attendance_percent",
)
SECTION_FIELDS = (
    "child_views",
    "education_summary",
    "attainment_summary",
    "targets",
    "aspirations_summary",
)
RECORDABLE_FIELDS = MEETING_FIELDS + SECTION_FIELDS


class AlreadySubmitted(ValidationError):
    """The PEP is already submitted for QA: a second click, or a second import of it.
    Nothing was changed; a caller may treat it as done."""


@transaction.atomic
def open_pep(child: Child, term: Term) -> Pep:
    """The child's PEP for the term: the one there is, or a new draft held by the child's
    officer, in the phase of the child's year group."""
    pep, _created = Pep.objects.get_or_create(
        child=child,
        term=term,
        defaults={
            "officer": child.allocated_officer,
            "phase": Phase.for_year_group(child.year_group),
            "year_group": child.year_group,
            "status": PepStatus.DRAFT,
        },
    )
    return pep


@transaction.atomic
def record_pep_meeting(pep: Pep, by: User | None, **fields) -> Pep:
    """Record what the PEP meeting settled on a draft PEP: any of ``RECORDABLE_FIELDS``
    (those not given stay as they are). ``by`` is who records it.

    Raises ValidationError (by field, so a form shows each beside its field) for a PEP past
    draft or values that do not hang together; TypeError for a field it does not record.
    """
    unknown = set(fields) - set(RECORDABLE_FIELDS)
    if unknown:
        raise TypeError(f"record_pep_meeting() does not record {', '.join(sorted(unknown))}")
    # Under a row lock: a save racing the submit must not change a submitted PEP.
    locked = Pep.objects.select_for_update().get(pk=pep.pk)
    if locked.status != PepStatus.DRAFT:
        raise ValidationError(
            f"This PEP is {_status_words(locked)}: its meeting can only be recorded while it is a draft."
        )
    for name, value in fields.items():
        setattr(locked, name, "" if value is None and name in SECTION_FIELDS else value)
    if not locked.pp_plus_requested:
        # "No" to PP+ drops an amount typed before the answer changed.
        locked.pp_plus_amount = None
    # The model's own checks first (digits, a real date): they also turn "94.5" into a Decimal.
    locked.clean_fields(exclude=[f.name for f in Pep._meta.fields if f.name not in RECORDABLE_FIELDS])
    errors = meeting_errors(
        meeting_date=locked.meeting_date,
        next_meeting_date=locked.next_meeting_date,
        attendance_percent=locked.attendance_percent,
        pp_plus_amount=locked.pp_plus_amount,
    )
    if errors:
        raise ValidationError(errors)
    locked.save(update_fields=[*RECORDABLE_FIELDS, "updated_at"])
    return locked


def _status_words(pep: Pep) -> str:
    """ "submitted for QA", "finalised": the status label inside a sentence."""
    label = pep.get_status_display()
    return label[:1].lower() + label[1:]


def meeting_errors(
    *,
    meeting_date: date | None,
    next_meeting_date: date | None,
    attendance_percent: Decimal | None,
    pp_plus_amount: Decimal | None,
) -> dict[str, str]:
    """What does not hang together in a PEP meeting's record, by field (empty when all
    does): the rule the service enforces, and that the form checks as it is typed."""
    errors = {}
    if meeting_date and next_meeting_date and next_meeting_date <= meeting_date:
        errors["next_meeting_date"] = (
            f"The next meeting must be after the meeting on {meeting_date.day} {meeting_date:%B %Y}"
        )
    if attendance_percent is not None and not (0 <= attendance_percent <= 100):
        errors["attendance_percent"] = "Attendance must be between 0 and 100%"
    if pp_plus_amount is not None and pp_plus_amount <= 0:
        errors["pp_plus_amount"] = "The amount of PP+ requested must be more than £0"
    return errors


@transaction.atomic
def submit_pep(pep: Pep, by: User | None, note: str = "", *, completed_on: date | None = None) -> Pep:
    """Submit a draft PEP for QA: its status history records who and when, the date it was
    completed is kept (or set: ``completed_on``, else today), and ``pep_submitted`` is
    sent inside the transaction.

    Raises AlreadySubmitted (changing nothing) for a PEP already submitted, e.g. a double
    click; ValidationError for a PEP returned or finalised.
    """
    # Re-read the status under a row lock: the caller's copy may be stale (a double submit).
    locked = Pep.objects.select_for_update().get(pk=pep.pk)
    if locked.status == PepStatus.SUBMITTED:
        raise AlreadySubmitted("This PEP has already been submitted for QA.", code="already_submitted")
    if locked.status == PepStatus.RETURNED:
        raise ValidationError(
            "This PEP was returned for amendment: mark it as amended to send it back for QA.",
            code="not_draft",
        )
    if locked.status != PepStatus.DRAFT:
        raise ValidationError(
            f"Only a draft PEP can be submitted for QA: this one is {_status_words(locked)}.",
            code="not_draft",
        )
    PepStatusChange.objects.create(
        pep=locked,
        from_status=locked.status,
        to_status=PepStatus.SUBMITTED,
        changed_by=by,
        note=note or "Submitted for QA.",
    )
    locked.status = PepStatus.SUBMITTED
    locked.date_completed = completed_on or locked.date_completed or timezone.localdate()
    locked.save(update_fields=["status", "date_completed", "updated_at"])
    pep_submitted.send(sender=Pep, pep=locked, by=by)
    return locked

"""Writes for PEPs outside QA reviews."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User

from .models import Pep, PepStatus, PepStatusChange


def awaiting_sampled_qa(pep: Pep) -> bool:
    """In its term's line-management sample and not yet QA'd: it must be rated first."""
    from sampling.models import SampleEntry, SampleKind

    return (
        SampleEntry.objects.filter(pep=pep, sample__kind=SampleKind.LINE_MANAGEMENT)
        .exclude(review__status="submitted")
        .exists()
    )


@transaction.atomic
def finalise_pep(pep: Pep, by: User) -> Pep:
    """Finalise a submitted PEP that the QA sample did not pick (most PEPs: the policy
    samples a quarter of each caseload)."""
    pep = Pep.objects.select_for_update().get(pk=pep.pk)
    if pep.status != PepStatus.SUBMITTED:
        raise ValidationError("Only a PEP submitted for QA can be finalised.")
    if awaiting_sampled_qa(pep):
        raise ValidationError("This PEP is in this term's QA sample: it is finalised by its QA review.")
    PepStatusChange.objects.create(
        pep=pep, from_status=pep.status, to_status=PepStatus.FINALISED, changed_by=by,
        note="Finalised without a QA review (not in the QA sample).",
    )
    pep.status = PepStatus.FINALISED
    pep.save(update_fields=["status", "updated_at"])
    return pep

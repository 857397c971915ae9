"""Writes of PEPs that are no QA: a PEP submitted for QA, one at a time (a page) or many
(an import). Each records the move in the PEP's status history and announces it with
`peps.signals.peps_submitted`, whichever way the PEP arrives."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .models import Pep, PepStatus, PepStatusChange
from .signals import peps_submitted

SUBMIT_CHUNK = 2000


@transaction.atomic
def submit_pep(pep: Pep, by: User | None, note: str = "") -> Pep:
    """A draft PEP submitted for QA. Refuses any other status (a returned PEP is
    resubmitted by `reviews.services.mark_amended`)."""
    locked = Pep.objects.select_for_update().get(pk=pep.pk)
    if locked.status != PepStatus.DRAFT:
        raise ValidationError("Only a draft PEP can be submitted for QA.")
    submit_peps([pep.pk], by, note)
    pep.status = PepStatus.SUBMITTED
    return pep


@transaction.atomic
def submit_peps(pep_ids: Iterable[int], by: User | None, note: str = "") -> list[int]:
    """Submit for QA those of the PEPs that are drafts (the others are left as they
    are), with a status change each; a fixed number of queries per 2,000 PEPs. Returns
    the ids submitted."""
    ids = list(pep_ids)
    submitted: list[int] = []
    now = timezone.now()
    note = note or "Submitted for QA."
    for start in range(0, len(ids), SUBMIT_CHUNK):
        chunk = ids[start:start + SUBMIT_CHUNK]
        drafts = list(Pep.objects.select_for_update().filter(pk__in=chunk, status=PepStatus.DRAFT)
                      .values_list("pk", flat=True))
        if not drafts:
            continue
        Pep.objects.filter(pk__in=drafts).update(status=PepStatus.SUBMITTED, updated_at=now)
        PepStatusChange.objects.bulk_create(
            [PepStatusChange(pep_id=pk, from_status=PepStatus.DRAFT, to_status=PepStatus.SUBMITTED,
                             changed_by=by, note=note) for pk in drafts],
            batch_size=SUBMIT_CHUNK,
        )
        submitted.extend(drafts)
    if submitted:
        peps_submitted.send(sender=Pep, pep_ids=submitted, by=by)
    return submitted


@transaction.atomic
def record_arrival_submitted(pep_ids: Iterable[int], by: User | None, note: str = "") -> None:
    """PEPs created already submitted for QA (an import creates a PEP complete in the
    ePEP system so, rather than as a draft it would then update): their history records
    the submission and it is announced, as `submit_peps` does."""
    ids = list(pep_ids)
    if not ids:
        return
    PepStatusChange.objects.bulk_create(
        [PepStatusChange(pep_id=pk, from_status=PepStatus.DRAFT, to_status=PepStatus.SUBMITTED, changed_by=by,
                         note=note or "Submitted for QA.") for pk in ids],
        batch_size=SUBMIT_CHUNK,
    )
    peps_submitted.send(sender=Pep, pep_ids=ids, by=by)

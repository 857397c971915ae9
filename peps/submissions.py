"""PEPs submitted for QA in bulk: an import of an ePEP export submits thousands at once.

The same rule as a PEP submitted on its page (``peps.services.submit_pep``): only a draft
moves to "submitted for QA", with a line in its status history, and ``pep_submitted`` is
sent for each PEP inside the transaction (sampling tops the open terms' samples up on
it). Here with a fixed number of queries per 2,000 PEPs, not per PEP.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.signals import bulk_written

from .models import Pep, PepStatus, PepStatusChange
from .signals import pep_submitted

CHUNK = 2000


@transaction.atomic
def submit_peps(peps: Iterable[Pep], by: User | None, note: str = "") -> list[int]:
    """Submit for QA those of the PEPs (saved; their pk and term_id are read) that are
    drafts, under a row lock; the others are left as they are. Returns the ids submitted."""
    by_id = {pep.pk: pep for pep in peps}
    ids = list(by_id)
    submitted: list[int] = []
    now = timezone.now()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        drafts = list(
            Pep.objects.select_for_update().filter(pk__in=chunk, status=PepStatus.DRAFT).values_list("pk", flat=True)
        )
        if drafts:
            Pep.objects.filter(pk__in=drafts).update(status=PepStatus.SUBMITTED, updated_at=now)
            bulk_written.send(
                sender=Pep, updated=[(pk, {"status": [PepStatus.DRAFT, PepStatus.SUBMITTED]}) for pk in drafts]
            )
            _record([by_id[pk] for pk in drafts], by, note)
            submitted.extend(drafts)
    return submitted


@transaction.atomic
def record_arrival_submitted(peps: Iterable[Pep], by: User | None, note: str = "") -> None:
    """PEPs just created already submitted for QA (an import creates a PEP that is
    complete in the ePEP so, rather than as a draft it would then update): their history
    records the submission, and it is announced, as for `submit_peps`."""
    arrived = list(peps)
    for start in range(0, len(arrived), CHUNK):
        _record(arrived[start : start + CHUNK], by, note)


def _record(peps: list[Pep], by: User | None, note: str) -> None:
    PepStatusChange.objects.bulk_create(
        [
            PepStatusChange(
                pep_id=pep.pk,
                from_status=PepStatus.DRAFT,
                to_status=PepStatus.SUBMITTED,
                changed_by=by,
                note=note or "Submitted for QA.",
            )
            for pep in peps
        ],
        batch_size=CHUNK,
    )
    for pep in peps:
        pep_submitted.send(sender=Pep, pep=pep, by=by)

"""Review bookkeeping: what a submitted review ticks off, starting the review a worklist
entry asks for, settling a moderation disagreement, finalising a PEP the sample did not
pick, and topping the samples up when a PEP is submitted."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from accounts.models import User
from core.signals import bulk_written
from core.vocabulary import Rating
from peps.models import Pep, PepStatus, PepStatusChange
from peps.signals import pep_submitted
from reviews.models import QaReview, ReviewStatus
from reviews.services import latest_line_management_review, start_review
from reviews.signals import review_submitted

from ..models import ModerationSettlement, SampleEntry, SampleKind
from ..selectors import MODERATION_KINDS
from .drawing import draw_term_samples, terms_to_draw


@receiver(review_submitted, dispatch_uid="sampling.record_review_in_samples")
def _on_review_submitted(sender, review: QaReview, **kwargs) -> None:
    record_review_in_samples(review)


@receiver(pep_submitted, dispatch_uid="sampling.top_up_on_pep_submitted")
def _on_pep_submitted(sender, pep: Pep, **kwargs) -> None:
    top_up_when_committed(pep.term_id)


def top_up_when_committed(term_id: int) -> None:
    """Top the term's samples up, if the term is open, once the submission commits (a
    worklist entry waiting for the PEP needs nothing: its state follows the PEP's status).

    After the commit, so a draw that fails (a concurrent draw hits a unique constraint)
    never undoes the submission: the error is logged and the scheduled draw tops up later.
    Once per transaction and term, however many PEPs it submits (an import submits
    hundreds): an earlier callback for the term still pending in this transaction commits
    or rolls back with everything after it, so it answers for them too.
    """
    pending = transaction.get_connection().run_on_commit  # [(savepoint ids, callback, robust)]
    if any(getattr(callback, "top_up_term_id", None) == term_id for _sids, callback, *_rest in pending):
        return

    def top_up_term_samples() -> None:
        term = terms_to_draw().filter(pk=term_id).first()
        if term is not None:
            draw_term_samples(term)

    top_up_term_samples.top_up_term_id = term_id  # type: ignore[attr-defined]
    transaction.on_commit(top_up_term_samples, robust=True)


def record_review_in_samples(review: QaReview) -> int:
    """Tick off the reviewer's open sample entries for this PEP that a review of this kind
    answers, however the review was started."""
    kinds = [kind for kind in SampleKind if kind.review_kind == review.kind]
    entries = SampleEntry.objects.filter(
        pep_id=review.pep_id, assigned_to_id=review.reviewer_id, sample__kind__in=kinds
    ).filter(Q(review__isnull=True) | Q(review=review))
    ticked = list(entries.filter(review__isnull=True).values_list("pk", flat=True))
    count = entries.update(review=review)
    if ticked:
        bulk_written.send(sender=SampleEntry, updated=[(pk, {"review": ["None", review.pk]}) for pk in ticked])
    return count


@transaction.atomic
def start_entry_review(entry: SampleEntry, user: User) -> QaReview:
    """Open the review a worklist entry asks for: the right kind, and for a lead area
    only the areas the lead leads on.

    Under the entry's row lock, so that clicks at the same moment queue up: the first
    opens the review, the others find it on the entry and resume it."""
    # Lock, then read: a locking read that waited sees the entry's new review id but not
    # the review row itself (PostgreSQL re-reads only the locked row).
    SampleEntry.objects.select_for_update().filter(pk=entry.pk).values_list("pk").get()
    locked = SampleEntry.objects.select_related("sample__lead_area", "review", "pep__child").get(pk=entry.pk)
    if not user.has_perm("hvs.rate_entry", locked):
        raise PermissionDenied("This PEP is on someone else's worklist.")
    kind = SampleKind(locked.sample.kind).review_kind
    positions = locked.sample.lead_area.rated_positions if locked.sample.lead_area else None
    if locked.review and locked.review.status == ReviewStatus.DRAFT:
        entry.review = locked.review
        return locked.review
    if locked.is_done:
        raise ValidationError("This PEP has already been reviewed for this sample.")
    review = start_review(locked.pep, user, kind=kind, positions=positions)
    entry.review = locked.review = review
    locked.save(update_fields=["review"])
    return review


class SettledElsewhere(ValidationError):
    """Someone settled the disagreement since the form was shown: nothing was recorded."""

    def __init__(self, current: ModerationSettlement):
        by = f" by {current.settled_by}" if current.settled_by else ""
        when = timezone.localtime(current.settled_at).strftime("%-d %b %Y %H:%M")
        super().__init__(
            f"This disagreement was settled as {current.get_judgement_display()}{by} at {when} while you were "
            "deciding, so yours was not recorded. Check their judgement, then settle it again if you disagree."
        )
        self.current = current


def current_settlement(entry: SampleEntry) -> ModerationSettlement | None:
    return entry.settlements.select_related("settled_by").order_by("-settled_at", "-pk").first()


@transaction.atomic
def settle_disagreement(
    entry: SampleEntry, agreed_judgement: str, notes: str, by: User, *, based_on: int | None = None
) -> ModerationSettlement:
    """Record the judgement the two managers agreed after a moderation disagreement, and
    put it on the PEP (its judgement as lists and reports read it) while the moderated
    review is still the one the PEP's judgement comes from.

    A new record each time, so settling again keeps the history. ``based_on`` is the
    settlement the form showed as current (None: unsettled); if another has been recorded
    since, SettledElsewhere, so two managers settling at once do not overwrite each other
    unseen. Under the PEP's row lock, as reviews.services takes it when it writes the
    judgement, then the entry's."""
    if agreed_judgement not in Rating.values:
        raise ValidationError("Choose the judgement you agreed.")
    pep = Pep.objects.select_for_update().get(pk=entry.pep_id)
    SampleEntry.objects.select_for_update().filter(pk=entry.pk).values_list("pk").get()
    locked = SampleEntry.objects.select_related("sample", "review", "original_review").get(pk=entry.pk)
    if locked.sample.kind not in MODERATION_KINDS:
        raise ValidationError("Only a moderation entry can be settled.")
    if not by.has_perm("hvs.settle_moderation", locked):
        raise PermissionDenied("You cannot settle this disagreement.")
    if not (locked.review and locked.review.is_submitted):
        raise ValidationError("The PEP has not been re-rated yet.")
    current = current_settlement(locked)
    if (current.pk if current else None) != based_on:
        if current is None:
            raise ValidationError("The settlement you saw is no longer on record: reload the page.")
        raise SettledElsewhere(current)
    latest = latest_line_management_review(pep)
    applies = latest is not None and latest.pk == locked.original_review_id
    settlement = ModerationSettlement.objects.create(
        entry=locked,
        judgement=agreed_judgement,
        notes=notes.strip(),
        settled_by=by,
        settled_at=timezone.now(),
        pep_judgement_before=pep.judgement,
        applied_to_pep=applies,
    )
    locked.agreed_judgement = settlement.judgement
    locked.agreement_notes = settlement.notes
    locked.settled_at = settlement.settled_at
    locked.save(update_fields=["agreed_judgement", "agreement_notes", "settled_at"])
    if applies and pep.judgement != agreed_judgement:
        pep.judgement = agreed_judgement
        pep.save(update_fields=["judgement", "updated_at"])
    entry.agreed_judgement, entry.agreement_notes, entry.settled_at = (
        locked.agreed_judgement,
        locked.agreement_notes,
        locked.settled_at,
    )
    return settlement


def awaiting_sampled_qa(pep: Pep) -> bool:
    """In its term's line-management sample and not yet QA'd: it must be rated first."""
    return SampleEntry.objects.awaiting_line_management_qa().filter(pep=pep).exists()


@transaction.atomic
def finalise_pep(pep: Pep, by: User) -> Pep:
    """Finalise a submitted PEP that the QA sample did not pick (most PEPs: the policy
    samples a quarter of each caseload).

    Under the PEP's row lock, as reviews.services.save_review takes it: of this and a
    line-management review submitted at the same moment, the first decides the outcome
    and the other is refused."""
    pep = Pep.objects.select_for_update().get(pk=pep.pk)
    if pep.status != PepStatus.SUBMITTED:
        raise ValidationError("Only a PEP submitted for QA can be finalised.")
    if awaiting_sampled_qa(pep):
        raise ValidationError("This PEP is in this term's QA sample: it is finalised by its QA review.")
    PepStatusChange.objects.create(
        pep=pep,
        from_status=pep.status,
        to_status=PepStatus.FINALISED,
        changed_by=by,
        note="Finalised without a QA review (not in the QA sample).",
    )
    pep.status = PepStatus.FINALISED
    pep.save(update_fields=["status", "updated_at"])
    return pep


def finalise_peps(peps, by: User) -> tuple[list[Pep], list[Pep]]:
    """Finalise each of ``peps`` as ``finalise_pep`` does, each in its own transaction:
    (the PEPs finalised, those that no longer could be). One finalised meanwhile (another
    tab, another manager) or picked by a sample since is left as it is, not an error for
    the rest."""
    finalised, left = [], []
    for pep in peps:
        try:
            finalised.append(finalise_pep(pep, by))
        except ValidationError:
            left.append(pep)
    return finalised, left

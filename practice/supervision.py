"""Writes for one-to-one supervision: recording and editing a supervision, the outcome of
an action carried forward into a later one, and whether offered training took place.

Each write is one transaction. Races are settled by the database: a double-submitted
"record a supervision" form carries one token (unique), an edit carries the version it
was opened at (the row is locked and the version compared), and an action's outcome is
recorded under a row lock, so a second click or tab reads "already recorded".
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from reviews.models import ProFormaArea, QaReview

from .models import ActionStatus, PracticeAction, Supervision, TrainingOffer, TrainingStatus


class SupervisionChangedElsewhere(Exception):
    """The supervision was saved (another tab, another person) after the form was opened."""

    def __init__(self, current_version: int):
        self.current_version = current_version
        super().__init__(
            "This supervision was changed in another tab or by someone else after you opened it. "
            "Nothing you typed has been lost: check the supervision, then save again."
        )


@dataclass(frozen=True)
class ActionInput:
    """An action agreed: what, who, by when; from which review discussed, on which area."""

    description: str
    owner: User
    due: date
    review: QaReview | None = None
    area: ProFormaArea | None = None


@dataclass(frozen=True)
class TrainingInput:
    kind: str
    with_whom: str
    date: date


@dataclass(frozen=True)
class FollowUpInput:
    """The outcome of an action carried forward: done or not done, and what came of it."""

    action: PracticeAction
    status: str
    outcome: str = ""


@dataclass
class Saved:
    supervision: Supervision
    created: bool
    # Carried-forward actions whose outcome someone else had recorded first.
    already_recorded: list[PracticeAction]


def record_supervision(
    *,
    officer: User,
    by: User,
    date: date,
    notes: str = "",
    reviews: Iterable[QaReview] = (),
    actions: Iterable[ActionInput] = (),
    training: Iterable[TrainingInput] = (),
    follow_ups: Iterable[FollowUpInput] = (),
    form_token: uuid.UUID | None = None,
) -> Saved:
    """Record a supervision of ``officer`` held by ``by``, with everything agreed, in one
    transaction. The same ``form_token`` twice (a double submit, a second tab) records it
    once: the second call returns the first supervision, ``created`` False."""
    if not by.has_perm("hvs.supervise", officer):
        raise PermissionDenied("You cannot record a supervision of this person.")
    if form_token is not None and (existing := _by_token(form_token)):
        return Saved(existing, False, [])
    try:
        with transaction.atomic():
            supervision = Supervision.objects.create(
                officer=officer, manager=by, date=date, notes=notes, recorded_by=by, form_token=form_token
            )
            supervision.reviews.set(list(reviews))
            _add_agreed(supervision, by, actions, training)
            already = _record_follow_ups(supervision, by, follow_ups)
    except IntegrityError:
        # The same form, submitted at the same moment: the other request recorded it.
        existing = _by_token(form_token) if form_token is not None else None
        if existing is None:
            raise
        return Saved(existing, False, [])
    return Saved(supervision, True, already)


def _by_token(form_token: uuid.UUID) -> Supervision | None:
    return Supervision.objects.filter(form_token=form_token).first()


def update_supervision(
    supervision: Supervision,
    *,
    by: User,
    version: int,
    date: date,
    notes: str,
    reviews: Iterable[QaReview],
    actions: Iterable[ActionInput] = (),
    training: Iterable[TrainingInput] = (),
    follow_ups: Iterable[FollowUpInput] = (),
) -> Saved:
    """Save an edit made on a form opened at ``version``: refused (SupervisionChangedElsewhere)
    if the supervision was saved since, so two tabs never silently overwrite each other."""
    if not by.has_perm("hvs.edit_supervision", supervision):
        raise PermissionDenied("You cannot change this supervision.")
    with transaction.atomic():
        locked = Supervision.objects.select_for_update().get(pk=supervision.pk)
        if locked.version != version:
            raise SupervisionChangedElsewhere(locked.version)
        locked.date, locked.notes = date, notes
        locked.version += 1  # the row is locked: no other save can come between
        locked.save(update_fields=["date", "notes", "version", "updated_at"])
        locked.reviews.set(list(reviews))
        _add_agreed(locked, by, actions, training)
        already = _record_follow_ups(locked, by, follow_ups)
    return Saved(locked, False, already)


def _add_agreed(supervision: Supervision, by: User, actions: Iterable[ActionInput], training: Iterable[TrainingInput]):
    # One save each (not bulk): the audit trail records each as it is made.
    for action in actions:
        PracticeAction.objects.create(
            supervision=supervision,
            description=action.description,
            owner=action.owner,
            due=action.due,
            review=action.review,
            area=action.area,
            created_by=by,
        )
    for offer in training:
        TrainingOffer.objects.create(
            supervision=supervision,
            officer=supervision.officer,
            kind=offer.kind,
            with_whom=offer.with_whom,
            date=offer.date,
        )


def _record_follow_ups(supervision: Supervision, by: User, follow_ups: Iterable[FollowUpInput]) -> list[PracticeAction]:
    already = []
    for follow_up in follow_ups:
        _action, recorded = record_outcome(
            follow_up.action, at=supervision, by=by, status=follow_up.status, outcome=follow_up.outcome
        )
        if not recorded:
            already.append(follow_up.action)
    return already


def record_outcome(
    action: PracticeAction, *, at: Supervision, by: User, status: str, outcome: str = ""
) -> tuple[PracticeAction, bool]:
    """Record, at the supervision ``at``, the outcome of an open action carried forward
    into it; (the action, whether this call recorded it). Under a row lock: the second of
    two clicks or tabs finds the outcome already recorded and changes nothing."""
    if status not in (ActionStatus.DONE, ActionStatus.NOT_DONE):
        raise ValueError(f"An outcome is done or not done, not {status!r}")
    with transaction.atomic():
        locked = PracticeAction.objects.select_for_update().get(pk=action.pk)
        # (The lock is on the action; its supervision is read after it, unlocked.)
        if not by.has_perm("hvs.follow_up_action", locked):
            raise PermissionDenied("You cannot record the outcome of this action.")
        if locked.supervision is None or locked.supervision.officer_id != at.officer_id:
            raise ValueError("Only an action of the officer's supervisions is followed up at their supervision")
        if locked.status != ActionStatus.OPEN:
            return locked, False
        locked.status = status
        locked.outcome = outcome
        locked.followed_up_at = at
        locked.closed_on = at.date if at.date <= timezone.localdate() else timezone.localdate()
        locked.save(update_fields=["status", "outcome", "followed_up_at", "closed_on"])
    return locked, True


def mark_training(offer: TrainingOffer, *, by: User, status: str) -> tuple[TrainingOffer, bool]:
    """Whether offered training took place; (the offer, whether this call changed it). A
    second click with the same answer changes nothing."""
    if status not in (TrainingStatus.DONE, TrainingStatus.NOT_DONE):
        raise ValueError(f"Training is done or not done, not {status!r}")
    with transaction.atomic():
        locked = TrainingOffer.objects.select_for_update().select_related("supervision__officer").get(pk=offer.pk)
        if not by.has_perm("hvs.edit_supervision", locked.supervision):
            raise PermissionDenied("You cannot change this training.")
        if locked.status == status:
            return locked, False
        locked.status = status
        locked.save(update_fields=["status"])
    return locked, True

"""Writes for the capability process: opening one for an officer, its notes, closing it.

Confidential: who may do this is asked of the access policy by the caller
(``access.policy.may_see_capability_of``: the officer's line manager and the VSH only).
Each write is atomic and safe against a double click or two tabs: one process is open per
officer (a unique constraint), and a note or a close is made under the concern's row lock
on the concern still open."""

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction

from accounts.models import User

from .models import CapabilityConcern


class CapabilityClosed(Exception):
    """The process was closed meanwhile (another tab, another person)."""


class StaleNotes(Exception):
    """The notes were changed since the page was opened: not overwritten."""


@dataclass(frozen=True)
class Opened:
    concern: CapabilityConcern
    created: bool  # False: one was already open (a double click, or someone else opened it)


def open_concern(officer: User, *, opened_by: User, opened_on: date, notes: str) -> Opened:
    try:
        with transaction.atomic():
            concern = CapabilityConcern.objects.create(
                officer=officer, opened_by=opened_by, opened_on=opened_on, notes=notes
            )
            return Opened(concern, True)
    except IntegrityError:
        return Opened(CapabilityConcern.objects.get(officer=officer, closed_on__isnull=True), False)


def _claim_open(concern_pk: int) -> CapabilityConcern:
    concern = CapabilityConcern.objects.select_for_update().filter(pk=concern_pk).first()
    if concern is None or concern.closed_on is not None:
        raise CapabilityClosed
    return concern


@transaction.atomic
def update_notes(concern_pk: int, notes: str, *, seen_updated_at: str = "") -> CapabilityConcern:
    """Replace the notes of an open process. ``seen_updated_at`` (the concern's
    ``updated_at`` when the page was opened, ISO format): if it changed since, the notes
    are not overwritten (StaleNotes)."""
    concern = _claim_open(concern_pk)
    if seen_updated_at and seen_updated_at != concern.updated_at.isoformat():
        raise StaleNotes
    concern.notes = notes
    concern.save(update_fields=["notes", "updated_at"])
    return concern


@transaction.atomic
def close_concern(concern_pk: int, *, closed_on: date) -> CapabilityConcern:
    concern = _claim_open(concern_pk)
    concern.closed_on = closed_on
    concern.save(update_fields=["closed_on", "updated_at"])
    return concern

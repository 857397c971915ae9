"""Overdue QA escalates: a worklist entry past its due date (not done, its PEP past draft,
its term not ended) is escalated to the reviewer's line manager, and, if it is still not
done QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS school days later, to the Virtual School Head.
One message per person, listing the entries by LA reference only, written to the outbox
(notices) in the transaction that stamps the entries. The text is in
templates/sampling/email/qa_escalation*.txt."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.schooldays import ClosedRule, add_school_days, school_days_after
from core.signals import bulk_written
from core.vocabulary import Role
from notices.models import NoticeKind
from notices.outbox import Recipient, queue_message
from peps.calendar import closed_days
from peps.models import PepStatus

from ..models import SampleEntry, SampleEntryQuerySet

logger = logging.getLogger(__name__)


@dataclass
class EscalationResult:
    to_managers: int = 0  # messages
    to_vsh: int = 0
    entries_to_managers: int = 0
    entries_to_vsh: int = 0
    school_day: bool = True

    def __str__(self) -> str:
        if not self.school_day:
            return "not a school day: nothing sent"
        return (
            f"{self.entries_to_managers} entr{pluralize(self.entries_to_managers, 'y,ies')} escalated to managers "
            f"({self.to_managers} message{pluralize(self.to_managers)}), "
            f"{self.entries_to_vsh} to the VSH ({self.to_vsh} message{pluralize(self.to_vsh)})"
        )


def overdue_entries(today: date) -> SampleEntryQuerySet:
    """Entries past their due date and not done (no submitted review), on a PEP past draft,
    in a term that has not ended: what an entry of an ended term missed shows on the
    coverage report instead."""
    return (
        SampleEntry.objects.filter(due_date__lt=today, sample__term__end_date__gte=today)
        .exclude(pep__status=PepStatus.DRAFT)
        .not_done()
    )


def manager_escalations_due(today: date) -> SampleEntryQuerySet:
    return overdue_entries(today).filter(escalated_to_manager_at__isnull=True)


def vsh_escalation_day(escalated_to_manager_on: date, closed: ClosedRule) -> date:
    return add_school_days(escalated_to_manager_on, settings.QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS, closed)


def vsh_escalations_due(today: date, closed: ClosedRule) -> list[int]:
    """The ids of the overdue entries escalated to a manager at least
    QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS school days ago and not yet to the VSH."""
    candidates = overdue_entries(today).filter(escalated_to_manager_at__isnull=False, escalated_to_vsh_at__isnull=True)
    return [
        pk
        for pk, at in candidates.order_by("pk").values_list("pk", "escalated_to_manager_at")
        if today >= vsh_escalation_day(timezone.localdate(at), closed)
    ]


def escalate_overdue_qa(now: datetime | None = None) -> EscalationResult:
    """The daily escalation (a school day's morning). Each reviewer's line manager gets ONE
    message listing their team's newly overdue entries (an entry whose reviewer has no
    active line manager passes this step without a message); each VSH gets ONE message
    listing the entries escalated to a manager QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS school
    days ago and still not done. Each entry is escalated once a step.

    Nothing is sent on a day the schools are closed. Idempotent and safe to run twice at
    once: the entries are locked (SELECT ... FOR UPDATE) and their stamps re-checked before
    the message is written, in the transaction that stamps them."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    closed = closed_days(today)
    if closed(today):
        return EscalationResult(school_day=False)
    result = EscalationResult()
    _escalate_to_managers(today, now, closed, result)
    _escalate_to_vsh(today, now, closed, result)
    return result


def _manager_of(reviewer: User | None) -> User | None:
    manager = reviewer.line_manager if reviewer else None
    if manager is None or not manager.is_active or not manager.email:
        return None
    return manager


def _manager_id(entry: SampleEntry) -> int | None:
    manager = _manager_of(entry.assigned_to)
    return manager.pk if manager else None


def _locked(queryset: SampleEntryQuerySet, ids) -> list[SampleEntry]:
    """The entries, locked; a waiting lock re-reads each row, so an entry a concurrent run
    stamped meanwhile drops out."""
    return list(
        queryset.filter(pk__in=ids)
        .select_for_update(of=("self",))
        .select_related("pep__child", "pep__term", "sample", "assigned_to__line_manager")
        .order_by("due_date", "pep__child__la_reference", "pk")
    )


def _escalate_to_managers(today: date, now: datetime, closed: ClosedRule, result: EscalationResult) -> None:
    by_manager: dict[int | None, list[int]] = defaultdict(list)
    for entry in manager_escalations_due(today).select_related("assigned_to__line_manager"):
        by_manager[_manager_id(entry)].append(entry.pk)
    for manager_id in sorted(by_manager, key=lambda pk: (pk is None, pk or 0)):
        with transaction.atomic():
            # (A reviewer's manager changed since the list was read: tomorrow's run has it.)
            locked = _locked(manager_escalations_due(today), by_manager[manager_id])
            entries = [e for e in locked if _manager_id(e) == manager_id]
            if not entries:  # a concurrent run got there first
                continue
            SampleEntry.objects.filter(pk__in=[e.pk for e in entries]).update(escalated_to_manager_at=now)
            bulk_written.send(
                sender=SampleEntry,
                updated=[(e.pk, {"escalated_to_manager_at": [e.escalated_to_manager_at, now]}) for e in entries],
            )
            result.entries_to_managers += len(entries)
            manager = _manager_of(entries[0].assigned_to)
            if manager is None:  # no manager to tell: the VSH step follows all the same
                continue
            queue_message(
                kind=NoticeKind.QA_ESCALATION,
                to=[Recipient(manager.email, manager.get_full_name() or manager.username, "reviewer's line manager")],
                template="sampling/email/qa_escalation",
                context=_context(entries, today, closed, to_vsh=False, name=manager.first_name),
            )
            result.to_managers += 1


def _escalate_to_vsh(today: date, now: datetime, closed: ClosedRule, result: EscalationResult) -> None:
    due = vsh_escalations_due(today, closed)
    if not due:
        return
    heads = list(User.objects.filter(role=Role.VSH, is_active=True).exclude(email="").order_by("pk"))
    if not heads:
        # Kept for when a VSH is recorded: this step is the last, nobody else to tell.
        logger.warning("%s overdue QA entries are due to escalate to the VSH, but no VSH is recorded.", len(due))
        return
    with transaction.atomic():
        entries = _locked(overdue_entries(today).filter(escalated_to_vsh_at__isnull=True), due)
        if not entries:
            return
        SampleEntry.objects.filter(pk__in=[e.pk for e in entries]).update(escalated_to_vsh_at=now)
        bulk_written.send(
            sender=SampleEntry, updated=[(e.pk, {"escalated_to_vsh_at": [e.escalated_to_vsh_at, now]}) for e in entries]
        )
        result.entries_to_vsh += len(entries)
        for head in heads:
            queue_message(
                kind=NoticeKind.QA_ESCALATION,
                to=[Recipient(head.email, head.get_full_name() or head.username, "Virtual School Head")],
                template="sampling/email/qa_escalation",
                context=_context(entries, today, closed, to_vsh=True, name=head.first_name),
            )
            result.to_vsh += 1


def _context(entries: list[SampleEntry], today: date, closed: ClosedRule, *, to_vsh: bool, name: str) -> dict:
    """The entries grouped by reviewer; children by LA reference only."""
    by_reviewer: dict[int | None, dict] = {}
    for entry in entries:
        reviewer = entry.assigned_to
        group = by_reviewer.setdefault(
            reviewer.pk if reviewer else None,
            {"reviewer": str(reviewer) if reviewer else "No reviewer assigned", "entries": []},
        )
        group["entries"].append(
            {
                "entry": entry,
                "overdue_school_days": school_days_after(entry.due_date, today, closed),
                "manager_told_on": timezone.localdate(entry.escalated_to_manager_at)
                if entry.escalated_to_manager_at
                else None,
            }
        )
    return {
        "name": name,
        "to_vsh": to_vsh,
        "count": len(entries),
        "reviewers": sorted(by_reviewer.values(), key=lambda group: group["reviewer"]),
        "after_school_days": settings.QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS,
        "coverage_path": reverse("sampling:coverage"),
    }

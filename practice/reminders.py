"""Reminders of the actions agreed to improve practice: one e-mail per owner, written to
the outbox (notices), listing their open actions due within PRACTICE_ACTION_REMINDER_DAYS
days and, separately, those overdue. Each action is reminded once as due soon
(``reminded_at``) and once as overdue (``overdue_reminded_at``). The text is in
templates/practice/email/.

An action is about a member of staff's practice, not a child: a message names no child;
an action that comes from a QA review cites the PEP's LA reference only, and only to an
owner who may see that PEP."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.signals import bulk_written
from notices.models import NoticeKind
from notices.outbox import Recipient, queue_message

from .models import ActionStatus, PracticeAction


def horizon(today: date) -> date:
    """The last due date an action is "due soon" on."""
    return today + timedelta(days=settings.PRACTICE_ACTION_REMINDER_DAYS)


def due_soon(actions: QuerySet[PracticeAction], today: date) -> QuerySet[PracticeAction]:
    return actions.filter(status=ActionStatus.OPEN, due__gte=today, due__lte=horizon(today))


def overdue(actions: QuerySet[PracticeAction], today: date) -> QuerySet[PracticeAction]:
    return actions.filter(status=ActionStatus.OPEN, due__lt=today)


def owed_reminders(today: date) -> QuerySet[PracticeAction]:
    """Open actions owed a reminder: due soon and not reminded as such, or overdue and not
    reminded as overdue; of an active owner with an e-mail address."""
    actions = PracticeAction.objects.filter(status=ActionStatus.OPEN, owner__is_active=True).exclude(owner__email="")
    return actions.filter(
        Q(due__gte=today, due__lte=horizon(today), reminded_at__isnull=True)
        | Q(due__lt=today, overdue_reminded_at__isnull=True)
    )


@dataclass
class ReminderResult:
    sent: int = 0
    due_soon: int = 0
    overdue: int = 0

    def __str__(self) -> str:
        return f"{self.sent} e-mail(s): {self.due_soon} action(s) due soon, {self.overdue} overdue"


def _item(action: PracticeAction) -> dict:
    meeting = action.supervision or action.peer_review
    return {
        "description": action.description,
        "due": action.due,
        "agreed_at": "your supervision" if action.supervision_id else "the peer review meeting",
        "agreed_on": meeting.date if meeting else None,
        # The PEP by its LA reference only, never the child's name; and only to an owner
        # who may see the PEP (an action of a whole-school peer review may come from
        # another team's PEP).
        "la_reference": action.review.pep.child.la_reference
        if action.review and action.owner.has_perm("hvs.view_pep", action.review.pep)
        else "",
        "area": action.area.title if action.area else "",
    }


def reminder_context(soon: list[PracticeAction], late: list[PracticeAction], today: date) -> dict:
    return {
        "due_soon": [_item(a) for a in soon],
        "overdue": [_item(a) for a in late],
        "count": len(soon) + len(late),
        "overdue_count": len(late),
        "days": settings.PRACTICE_ACTION_REMINDER_DAYS,
        "today": today,
    }


def send_action_reminders(today: date | None = None) -> ReminderResult:
    """E-mail each owner ONE reminder of their actions owed one (see ``owed_reminders``)
    and stamp them. Idempotent: a second run finds nothing owed.

    Each owner's actions are claimed under their row locks, skipping rows another run
    holds (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL), re-checked, stamped, and their
    message written to the outbox in that one transaction: two workers never send the
    same reminder, and the message goes out only if the stamps commit."""
    today = today or timezone.localdate()
    result = ReminderResult()
    owner_ids = sorted(set(owed_reminders(today).values_list("owner_id", flat=True)))
    for owner_id in owner_ids:
        with transaction.atomic():
            claimed = list(
                owed_reminders(today)
                .filter(owner_id=owner_id)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("owner", "supervision", "peer_review", "review__pep__child", "area")
                .order_by("due", "pk")
            )
            if not claimed:  # another run holds them, or got there first
                continue
            now = timezone.now()
            late = [a for a in claimed if a.due < today]
            soon = [a for a in claimed if a.due >= today]
            PracticeAction.objects.filter(pk__in=[a.pk for a in soon]).update(reminded_at=now)
            PracticeAction.objects.filter(pk__in=[a.pk for a in late]).update(overdue_reminded_at=now)
            bulk_written.send(
                sender=PracticeAction,
                updated=[(a.pk, {"reminded_at": ["", now]}) for a in soon]
                + [(a.pk, {"overdue_reminded_at": ["", now]}) for a in late],
            )
            owner = claimed[0].owner
            queue_message(
                kind=NoticeKind.ACTION_REMINDER,
                to=[Recipient(owner.email, owner.get_full_name() or owner.username, "action owner")],
                template="practice/email/action_reminder",
                context=reminder_context(soon, late, today),
            )
            result.sent += 1
            result.due_soon += len(soon)
            result.overdue += len(late)
    return result


def actions_to_mention(owner, today: date | None = None) -> tuple[list[PracticeAction], list[PracticeAction]]:
    """(overdue, due soon): the owner's open actions for their start page, in one query."""
    today = today or timezone.localdate()
    actions = list(
        PracticeAction.objects.filter(owner=owner, status=ActionStatus.OPEN, due__lte=horizon(today))
        .select_related("supervision", "peer_review")
        .order_by("due", "pk")
    )
    return [a for a in actions if a.due < today], [a for a in actions if a.due >= today]

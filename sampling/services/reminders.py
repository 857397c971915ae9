"""Worklist reminders: one e-mail per reviewer listing their QA entries due soon or
overdue, written to the outbox (notices) with the stamps. The text is in
templates/sampling/email/."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.signals import bulk_written
from notices.models import NoticeKind
from notices.outbox import Recipient, queue_message
from peps.models import PepStatus

from ..models import SampleEntry

REMINDER_INTERVAL_DAYS = 7


def reminder_entries(today: date | None = None):
    """Sample entries a reminder is owed for: assigned to an active reviewer with an email
    address, not done (no submitted review), due within QA_REMINDER_DAYS_BEFORE_DUE days or
    overdue, in a term that has not ended, and not reminded in the last seven days
    (counted in calendar days: reminded on a Monday, due again the next Monday at any hour).

    A PEP still in draft cannot be QA'd yet, so it is left out until it is submitted; an
    entry of a term that has ended shows on the coverage report, not in reminders."""
    today = today or timezone.localdate()
    not_since = timezone.make_aware(datetime.combine(today - timedelta(days=REMINDER_INTERVAL_DAYS - 1), time.min))
    horizon = today + timedelta(days=settings.QA_REMINDER_DAYS_BEFORE_DUE)
    return (
        SampleEntry.objects.filter(
            assigned_to__isnull=False,
            assigned_to__is_active=True,
            due_date__lte=horizon,
            sample__term__end_date__gte=today,
        )
        .exclude(assigned_to__email="")
        .exclude(pep__status=PepStatus.DRAFT)
        .not_done()
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=not_since))
    )


def worklist_reminder_context(entries: list[SampleEntry], today: date) -> dict:
    """What one reviewer's reminder says (templates/sampling/email/worklist_reminder*.txt).
    Children appear by LA reference only: an email may be forwarded or read on a shared
    screen."""
    return {
        "entries": [{"entry": e, "overdue": e.due_date < today} for e in entries],
        "count": len(entries),
        "overdue": sum(1 for e in entries if e.due_date < today),
        "worklist_path": reverse("reviews:worklist"),
    }


def send_worklist_reminders(today: date | None = None) -> int:
    """Email each reviewer ONE reminder listing their sample entries owed a reminder (see
    `reminder_entries`), and stamp those entries `reminded_at`. Returns the emails queued.

    Idempotent: a second run the same day (or within seven days) finds nothing to remind.
    Each reviewer's entries are locked (SELECT ... FOR UPDATE on PostgreSQL) while they are
    stamped and their message is written to the outbox (notices), in one transaction, so
    two concurrent runs do not both send; the outbox delivers it once that commits.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    reviewer_ids = sorted(set(reminder_entries(today).values_list("assigned_to_id", flat=True)))
    sent = 0
    for reviewer_id in reviewer_ids:
        with transaction.atomic():
            entries = list(
                reminder_entries(today)
                .filter(assigned_to_id=reviewer_id)
                .select_for_update(of=("self",))
                .select_related("pep__child", "pep__term", "assigned_to")
                .order_by("due_date", "pep__child__la_reference", "pk")
            )
            if not entries:  # a concurrent run got there first
                continue
            SampleEntry.objects.filter(pk__in=[e.pk for e in entries]).update(reminded_at=now)
            bulk_written.send(
                sender=SampleEntry, updated=[(e.pk, {"reminded_at": [e.reminded_at, now]}) for e in entries]
            )
            reviewer = entries[0].assigned_to
            queue_message(
                kind=NoticeKind.QA_REMINDER,
                to=[Recipient(reviewer.email, reviewer.get_full_name() or reviewer.username, "reviewer")],
                template="sampling/email/worklist_reminder",
                context=worklist_reminder_context(entries, today),
            )
            sent += 1
    return sent

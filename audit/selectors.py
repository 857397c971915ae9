"""Reading the audit trail."""

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User

from .models import AuditEntry


def child_trail(
    child_id: int, *, person: User | None = None, since: date | None = None, until: date | None = None
) -> QuerySet[AuditEntry]:
    """Every entry about a child (their record, PEPs, reviews, ratings, amendments, sample
    entries...), newest first; of one person, and between two days (inclusive), if given."""
    entries = AuditEntry.objects.filter(child_id=child_id)
    if person is not None:
        entries = entries.filter(actor=person)
    if since is not None:
        entries = entries.filter(timestamp__gte=_start_of(since))
    if until is not None:
        entries = entries.filter(timestamp__lt=_start_of(until + timedelta(days=1)))
    return entries.select_related("actor", "content_type").order_by("-timestamp", "-pk")


def trail_people(child_id: int) -> QuerySet[User]:
    """The people with an entry about the child, for the filter."""
    ids = AuditEntry.objects.filter(child_id=child_id, actor__isnull=False).values("actor_id")
    return User.objects.filter(pk__in=ids).order_by("first_name", "last_name", "username")


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))

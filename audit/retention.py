"""Retention: entries older than AUDIT_RETENTION_DAYS are deleted, by the daily job
(audit.tasks.purge_audit_trail) or ``manage.py purge_audit_trail``. Nothing else deletes
them: on PostgreSQL a trigger refuses any UPDATE or DELETE of an entry (migration 0003)
unless the transaction has set ``audit.purge``, which only this module does."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEntry

logger = logging.getLogger(__name__)

BATCH = 5000


def purge_expired(days: int | None = None, now=None) -> int:
    """Delete the entries older than ``days`` (default AUDIT_RETENTION_DAYS); how many."""
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    if days < 1:
        raise ValueError("The audit trail's retention must be at least a day.")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted = 0
    while True:
        with transaction.atomic():
            _allow_purge()
            batch = list(AuditEntry.objects.filter(timestamp__lt=cutoff).values_list("pk", flat=True)[:BATCH])
            if not batch:
                break
            deleted += AuditEntry.objects.filter(pk__in=batch)._raw_delete(AuditEntry.objects.db)
    if deleted:
        logger.info("Audit trail: %s entries older than %s days deleted", deleted, days)
    return deleted


def _allow_purge() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL audit.purge = 'on'")

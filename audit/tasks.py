"""Celery tasks: the daily retention of the audit trail (scheduled by migration 0002)."""

from celery import shared_task
from django.db import OperationalError

from . import retention


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def purge_audit_trail(self) -> int:
    """Delete the audit entries older than AUDIT_RETENTION_DAYS; how many."""
    return retention.purge_expired()

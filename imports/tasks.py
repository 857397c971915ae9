"""Celery tasks: the nightly drop (imports.drop). Scheduled by django-celery-beat
(migration 0002: 05:00 UK time, before the 06:00 sample draw); it does nothing while
IMPORT_DROP_DIR is unset. Safe to run again: an imported file has been moved away."""

import logging

from celery import shared_task
from django.db import OperationalError

from . import drop

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def import_dropped_files(self) -> list[str]:
    """Import the files waiting in IMPORT_DROP_DIR; a line per file."""
    results = [str(result) for result in drop.import_dropped_files()]
    for line in results:
        logger.info("Dropped file: %s", line)
    return results

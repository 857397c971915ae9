"""Celery tasks: a thin wrapper over ``reviews.amendments.chase_amendments``, safe to run
again and at the same time as another run (each amendment is claimed under its row lock,
and reminded and escalated at most once), so late acknowledgement and automatic retries on
a lost database connection cannot send anything twice."""

import logging

from celery import shared_task
from django.db import OperationalError

from . import amendments

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def chase_amendments(self) -> dict:
    """Remind the DT and SW of each amendment past its due date, and escalate those still
    open after the reminder; the numbers sent (nothing on a day the schools are closed)."""
    result = amendments.chase_amendments()
    logger.info("Overdue PEP amendments: %s", result)
    return {"reminded": result.reminded, "escalated": result.escalated, "school_day": result.school_day}

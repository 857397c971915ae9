"""Celery tasks: a thin wrapper over ``practice.reminders``, safe to run again and at the
same time as another run (each owner's actions are claimed under their row locks, and
each is reminded at most once as due soon and once as overdue), so late acknowledgement
and automatic retries on a lost database connection cannot send anything twice."""

import logging

from celery import shared_task
from django.db import OperationalError

from . import reminders

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def send_action_reminders(self) -> dict:
    """E-mail each owner of actions due soon or overdue; the numbers sent."""
    result = reminders.send_action_reminders()
    logger.info("Practice action reminders: %s", result)
    return {"sent": result.sent, "due_soon": result.due_soon, "overdue": result.overdue}

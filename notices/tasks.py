"""Celery tasks: a thin wrapper over ``notices.delivery.deliver_due``, safe to run at the
same time as another (each message is claimed by one delivery) and to run again."""

import logging

from celery import shared_task
from django.db import OperationalError

from . import delivery

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True
)
def deliver_outbox(self) -> None:
    """Deliver the messages that are due (new ones, and retries whose time has come)."""
    result = delivery.deliver_due()
    if result.attempted:
        logger.info("Outbox: %s", result)

"""Celery tasks: a thin wrapper over ``reporting.services.build_report``.

Safe to run again (a ready request is not rebuilt), so late acknowledgement and automatic
retries on a lost database connection (``OperationalError``, exponential backoff, at most
five times) cannot do harm. The result is the request's status, a plain string.
"""

import logging

from celery import shared_task
from django.db import OperationalError

from . import retention, services

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def build_report(self, request_id: int) -> str:
    """Build report request ``request_id``; "ready" or "failed". Raises
    ReportRequest.DoesNotExist (not retried) for an unknown id."""
    report = services.build_report(request_id)
    return report.status


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def delete_expired_files(self) -> str:
    """The retention job (reporting.retention); scheduled daily by migration 0003."""
    return str(retention.delete_expired_files())

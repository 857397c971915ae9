"""Celery tasks: thin wrappers over ``reporting.services`` and ``reporting.social_care``.

Each is safe to run again (a ready request is not rebuilt; a team's social care report is
dispatched once per term by the schedule and once per team by a VSH's send), so late
acknowledgement and automatic retries on a lost database connection (``OperationalError``,
exponential backoff, at most five times) cannot do harm. Results are plain strings and
numbers.
"""

import logging

from celery import shared_task
from django.db import OperationalError

from . import retention, services, social_care

logger = logging.getLogger(__name__)

TASK_OPTIONS = {
    "bind": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
    "acks_late": True,
}


@shared_task(**TASK_OPTIONS)
def build_report(self, request_id: int) -> str:
    """Build report request ``request_id``; "ready" or "failed". Raises
    ReportRequest.DoesNotExist (not retried) for an unknown id."""
    report = services.build_report(request_id)
    return report.status


@shared_task(**TASK_OPTIONS)
def send_social_care_reports(self, send_id: int) -> str:
    """The VSH's send ``send_id``: each team's report to its manager; "done" or "failed".
    Raises SocialCareSend.DoesNotExist (not retried) for an unknown id."""
    send = social_care.run_send(send_id)
    return send.status


@shared_task(**TASK_OPTIONS)
def send_scheduled_social_care_reports(self) -> int:
    """The termly send (daily, by beat; it sends a term's reports once, on or after its
    send date): the number of teams dispatched."""
    dispatched = social_care.send_scheduled()
    logger.info("Social care reports dispatched by the schedule: %s", len(dispatched))
    return len(dispatched)


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def delete_expired_files(self) -> str:
    """The retention job (reporting.retention); scheduled daily by migration 0005."""
    return str(retention.delete_expired_files())

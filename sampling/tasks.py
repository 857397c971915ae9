"""Celery tasks: thin wrappers over `sampling.services`, safe to run again.

Every task is idempotent (drawing again only tops samples up; a reminder is not sent
twice within seven days; an entry escalates once a step), so late acknowledgement and automatic retries on a lost
database connection (`OperationalError`, with exponential backoff, at most five times)
cannot duplicate anything. Results are plain strings and numbers (JSON-serialisable).

A term id that does not exist is a permanent failure: `draw_term_samples_task` raises
`Term.DoesNotExist` (not retried), so `AsyncResult.get()` raises it in the caller.
"""

import logging

from celery import shared_task
from django.db import IntegrityError, OperationalError

from peps.models import Term

from . import services

logger = logging.getLogger(__name__)

TASK_OPTIONS = {
    "bind": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
    "acks_late": True,
}
# A concurrent draw of the same term (say the morning schedule and a manager's "Draw now")
# can hit a sample's unique constraint; the draw rolled back, so run it again: it tops up.
CONCURRENT_DRAW_RETRY_SECONDS = 5


@shared_task(**TASK_OPTIONS)
def draw_samples_for_open_terms(self) -> list[str]:
    """Draw (or top up) the samples of every term open today; a line per term."""
    try:
        results = [str(result) for result in services.draw_open_terms()]
    except IntegrityError as exc:
        raise self.retry(exc=exc, countdown=CONCURRENT_DRAW_RETRY_SECONDS) from exc
    for line in results:
        logger.info("QA samples drawn: %s", line)
    return results


@shared_task(**TASK_OPTIONS)
def draw_term_samples_task(self, term_id: int) -> str:
    """Draw (or top up) one term's samples. Raises Term.DoesNotExist for an unknown id."""
    term = Term.objects.get(pk=term_id)
    try:
        result = str(services.draw_term_samples(term))
    except IntegrityError as exc:
        raise self.retry(exc=exc, countdown=CONCURRENT_DRAW_RETRY_SECONDS) from exc
    logger.info("QA samples drawn: %s", result)
    return result


@shared_task(**TASK_OPTIONS)
def send_worklist_reminders(self) -> int:
    """Email each reviewer with QA due soon or overdue; the number of emails sent."""
    sent = services.send_worklist_reminders()
    logger.info("QA worklist reminders sent: %s", sent)
    return sent


@shared_task(**TASK_OPTIONS)
def escalate_overdue_qa(self) -> dict:
    """Escalate overdue QA to the reviewers' managers, then to the VSH; the numbers sent
    (nothing on a day the schools are closed)."""
    result = services.escalate_overdue_qa()
    logger.info("Overdue QA: %s", result)
    return {
        "to_managers": result.to_managers,
        "to_vsh": result.to_vsh,
        "entries_to_managers": result.entries_to_managers,
        "entries_to_vsh": result.entries_to_vsh,
        "school_day": result.school_day,
    }

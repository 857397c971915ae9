"""Delivering the outbox: each due message is claimed by one delivery (a conditional
update, so two workers never send the same message), sent, and marked sent; a message the
mail server refuses is retried with exponential backoff, then marked failed for a person
to resend from the messages page.

Exactly once, bar a crash between the mail server accepting a message and our marking it
sent: the claim then lapses after CLAIM_SECONDS and the message is sent again (the mail
server got it once; it gets it twice, with the same Message-ID, rather than not at all)."""

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from post_office.connections import connections
from post_office.models import STATUS, Email, Log

logger = logging.getLogger(__name__)

DUE_STATUSES = [STATUS.queued, STATUS.requeued]
# How long a claimed message is left to its delivery before another may take it up.
CLAIM_SECONDS = 600
# The mail server (not one message) is unreachable: stop, the rest wait for the next run.
SERVER_DOWN_ERRORS = (ConnectionError, TimeoutError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    server_down: bool = False

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed

    def __str__(self) -> str:
        down = "; the mail server was unreachable, the rest wait" if self.server_down else ""
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed{down}"


def retry_delay(retries_so_far: int) -> timedelta:
    """Exponential backoff: base, twice that, four times... capped."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2**retries_so_far
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def due_emails(now: datetime):
    return (
        Email.objects.filter(status__in=DUE_STATUSES)
        .filter(Q(scheduled_time__isnull=True) | Q(scheduled_time__lte=now))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-priority", "created", "pk")
    )


def _claim_next(now: datetime) -> Email | None:
    """The next due message, claimed for this delivery (None when nothing is due)."""
    while True:
        candidate = due_emails(now).values("pk", "scheduled_time").first()
        if candidate is None:
            return None
        was = candidate["scheduled_time"]
        unchanged = Q(scheduled_time=was) if was else Q(scheduled_time__isnull=True)
        claimed = Email.objects.filter(unchanged, pk=candidate["pk"], status__in=DUE_STATUSES).update(
            scheduled_time=now + timedelta(seconds=CLAIM_SECONDS), last_updated=now
        )
        if claimed:
            return Email.objects.select_related("template").prefetch_related("attachments").get(pk=candidate["pk"])
        # Another delivery claimed it between our read and our claim: take the next.


def deliver_due(limit: int | None = None) -> DeliveryResult:
    """Send what is due, one message at a time, until nothing is due, ``limit`` messages
    have been tried, or the mail server is unreachable."""
    result = DeliveryResult()
    try:
        while limit is None or result.attempted < limit:
            email = _claim_next(timezone.now())
            if email is None:
                break
            try:
                email.dispatch(log_level=0, commit=False, disconnect_after_delivery=False)
            except Exception as exc:
                _record_failure(email, exc, result)
                if isinstance(exc, SERVER_DOWN_ERRORS):
                    result.server_down = True
                    break
            else:
                _record_sent(email)
                result.sent += 1
    finally:
        connections.close()
    return result


def _record_sent(email: Email) -> None:
    with transaction.atomic():
        # The claim's time goes with it: a sent message is due for nothing.
        Email.objects.filter(pk=email.pk).update(status=STATUS.sent, scheduled_time=None, last_updated=timezone.now())
        Log.objects.create(email=email, status=STATUS.sent, message="")


def _record_failure(email: Email, exc: Exception, result: DeliveryResult) -> None:
    retries = email.number_of_retries or 0
    now = timezone.now()
    logger.warning("Message %s not delivered (%s: %s)", email.pk, type(exc).__name__, exc)
    with transaction.atomic():
        if isinstance(exc, SERVER_DOWN_ERRORS):
            # Not this message's fault: it waits for the server without spending a retry,
            # so an outage of any length ends with every message delivered, none failed.
            Email.objects.filter(pk=email.pk).update(
                status=STATUS.requeued,
                scheduled_time=now + timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS),
                last_updated=now,
            )
            result.retrying += 1
        elif retries < settings.OUTBOX_MAX_RETRIES:
            Email.objects.filter(pk=email.pk).update(
                status=STATUS.requeued,
                number_of_retries=retries + 1,
                scheduled_time=now + retry_delay(retries),
                last_updated=now,
            )
            result.retrying += 1
        else:
            Email.objects.filter(pk=email.pk).update(status=STATUS.failed, last_updated=now)
            result.failed += 1
        Log.objects.create(
            email=email, status=STATUS.failed, message=str(exc)[:2000], exception_type=type(exc).__name__
        )

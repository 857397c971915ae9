"""Writes a person makes to the outbox: resending a message that failed."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from post_office.models import STATUS, Email

from .models import Notice
from .outbox import deliver_after_commit
from .retention import has_expired_attachment


class NotFailed(ValidationError):
    """The message is not (or no longer) failed: resent already, or sent. "Already done"."""


@transaction.atomic
def resend(notice: Notice, by) -> Notice:
    """Queue a failed message again, from the start of its retries. A second click (or a
    second person) finds it no longer failed: "already done" (NotFailed), not a second copy.
    A message whose attachment the retention job deleted cannot be resent."""
    if has_expired_attachment(notice.email):
        raise ValidationError(
            "This message's attachment has been deleted (attachments are kept for a limited time): "
            "it cannot be resent. Send the report again instead."
        )
    requeued = Email.objects.filter(pk=notice.email_id, status=STATUS.failed).update(
        status=STATUS.queued, number_of_retries=0, scheduled_time=None, last_updated=timezone.now()
    )
    if not requeued:
        raise NotFailed(_why_not_failed(notice))
    notice.resent_at = timezone.now()
    notice.resent_by = by
    notice.save(update_fields=["resent_at", "resent_by"])
    deliver_after_commit()
    notice.email.refresh_from_db()
    return notice


def _why_not_failed(notice: Notice) -> str:
    current = Notice.objects.select_related("email", "resent_by").get(pk=notice.pk)
    if current.resent_at:
        who = f" by {current.resent_by}" if current.resent_by else ""
        when = timezone.localtime(current.resent_at).strftime("%-d %b %Y, %H:%M")
        done = "has been sent since" if current.email.status == STATUS.sent else "is waiting to be sent"
        return f"This message was already resent{who} at {when} and {done}: nothing more to do."
    if current.email.status == STATUS.sent:
        return "This message was sent: nothing to resend."
    return "This message has not failed (it is waiting to be sent): nothing to resend."

"""Writes a person makes to the outbox: resending a message that failed."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from post_office.models import STATUS, Email

from .models import Notice
from .outbox import deliver_after_commit
from .retention import has_expired_attachment


@transaction.atomic
def resend(notice: Notice, by) -> Notice:
    """Queue a failed message again, from the start of its retries. A second click (or a
    second person) finds it no longer failed: "already done", not a second copy. A message
    whose attachment the retention job deleted cannot be resent."""
    if has_expired_attachment(notice.email):
        raise ValidationError(
            "This message's attachment has been deleted (attachments are kept for a limited time): "
            "it cannot be resent. Send the report again instead."
        )
    requeued = Email.objects.filter(pk=notice.email_id, status=STATUS.failed).update(
        status=STATUS.queued, number_of_retries=0, scheduled_time=None, last_updated=timezone.now()
    )
    if not requeued:
        raise ValidationError("This message is not failed (it was resent already, or sent): nothing to resend.")
    notice.resent_at = timezone.now()
    notice.resent_by = by
    notice.save(update_fields=["resent_at", "resent_by"])
    deliver_after_commit()
    notice.email.refresh_from_db()
    return notice

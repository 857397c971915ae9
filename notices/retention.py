"""Retention of e-mail attachments (the social care reports sent to the team managers name
children by reference): an attachment's file is deleted REPORT_RETENTION_DAYS after its
message was written, once every message it belongs to is sent or failed (never one still
waiting to go). The message and its record stay; a failed message whose attachment has
gone cannot be resent (notices.services.resend says so). Run by
reporting.retention.delete_expired_files."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from post_office.models import STATUS, Attachment

WAITING = [STATUS.queued, STATUS.requeued]


def delete_expired_attachments(now: datetime) -> int:
    days = settings.REPORT_RETENTION_DAYS
    if days <= 0:
        return 0
    before = now - timedelta(days=days)
    candidates = (
        Attachment.objects.exclude(file="")
        .filter(emails__created__lt=before)
        .exclude(emails__status__in=WAITING)
        .exclude(emails__created__gte=before)
        .distinct()
        .values_list("pk", flat=True)
    )
    deleted = 0
    for pk in list(candidates):
        with transaction.atomic():
            attachment = Attachment.objects.select_for_update().filter(pk=pk).exclude(file="").first()
            if attachment is None:
                continue
            attachment.file.delete(save=False)
            attachment.file = ""
            attachment.save(update_fields=["file"])
            deleted += 1
    return deleted


def has_expired_attachment(email) -> bool:
    return email.attachments.filter(file="").exists()

"""The retention job: generated and uploaded files deleted once older than their period
(settings REPORT_RETENTION_DAYS and IMPORT_FILE_RETENTION_DAYS, 30 days by default; 0
keeps them). Each record stays with its file marked deleted, so its page says "expired"
rather than offering a broken link:

- board report PDFs (ReportRequest.file, REPORT_RETENTION_DAYS after it was ready);
- e-mail attachments, the social care reports sent to team managers (notices.retention);
- uploaded import files and the drop folder's done/ and failed/ files (imports.retention).

Not deleted: the demo's example exports (MEDIA_ROOT/demo-exports, fictional children,
written again by ``seed_demo``). Run daily by the beat task reporting.tasks.
delete_expired_files (migration 0005), or ``manage.py delete_expired_files``. Safe to run
twice at once: each record is locked while its file goes.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from imports.retention import delete_expired_drop_files, delete_expired_import_files
from notices.retention import delete_expired_attachments

from .models import ReportRequest

logger = logging.getLogger(__name__)


@dataclass
class RetentionResult:
    reports: int = 0
    attachments: int = 0
    import_files: int = 0
    drop_files: int = 0

    def __str__(self) -> str:
        return (
            f"Deleted {self.reports} report file(s), {self.attachments} e-mail attachment(s), "
            f"{self.import_files} import file(s) and {self.drop_files} drop folder file(s)."
        )


def delete_expired_report_files(now: datetime) -> int:
    days = settings.REPORT_RETENTION_DAYS
    if days <= 0:
        return 0
    before = now - timedelta(days=days)
    expired = ReportRequest.objects.filter(file_deleted_at__isnull=True).exclude(file="")
    # Finished before the cutoff (or, never finished, asked for before it).
    expired = expired.filter(Q(finished_at__lt=before) | Q(finished_at__isnull=True, created_at__lt=before))
    deleted = 0
    for pk in list(expired.values_list("pk", flat=True)):
        with transaction.atomic():
            report = ReportRequest.objects.select_for_update().filter(pk=pk, file_deleted_at__isnull=True).first()
            if report is None:
                continue
            report.file.delete(save=False)
            report.file = ""
            report.file_deleted_at = now
            report.save(update_fields=["file", "file_deleted_at"])
            deleted += 1
    return deleted


def delete_expired_files(now: datetime | None = None) -> RetentionResult:
    now = now or timezone.now()
    result = RetentionResult(
        reports=delete_expired_report_files(now),
        attachments=delete_expired_attachments(now),
        import_files=delete_expired_import_files(now),
        drop_files=delete_expired_drop_files(now),
    )
    logger.info("Retention: %s", result)
    return result

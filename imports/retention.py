"""Retention of the import files (they hold children's data): each uploaded file, and each
file the nightly drop moved to ``done/`` or ``failed/``, is deleted once it is older than
IMPORT_FILE_RETENTION_DAYS (0: kept). The import run stays, with what it found and did;
``file_deleted_at`` says when its file went (its page says so, and it can no longer be
previewed or applied). Run by reporting.retention.delete_expired_files."""

import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import ImportRun

logger = logging.getLogger(__name__)

# Where imports.drop moves a file once imported (or not).
DROP_FOLDERS = ("done", "failed")


def cutoff(now: datetime) -> datetime | None:
    days = settings.IMPORT_FILE_RETENTION_DAYS
    return now - timedelta(days=days) if days > 0 else None


def delete_expired_import_files(now: datetime) -> int:
    """Delete the stored files of runs uploaded before the cutoff; how many."""
    before = cutoff(now)
    if before is None:
        return 0
    deleted = 0
    for pk in ImportRun.objects.filter(created_at__lt=before, file_deleted_at__isnull=True).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            run = ImportRun.objects.select_for_update().filter(pk=pk, file_deleted_at__isnull=True).first()
            if run is None:  # another run of the job took it
                continue
            if run.file:
                run.file.delete(save=False)  # a file already missing is no error
            run.file = ""
            run.file_deleted_at = now
            run.save(update_fields=["file", "file_deleted_at"])
            deleted += 1
    return deleted


def delete_expired_drop_files(now: datetime) -> int:
    """Delete the files in IMPORT_DROP_DIR/<source>/<kind>/done|failed/ last changed
    before the cutoff (when they were moved there); how many."""
    before = cutoff(now)
    if before is None or not settings.IMPORT_DROP_DIR:
        return 0
    deleted = 0
    root = Path(settings.IMPORT_DROP_DIR)
    for folder in DROP_FOLDERS:
        for path in root.glob(f"*/*/{folder}/*"):
            try:
                # When it was moved there: a rename changes the ctime, not the mtime.
                stat = path.stat()
                moved = datetime.fromtimestamp(max(stat.st_mtime, stat.st_ctime), tz=now.tzinfo)
                if path.is_file() and moved < before:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
            except OSError:
                logger.exception("Could not delete the expired drop file %s", path)
    return deleted

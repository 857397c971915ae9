"""``manage.py delete_expired_files``: the retention job (reporting.retention) now."""

from django.core.management.base import BaseCommand

from reporting.retention import delete_expired_files


class Command(BaseCommand):
    help = (
        "Delete report files, e-mail attachments and import files older than their retention "
        "period (REPORT_RETENTION_DAYS, IMPORT_FILE_RETENTION_DAYS); the records stay, marked expired."
    )

    def handle(self, *args, **options):
        self.stdout.write(str(delete_expired_files()))

from django.conf import settings
from django.core.management.base import BaseCommand

from audit.retention import purge_expired


class Command(BaseCommand):
    help = "Delete the audit trail's entries older than AUDIT_RETENTION_DAYS (the daily job does this too)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Keep this many days instead of the setting.")

    def handle(self, *args, days=None, **options):
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        deleted = purge_expired(days)
        self.stdout.write(f"Deleted {deleted} audit entries older than {days} days.")

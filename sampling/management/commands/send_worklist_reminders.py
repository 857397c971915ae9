"""Email QA worklist reminders: `manage.py send_worklist_reminders [--date YYYY-MM-DD]`.

The same as the scheduled task, run directly (no worker or Redis needed). Idempotent: an
entry is reminded at most once in seven days.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from sampling import services


class Command(BaseCommand):
    help = "Email each reviewer one reminder of the sample entries due soon or overdue."

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="today", help="Treat this day (YYYY-MM-DD) as today.")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"--date: {exc}") from exc
        sent = services.send_worklist_reminders(today=today)
        self.stdout.write(f"Sent {sent} reminder email{'s' if sent != 1 else ''}.")

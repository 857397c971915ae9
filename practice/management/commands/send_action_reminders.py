"""E-mail practice action reminders: `manage.py send_action_reminders [--date YYYY-MM-DD]`.

The same as the scheduled task, run directly (no worker or Redis needed): one e-mail per
owner of the open actions due within PRACTICE_ACTION_REMINDER_DAYS days or overdue.
Idempotent: an action is reminded once as due soon and once as overdue.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from practice.reminders import send_action_reminders


class Command(BaseCommand):
    help = "E-mail each owner one reminder of their practice actions due soon or overdue."

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="today", help="Treat this day (YYYY-MM-DD) as today.")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"--date: {exc}") from exc
        result = send_action_reminders(today=today)
        self.stdout.write(f"Practice action reminders: {result}.")

"""Escalate overdue QA: `manage.py escalate_overdue_qa [--date YYYY-MM-DD]`.

The same as the scheduled task, run directly (no worker or Redis needed): worklist entries
past their due date go to the reviewer's line manager, then, still not done
QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS school days later, to the VSH. Idempotent; nothing is
sent on a day the schools are closed.
"""

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sampling import services


class Command(BaseCommand):
    help = "Escalate overdue QA worklist entries to the reviewers' managers, then to the VSH."

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="today", help="Treat this day (YYYY-MM-DD) as today.")

    def handle(self, *args, **options):
        now = None
        if options["today"]:
            try:
                day = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"--date: {exc}") from exc
            now = timezone.make_aware(datetime.combine(day, timezone.localtime().time()))
        result = services.escalate_overdue_qa(now=now)
        self.stdout.write(f"Overdue QA: {result}.")

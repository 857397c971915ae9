"""Chase overdue PEP amendments: `manage.py chase_amendments [--date YYYY-MM-DD]`.

The same as the scheduled task, run directly (no worker or Redis needed): one reminder to
the DT and SW of each amendment past its due date, then one escalation to the officer and
their line manager AMENDMENT_ESCALATE_AFTER_SCHOOL_DAYS school days later. Idempotent;
nothing is sent on a day the schools are closed.
"""

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reviews.amendments import chase_amendments


class Command(BaseCommand):
    help = "Remind the DT and SW of overdue PEP amendments, and escalate those still not amended."

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
        result = chase_amendments(now=now)
        self.stdout.write(f"Overdue amendments: {result}.")

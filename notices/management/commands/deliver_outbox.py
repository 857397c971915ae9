from django.core.management.base import BaseCommand

from notices.delivery import deliver_due


class Command(BaseCommand):
    help = "Deliver the messages waiting in the outbox (what the scheduled delivery runs)."

    def handle(self, *args, **options):
        self.stdout.write(str(deliver_due()))

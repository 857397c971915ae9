"""Draw (or top up) the termly QA samples: `manage.py draw_samples [--term PK | --all-terms]`.

The same as the scheduled task, run directly (no worker or Redis needed). Idempotent.
"""

from django.core.management.base import BaseCommand, CommandError

from peps.models import Term
from sampling import services


class Command(BaseCommand):
    help = "Draw or top up the QA samples of the open terms (default), one term, or every term."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--term", type=int, metavar="PK", help="Only this term (its id).")
        which.add_argument("--all-terms", action="store_true", help="Every term, oldest first.")

    def handle(self, *args, term=None, all_terms=False, **options):
        if term is not None:
            try:
                terms = [Term.objects.get(pk=term)]
            except Term.DoesNotExist as exc:
                raise CommandError(f"No term with id {term}.") from exc
            results = [services.draw_term_samples(t) for t in terms]
        elif all_terms:
            results = [services.draw_term_samples(t) for t in Term.objects.order_by("start_date")]
        else:
            results = services.draw_open_terms()
        if not results:
            self.stdout.write("No term to draw: no term is open today.")
        for result in results:
            self.stdout.write(str(result))

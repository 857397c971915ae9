"""What peps announce, so the apps above them can follow without peps calling up."""

from django.dispatch import Signal

# Sent inside the transaction that submits a PEP for QA (peps.services.submit_pep), with
# ``pep`` and ``by``, however the submission arrives: the officer's page, an import, or a
# returned PEP marked as amended (reviews.services.mark_amended), back for QA.
# sampling receives it to top the term's QA samples up.
pep_submitted = Signal()

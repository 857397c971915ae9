"""What peps announce, so the apps above them can follow without peps calling up."""

from django.dispatch import Signal

# Sent inside the transaction that submits PEPs for QA (peps.services.submit_peps), with
# ``pep_ids`` (a list) and ``by`` (the user, or None for the system): a worklist waiting
# for a PEP can move on, however the PEP arrived (a page or an import).
peps_submitted = Signal()

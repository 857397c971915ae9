"""What reviews announce, so the apps above them can follow without reviews calling up."""

from django.dispatch import Signal

# Sent inside the transaction that submits a review, with ``review``: receivers' writes
# (sampling ticks off its entries) commit or roll back with it.
review_submitted = Signal()

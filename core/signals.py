"""A signal every app may send: records written in bulk.

QuerySet.update(), bulk_create() and bulk_update() send no model signals, so whatever
follows each change of a record (the audit trail) would miss them. A service that writes
that way sends ``bulk_written`` after the write, in its transaction:

    bulk_written.send(sender=Model, created=[instances], updated=[(pk, {field: [before, after]})])

``created`` are the saved instances (with their pk); ``updated`` the pk of each changed
record with its changed fields, before and after as text (``before`` may be "" when the
writer does not know it). Either may be omitted.
"""

from django.dispatch import Signal

bulk_written = Signal()

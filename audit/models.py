"""The audit trail's one table: django-auditlog's log entry, with the child it concerns.

``AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"``: every entry auditlog writes (a change
of a registered model, an access) lands here. ``child_id`` (a plain indexed number, not a
foreign key: the trail outlives a deleted child) is filled in as the entry is written
(``audit.children.child_of``), so a child's page reads its whole trail with one indexed query.
"""

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.db import models

from .children import child_of


class AuditEntryManager(LogEntryManager):
    def log_create(self, instance, force_log: bool = False, **kwargs):
        kwargs.setdefault("child_id", child_of(instance))
        return super().log_create(instance, force_log=force_log, **kwargs)

    def log_m2m_changes(self, changed_queryset, instance, operation, field_name, **kwargs):
        kwargs.setdefault("child_id", child_of(instance))
        return super().log_m2m_changes(changed_queryset, instance, operation, field_name, **kwargs)


class AuditEntry(AbstractLogEntry):
    child_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        indexes = [models.Index(fields=["child_id", "-timestamp"], name="audit_child_newest")]

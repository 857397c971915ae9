"""The audit trail's one table: django-auditlog's log entry, with the child it concerns.

``AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"``: every entry auditlog writes (a change
of a registered model, an access) lands here. ``child_id`` (a plain indexed number, not a
foreign key: the trail outlives a deleted child) is filled in as the entry is written
(``audit.children.child_of``), so a child's page reads its whole trail with one indexed query.
"""

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.contrib.contenttypes.models import ContentType
from django.db import models

from .children import child_of
from .registration import AUDITED


def content_type_of(model: type[models.Model]) -> ContentType:
    """The model's content type, from Django's cache; on a miss, those of every model
    the trail records are read at once, so the first entry of each kind costs no query
    of its own (query counts stay constant whatever was written first)."""
    manager = ContentType.objects
    try:
        return manager._get_from_cache(model._meta)  # type: ignore[attr-defined]
    except KeyError:
        return manager.get_for_models(model, *AUDITED)[model]


class AuditEntryManager(LogEntryManager):
    def log_create(self, instance, force_log: bool = False, **kwargs):
        kwargs.setdefault("content_type", content_type_of(type(instance)))
        kwargs.setdefault("child_id", child_of(instance))
        return super().log_create(instance, force_log=force_log, **kwargs)

    def log_m2m_changes(self, changed_queryset, instance, operation, field_name, **kwargs):
        kwargs.setdefault("content_type", content_type_of(type(instance)))
        kwargs.setdefault("child_id", child_of(instance))
        return super().log_m2m_changes(changed_queryset, instance, operation, field_name, **kwargs)


class AuditEntry(AbstractLogEntry):
    child_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        indexes = [models.Index(fields=["child_id", "-timestamp"], name="audit_child_newest")]

"""The audit trail in the admin: read only, for everyone, superusers included."""

from auditlog.admin import LogEntryAdmin
from django.contrib import admin

from practice.models import CapabilityConcern

from .models import AuditEntry, content_type_of

if admin.site.is_registered(AuditEntry):
    admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(LogEntryAdmin):
    list_filter = ["action", "timestamp"]
    search_fields = ["object_repr", "actor__username", "actor__first_name", "actor__last_name", "remote_addr"]
    readonly_fields = [*LogEntryAdmin.readonly_fields, "remote_addr", "child_id", "additional_data"]
    fieldsets = [
        *LogEntryAdmin.fieldsets,
        ("Where from", {"fields": ["remote_addr", "child_id", "additional_data"]}),
    ]
    actions = None

    def get_queryset(self, request):
        # The capability process is confidential to the officer's line manager and the VSH
        # (access.policy): its entries (no notes, but who and when) stay out of the admin.
        return super().get_queryset(request).exclude(content_type=content_type_of(CapabilityConcern))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Not even as part of deleting something else in the admin: the trail outlives it.
        return False

"""The audit trail in the admin: read only, for everyone, superusers included."""

from auditlog.admin import LogEntryAdmin
from django.contrib import admin

from .models import AuditEntry

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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Not even as part of deleting something else in the admin: the trail outlives it.
        return False

from django.contrib import admin

from .models import ReportRequest


@admin.register(ReportRequest)
class ReportRequestAdmin(admin.ModelAdmin):
    list_display = ("kind", "term", "requested_by", "status", "pages", "size", "created_at", "finished_at")
    list_filter = ("kind", "status", "term")
    search_fields = ("requested_by__username", "requested_by__first_name", "requested_by__last_name")
    date_hierarchy = "created_at"
    list_select_related = ("term", "requested_by")
    readonly_fields = (
        "kind",
        "term",
        "requested_by",
        "file",
        "pages",
        "size",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    )
    fields = (
        "kind",
        "term",
        "requested_by",
        "status",
        "file",
        "pages",
        "size",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    )

    def has_add_permission(self, request):
        return False  # requests come from the reports page, which queues the build

from django.contrib import admin

from .models import ReportRequest, SocialCareDispatch, SocialCareSend


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


class SocialCareDispatchInline(admin.TabularInline):
    model = SocialCareDispatch
    extra = 0
    can_delete = False
    fields = ("team", "outcome", "manager_name", "manager_email", "peps", "not_attended", "not_updated", "notice")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SocialCareSend)
class SocialCareSendAdmin(admin.ModelAdmin):
    list_display = ("term", "requested_by", "status", "created_at", "finished_at")
    list_filter = ("status", "term")
    list_select_related = ("term", "requested_by")
    readonly_fields = ("term", "requested_by", "token", "status", "error", "created_at", "finished_at")
    inlines = [SocialCareDispatchInline]

    def has_add_permission(self, request):
        return False  # sends come from the VSH's page, which queues them


@admin.register(SocialCareDispatch)
class SocialCareDispatchAdmin(admin.ModelAdmin):
    list_display = ("team", "term", "trigger", "outcome", "manager_email", "peps", "created_at")
    list_filter = ("trigger", "outcome", "term", "team")
    search_fields = ("team__name", "manager_name", "manager_email")
    list_select_related = ("team", "term")
    readonly_fields = (
        "term",
        "team",
        "trigger",
        "send",
        "outcome",
        "manager_name",
        "manager_email",
        "peps",
        "not_attended",
        "not_updated",
        "notice",
        "created_at",
    )

    def has_add_permission(self, request):
        return False  # dispatched by reporting.social_care, once per team and term or send

"""The outbox in the admin, to read: the messages page (web/notices) is where people work
with messages (and resend a failed one); post_office's own admin lists its e-mails and logs."""

from django.contrib import admin

from .models import Notice, NoticeRecipient


class NoticeRecipientInline(admin.TabularInline):
    model = NoticeRecipient
    fields = ("copy", "name", "part", "address")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "subject", "pep", "state", "resent_at")
    list_filter = ("kind",)
    list_select_related = ("email", "pep__child", "pep__term")
    search_fields = ("email__subject", "recipients__address", "recipients__name", "pep__child__la_reference")
    date_hierarchy = "created_at"
    fields = ("kind", "email", "pep", "caused_by", "created_at", "resent_at", "resent_by")
    readonly_fields = fields
    inlines = [NoticeRecipientInline]

    @admin.display(description="subject")
    def subject(self, notice: Notice) -> str:
        return notice.email.subject

    def has_add_permission(self, request):
        return False  # messages are written by the outbox, in the transaction that causes them

    def has_change_permission(self, request, obj=None):
        return False

from django.contrib import admin

from .models import PeerReviewMeeting, PeerReviewPep


class PeerReviewPepInline(admin.TabularInline):
    model = PeerReviewPep
    extra = 0
    raw_id_fields = ("pep",)


@admin.register(PeerReviewMeeting)
class PeerReviewMeetingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "term", "focus", "recorded_by")
    list_filter = ("term", "focus")
    filter_horizontal = ("attendees",)
    inlines = [PeerReviewPepInline]


@admin.register(PeerReviewPep)
class PeerReviewPepAdmin(admin.ModelAdmin):
    list_display = ("meeting", "member", "pep")
    raw_id_fields = ("pep",)

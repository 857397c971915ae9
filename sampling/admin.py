from django.contrib import admin

from .models import ModerationGroup, Sample, SampleEntry


@admin.register(ModerationGroup)
class ModerationGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "sample_size", "is_active")
    filter_horizontal = ("members",)


class SampleEntryInline(admin.TabularInline):
    model = SampleEntry
    extra = 0
    fields = ("pep", "reason", "assigned_to", "due_date", "review", "agreed_judgement")
    readonly_fields = ("pep", "reason", "review", "agreed_judgement")
    raw_id_fields = ("assigned_to",)

    # Entries come from the draw, which records why each PEP was chosen.
    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "term", "kind", "reviewer", "caseload_size", "minimum_size", "drawn_at")
    list_filter = ("term", "kind")
    list_select_related = ("term", "officer", "lead_area", "group", "reviewer")
    readonly_fields = (
        "term",
        "kind",
        "officer",
        "lead_area",
        "group",
        "seed",
        "rate",
        "rate_reason",
        "caseload_size",
        "minimum_size",
        "drawn_at",
        "topped_up_at",
    )
    inlines = [SampleEntryInline]

    def has_add_permission(self, request):
        return False


@admin.register(SampleEntry)
class SampleEntryAdmin(admin.ModelAdmin):
    list_display = ("pep", "sample", "reason", "assigned_to", "due_date", "review")
    list_filter = ("sample__term", "sample__kind", "reason")
    list_select_related = ("pep__child", "pep__term", "sample__term", "assigned_to", "review")
    search_fields = ("pep__child__la_reference",)
    raw_id_fields = ("pep", "assigned_to", "review", "original_review")

    def has_add_permission(self, request):
        return False
